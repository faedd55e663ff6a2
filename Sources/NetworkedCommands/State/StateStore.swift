/// Where nwsh keeps what every run with one key shares: the log of requests the pacer sent
/// (the rate budget) and the journal of people claimed, sent to and settled.
///
/// The rules live here and in `JournalRules`, in Swift, once; a `StateDatabase` (SQLite on
/// this machine, or PostgreSQL for several) only reads and writes rows inside transactions.
///
/// A *scope* is the ``Fingerprint`` of an API key and a base URL: the key itself is never
/// stored. Times given and returned are seconds since 1970 on the caller's clock; a database
/// shared by several hosts keeps its own clock and translates, so hosts whose clocks disagree
/// still agree on windows and leases.
///
/// What every operation guarantees:
/// - ``reserve(scope:schedule:now:method:path:)`` hands out slots one at a time per scope (under
///   the scope's lock), so that all the processes together never exceed a window;
/// - ``claim(scope:_:row:owner:now:reinvite:supersedes:)`` reads the person's entries and
///   inserts the claim under the person's lock, and at most one entry per (scope, email) is
///   claimed or pending (a unique index stands behind the lock): two processes never both send
///   to one person;
/// - ``intend(_:request:owner:now:)`` and ``record(_:scope:at:)`` are durable before they
///   return: nothing is sent that the journal does not hold as pending, and no result is printed
///   that the journal does not hold.
public final class StateStore: Sendable {
  package let database: any StateDatabase
  /// How long a claim or an intent stands for other hosts without being renewed (seconds).
  public let lease: Double

  /// A store keeping its rows in `database`, with claims leased for `lease` seconds.
  package init(database: any StateDatabase, lease: Double) {
    self.database = database
    self.lease = lease
  }

  /// Where it is, for messages: a path, or a URL without its password.
  public var location: String { database.location }

  /// Opens the SQLite file a location names (an embedder's default). A PostgreSQL location needs
  /// a program built with the `PostgresState` module, as nwsh is.
  @Sendable public static func open(_ location: StateLocation) throws -> StateStore {
    switch location.kind {
    case .sqlite(let path): return StateStore(database: try SQLiteDatabase(path: path), lease: location.lease)
    case .postgres: throw StateLocationError(message: "this program keeps its state in SQLite files only")
    }
  }

  // MARK: The request log

