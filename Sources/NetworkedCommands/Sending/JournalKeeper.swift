import JQ
import NetworkedAPI
import ShellCore

/// A run's side of the journal: claims each person when their row is accepted (so no other run
/// sends to them), turns claims into intents and back, records outcomes, and gives back the
/// claims that were never sent. Its calls are the run's owner's (``ClaimOwner``): the store
/// moves only what this run holds.
final class JournalKeeper {
  let connection: NetworkedConnection
  let reinvite: Bool
  let owner: ClaimOwner
  /// Claims made and not yet sent or given back.
  private var open: Set<Int64> = []
  /// Each claim's person and input row, for an answer the journal must hold on an entry of its
  /// own (its intent was taken over).
  private var people: [Int64: (operation: JournalOperation, row: Int)] = [:]

  init(connection: NetworkedConnection, reinvite: Bool, run: String) {
    self.connection = connection
    self.reinvite = reinvite
    self.owner = ClaimOwner.current(run: run)
  }

  /// What became of a claim.
  enum Claim {
    /// Claimed: the journal id.
    case claimed(Int64)
    /// Not to be sent: a `skipped` result.
    case skip(Skip)
    /// The journal could not be written: nothing may be sent.
    case unwritable(any Error)
  }

  private var now: Double { connection.configuration.clock.now }

  /// Claims `operation`'s person for this run, unless the journal says they were already
  /// invited or added, are in doubt, or are held by another run. `supersedes` names the
  /// in-doubt entry a reconcile re-sends. An interrupt while the state is away skips them.
  func claim(_ operation: JournalOperation, row: Int, supersedes: Int64? = nil) throws -> Claim {
    // No key or no database: that stops the pipeline (exit 77 or 64), not just this row.
    let (store, scope) = try connection.journal()
    do {
      switch try store.claim(
        scope: scope, operation, row: row, owner: owner, now: now, reinvite: reinvite || supersedes != nil,
        supersedes: supersedes)
      {
      case .claimed(let id):
        open.insert(id)
        people[id] = (operation, row)
        return .claimed(id)
      case .refused(let standing):
        return .skip(Self.skip(standing) ?? Skip(reason: .inDoubt))
      }
    } catch is Interrupted {
      return .skip(Skip(reason: .interrupted))
    } catch {
      return .unwritable(error)
    }
  }

  /// For a dry run: why `email` would not be sent, or nil (nothing is written).
  func check(email: String) -> Skip? {
    guard let (store, scope) = try? connection.journal(),
      let standing = try? store.standing(scope: scope, email: email, reinvite: reinvite, now: now)
    else { return nil }
    return Self.skip(standing)
  }

  /// The `skipped` result for a person standing so, or nil when they are free.
  static func skip(_ standing: JournalStanding) -> Skip? {
    var skip: Skip
    let earlier: JournalEntry
    switch standing {
    case .free:
      return nil
    case .settled(let entry):
      earlier = entry
      skip = Skip(reason: entry.settledReason)
      if let id = entry.inviteId { skip.details.append(("inviteId", .string(id))) }
      if let time = entry.timeStamp { skip.details.append(("timeStamp", .number(Double(time)))) }
    case .inDoubt(let entry):
      earlier = entry
      // Sent before with no answer we could trust: never re-send blindly.
      skip = Skip(
        reason: .inDoubt,
        details: [("hint", .string("an earlier request for this email may have reached the server; run reconcile"))])
    case .held(let entry):
      earlier = entry
      return Skip(
        reason: .claimed,
        details: [
          ("claimedBy", claimant(entry)),
          ("hint", .string("another run is sending to this email now; its result will be in the journal")),
        ])
    }
    skip.details += [("earlierRun", .string(earlier.run)), ("earlierOp", .string(earlier.operation.kind.rawValue))]
    return skip
  }

  /// `{run, host, pid}` of the run holding `entry`.
  static func claimant(_ entry: JournalEntry) -> Value {
    var fields: [(String, Value)] = [("run", .string(entry.run))]
    if let process = entry.owner?.process {
      fields += [("host", .string(process.host)), ("pid", .number(Int(process.pid)))]
    }
    return .object(JSONObject(fields))
  }

  /// Turns claims into intents, durably, just before their request leaves; returns those that
  /// are still this run's to send, each confirmed in the fence from a reading taken before the
  /// transaction (``StateStore/intend(_:request:owner:now:)``: a claim whose lease ran out while
  /// the process was stopped, and that nobody took over meanwhile, is taken back first).
  func intend(_ ids: [Int64], request: Int) throws -> Set<Int64> {
    let (store, _) = try connection.journal()
    let fence = try connection.fence()
    let stamp = fence.stamp()
    let moved = try store.intend(ids, request: request, owner: owner, now: now)
    fence.confirm(moved, from: stamp)
    open.subtract(moved)
    if !moved.isEmpty { connection.runInProgress?[NetworkedConnection.RunState.self].journalled = true }
    return moved
  }

  /// Takes intents back to claims (their request certainly did not reach the server); returns
  /// those that are this run's claims again (another process may have judged the rest).
  func withdraw(_ ids: [Int64]) throws -> Set<Int64> {
    let (store, _) = try connection.journal()
    try connection.fence().drop(ids)
    let kept = try store.withdraw(ids, owner: owner, now: now)
    open.formUnion(kept)
    return kept
  }

  /// Whether the people of `ids` are still this process's to send, on its fence (asked at the
  /// last moment before a request's body is complete).
  func gate(_ ids: [Int64]) -> SendGate {
    guard let fence = try? connection.fence() else { return SendGate { false } }
    return SendGate { fence.holds(ids) }
  }

  /// Why `email` could not be moved to an intent (or its intent was lost): the person's
  /// standing now, as skip fields.
  func lostClaim(email: String) -> Skip {
    guard let (store, scope) = try? connection.journal(),
      let standing = try? store.standing(scope: scope, email: email, reinvite: reinvite, now: now),
      let skip = Self.skip(standing)
    else {
      return Skip(
        reason: .leaseLost,
        details: [
          (
            "hint",
            .string(
              "this run was stopped or suspended past its lease and another run judged its claim meanwhile; "
                + "nothing was sent to this email by this run: run again to send it")
          )
        ])
    }
    return skip
  }

  /// Records the outcomes of request `request`, durably, before their results are printed;
  /// returns the claims whose intent another process had taken over (their answers are
  /// journalled on entries of their own: ``StateStore/record(_:scope:owner:request:at:)``).
  func record(_ outcomes: [JournalOutcome], request: Int) throws -> Set<Int64> {
    guard !outcomes.isEmpty else { return [] }
    let (store, scope) = try connection.journal()
    try connection.fence().drop(outcomes.map(\.id))
    let records = outcomes.map { outcome in
      // Every outcome is of a claim this keeper made.
      let person = people[outcome.id]!
      return StateStore.Record(outcome, operation: person.operation, row: person.row)
    }
    let conflicts = try store.record(records, scope: scope, owner: owner, request: request, at: now)
    for outcome in outcomes { people[outcome.id] = nil }
    return conflicts
  }

  /// Gives back claims that will not be sent (interrupted, refused key, a row given up).
  func release(_ ids: [Int64]) {
    let mine = ids.filter { open.contains($0) }
    guard !mine.isEmpty, let (store, _) = try? connection.journal() else { return }
    try? store.release(mine, owner: owner, now: now)
    open.subtract(mine)
    for id in mine { people[id] = nil }
  }

  /// Gives back every claim not sent: the stage is done.
  func releaseAll() {
    release(Array(open))
  }
}