  /// Reserves the earliest slot `schedule` allows for one more request in `scope`.
  public func reserve(scope: String, schedule: RateSchedule, now: Double, method: String, path: String) throws
    -> StateReservation
  {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      let now = transaction.now
      let sends = try RequestLogRules.effectiveTimes(
        transaction, scope: scope, now: now, horizon: schedule.horizon,
        keep: schedule.limits.map(\.limit).max() ?? 0)
      // In order (never before a slot already handed out), which is what makes the windows'
      // arithmetic valid; without windows there is nothing to keep in order.
      let latest = schedule.limits.isEmpty ? now : try transaction.latestSlot(scope: scope)
      let start = max(now, try transaction.pausedUntil(scope: scope), latest)
      let at = schedule.earliest(now: start, after: sends)
      let id = try transaction.logRequest(scope: scope, at: at, method: method, path: path, process: .current)
      return StateReservation(id: id, at: at - transaction.offset)
    }
  }

  /// Records that the request of `reservation` finished at `time` (its response, or its failure).
  public func complete(_ reservation: StateReservation, at time: Double, status: Int?) throws {
    try database.transaction(lock: nil, durable: false, localNow: time) { transaction in
      try transaction.finishRequest(id: reservation.id, at: transaction.now, status: status)
    }
  }

  /// Gives back a slot that was never used (the wait was interrupted, or nobody was left to send).
  public func cancel(_ reservation: StateReservation, now: Double) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { try $0.deleteRequest(id: reservation.id) }
  }

  /// Holds every request in `scope` until `time` (after a 429 or 503 with `Retry-After`); a
  /// longer pause already in force stays.
  public func pause(scope: String, until time: Double, reason: String, now: Double) throws {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      let until = time + transaction.offset
      if try transaction.pausedUntil(scope: scope) < until {
        try transaction.setPause(scope: scope, until: until, reason: reason)
      }
    }
  }

  /// Until when `scope` is paused (0 when it is not), on the caller's clock.
  public func pausedUntil(scope: String, now: Double) throws -> Double {
    try database.read(localNow: now) { transaction in
      let until = try transaction.pausedUntil(scope: scope)
      return until == 0 ? 0 : until - transaction.offset
    }
  }

  /// The times that count against the windows in `scope` at `now`, ascending.
  public func sendTimes(scope: String, now: Double, horizon: Double) throws -> [Double] {
    try database.read(localNow: now) { transaction in
      try RequestLogRules.effectiveTimes(transaction, scope: scope, now: transaction.now, horizon: horizon)
        .map { $0 - transaction.offset }
    }
  }

  /// Drops log rows older than `age` seconds (two days by default) before `now`.
  public func prune(now: Double, age: Double = 2 * 86_400) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      try transaction.deleteRequests(before: transaction.now - age)
    }
  }

  /// Forgets everything kept for `scope` (journal, request log, pauses); returns how many
  /// journal entries went.
  @discardableResult public func forget(scope: String) throws -> Int {
    try database.transaction(lock: "scope:" + scope, durable: true, localNow: 0) { try $0.forget(scope: scope) }
  }

  // MARK: The journal

  /// Claims `operation`'s person for `owner` when they are free (or, for `reconcile`, in doubt
  /// with `supersedes` the entry being re-sent). Claims whose holder is gone are dropped on the
  /// way (nothing was sent for them); intents whose holder is gone become in doubt. Claiming
  /// again what `owner` already holds for `row` returns that claim (a retried call is harmless).
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool,
    supersedes: Int64? = nil
  ) throws -> ClaimResult {
    let emailKey = operation.email.lowercased()
    return try database.transaction(lock: "person:\(scope)\n\(emailKey)", durable: false, localNow: now) {
      transaction in
      let now = transaction.now
      let decision = JournalRules.ClaimDecision(
        entries: try transaction.entries(scope: scope, emailKey: emailKey), row: row, owner: owner, now: now,
        reinvite: reinvite, supersedes: supersedes)
      try transaction.delete(decision.stale.map(\.id))
      for var orphan in decision.orphaned {
        // A request whose process died before recording the answer is in doubt: say so, which
        // also frees the person's claim slot for the reconcile that will settle them.
        orphan.state = .unknown
        orphan.error = orphan.error ?? .inDoubt
        orphan.updated = now
        _ = try transaction.update(orphan)
      }
      if let answer = decision.answer { return Self.shifted(answer, by: -transaction.offset) }
      let entry = JournalEntry(
        id: 0, run: owner.run, operation: operation, row: row, request: 0, state: .claimed, created: now,
        updated: now, owner: owner, leaseUntil: now + lease, supersedes: supersedes)
      return .claimed(try transaction.insert(entry, scope: scope))
    }
  }

  /// What the journal holds for `email` now (a read: dry runs use it; sending claims instead).
  public func standing(scope: String, email: String, reinvite: Bool, now: Double) throws -> JournalStanding {
    try database.read(localNow: now) { transaction in
      let entries = try transaction.entries(scope: scope, emailKey: email.lowercased())
      return Self.shifted(
        JournalRules.standing(entries, reinvite: reinvite, now: transaction.now), by: -transaction.offset)
    }
  }

  /// Turns claims still held by `owner` into intents (`pending`, with their request number),
  /// durably, just before the request leaves. Returns the ids that moved: only those are sent.
  public func intend(_ ids: [Int64], request: Int, owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try database.transaction(lock: nil, durable: true, localNow: now) { transaction in
      var moved = Set<Int64>()
      for var entry in try transaction.entries(ids: ids) where entry.owner == owner {
        if entry.state == .pending && entry.request == request {
          moved.insert(entry.id)  // this very call, run again after a lost connection
          continue
        }
        guard entry.state == .claimed else { continue }
        entry.state = .pending
        entry.request = request
        entry.updated = transaction.now
        entry.leaseUntil = transaction.now + lease
        if try transaction.update(entry) { moved.insert(entry.id) }
      }
      return moved
    }
  }

  /// Takes intents back to claims: their request certainly did not reach the server (a 429,
  /// a 503, a failed connection) and will be tried again. Returns the ids that moved back.
  public func withdraw(_ ids: [Int64], owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try database.transaction(lock: nil, durable: true, localNow: now) { transaction in
      var moved = Set<Int64>()
      for var entry in try transaction.entries(ids: ids) where entry.owner == owner {
        if entry.state == .claimed {
          moved.insert(entry.id)  // run again after a lost connection
          continue
        }
        guard entry.state == .pending else { continue }
        entry.state = .claimed
        entry.request = 0
        entry.updated = transaction.now
        entry.leaseUntil = transaction.now + lease
        if try transaction.update(entry) { moved.insert(entry.id) }
      }
      return moved
    }
  }

  /// Records outcomes durably (before their results are printed). A re-send with an answer
  /// retires the in-doubt entries it re-sent.
  public func record(_ outcomes: [JournalOutcome], scope: String, at time: Double) throws {
    guard !outcomes.isEmpty else { return }
    try database.transaction(lock: nil, durable: true, localNow: time) { transaction in
      for outcome in outcomes {
        // Whatever happened to the entry meanwhile (another host may have judged it in doubt),
        // the answer is the truth: written over it.
        var written: JournalEntry?
        for _ in 0..<8 where written == nil {
          guard var entry = try transaction.entries(ids: [outcome.id]).first else { break }
          entry.state = outcome.state
          entry.inviteId = outcome.inviteId ?? entry.inviteId
          entry.userId = outcome.userId ?? entry.userId
          entry.timeStamp = outcome.timeStamp ?? entry.timeStamp
          entry.error = outcome.error
          entry.updated = transaction.now
          if try transaction.update(entry) { written = entry }
        }
        guard let entry = written else { continue }
        let person = try transaction.entries(scope: scope, emailKey: entry.email.lowercased())
        for var retired in JournalRules.retired(by: entry, among: person) {
          retired.state = .reconciled
          retired.updated = transaction.now
          _ = try transaction.update(retired)
        }
      }
    }
  }

  /// Gives up claims that were never sent.
  public func release(_ ids: [Int64], now: Double) throws {
    guard !ids.isEmpty else { return }
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      try transaction.delete(try transaction.entries(ids: ids).filter { $0.state == .claimed }.map(\.id))
    }
  }

  /// Gives up every claim `owner`'s run still holds.
  public func release(owner: ClaimOwner, now: Double) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      let held = try transaction.entries(heldBy: owner.process, states: [.claimed])
      try transaction.delete(held.filter { $0.owner == owner }.map(\.id))
    }
  }

  /// Renews the lease on everything `process` holds (claims and intents); returns how many.
  @discardableResult public func renew(process: ProcessIdentity, now: Double) throws -> Int {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      let held = try transaction.entries(heldBy: process, states: [.claimed, .pending]).map(\.id)
      try transaction.extendLeases(held, until: transaction.now + lease)
      return held.count
    }
  }

  /// Records that the people of entries `ids` were seen members now (`now`, the caller's
  /// clock), where no time is recorded yet.
  public func markJoined(_ ids: [Int64], now: Double) throws {
    guard !ids.isEmpty else { return }
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      try transaction.markJoined(ids, at: transaction.now)
    }
  }

  /// Journal entries in `scope`, oldest first, optionally of one run or in some states.
  public func journalEntries(scope: String, run: String? = nil, states: [JournalState]? = nil, now: Double) throws
    -> [JournalEntry]
  {
    try database.read(localNow: now) { transaction in
      try transaction.entries(scope: scope, run: run, states: states).map { $0.shifted(by: -transaction.offset) }
    }
  }

  /// The people in doubt in `scope`, each with the entry that put them in doubt (or with the
  /// live run that holds them now), oldest first: what `reconcile` settles.
  public func inDoubt(scope: String, now: Double) throws -> [JournalStanding] {
    try database.read(localNow: now) { transaction in
      let entries = try transaction.entries(scope: scope, ofPeopleIn: JournalRules.doubtfulStates)
      return JournalRules.inDoubt(among: entries, now: transaction.now).map {
        Self.shifted($0, by: -transaction.offset)
      }
    }
  }

  // MARK: Clocks

  private static func shifted(_ result: ClaimResult, by seconds: Double) -> ClaimResult {
    guard case .refused(let standing) = result else { return result }
    return .refused(shifted(standing, by: seconds))
  }

  private static func shifted(_ standing: JournalStanding, by seconds: Double) -> JournalStanding {
    switch standing {
    case .free: .free
    case .settled(let entry): .settled(entry.shifted(by: seconds))
    case .inDoubt(let entry): .inDoubt(entry.shifted(by: seconds))
    case .held(let entry): .held(entry.shifted(by: seconds))
    }
  }
}

/// A reserved send slot.
public struct StateReservation: Sendable, Hashable {
  /// Its row in the log.
  public var id: Int64
  /// When it may go out (the caller's clock).
  public var at: Double

  /// Creates a reservation.
  public init(id: Int64, at: Double) {
    self.id = id
    self.at = at
  }
}
