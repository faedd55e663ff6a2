import Foundation
import ShellCore

/// The journal: claims, intents, answers and their takeover, each a rule over one transaction.
extension StateStore {
  // MARK: The journal

  /// Claims `operation`'s person for `owner` when they are free (or, for `reconcile`, in doubt
  /// with `supersedes` the entry being re-sent). Claims whose holder is gone are taken over on
  /// the way (deleted at the version judged: nothing was sent for them); intents whose holder is
  /// gone become in doubt (at the version judged). Should another process change one of them
  /// between the read and the write, the person is read and judged again. Claiming again what
  /// `owner` already holds for `row` returns that claim (a retried call is harmless).
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool,
    supersedes: Int64? = nil
  ) throws -> ClaimResult {
    let emailKey = operation.email.lowercased()
    return try database.transaction(lock: "person:\(scope)\n\(emailKey)", durable: false, localNow: now) {
      transaction in
      let now = transaction.now
      for _ in 0..<Self.attempts {
        let decision = JournalRules.ClaimDecision(
          entries: try transaction.entries(scope: scope, emailKey: emailKey), row: row, owner: owner, now: now,
          reinvite: reinvite, supersedes: supersedes)
        var judged = try transaction.delete(decision.stale) == decision.stale.count
        for var orphan in decision.orphaned {
          // A request whose process died before recording the answer is in doubt: say so, which
          // also frees the person's claim slot for the reconcile that will settle them.
          orphan.state = .unknown
          orphan.error = orphan.error ?? .inDoubt
          orphan.updated = now
          judged = try transaction.update(orphan) && judged
        }
        // Something moved on since it was read (its holder woke, say): judge the person again.
        guard judged else { continue }
        if let answer = decision.answer { return Self.shifted(answer, by: -transaction.offset) }
        let entry = JournalEntry(
          id: 0, run: owner.run, operation: operation, row: row, request: 0, state: .claimed, created: now,
          updated: now, owner: owner, leaseUntil: now + lease, supersedes: supersedes)
        return .claimed(try transaction.insert(entry, scope: scope))
      }
      throw StateConflict(what: "claiming \(operation.email)")
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
  /// durably, just before the request leaves, each a compare-and-set on the version read; returns
  /// the ids that moved: only those are sent. An intent is written on a running lease only: a
  /// claim of `owner`'s own whose lease ran out while its process was stopped or asleep is first
  /// taken over, as any process may take a stale claim — at the version read, which proves nobody
  /// else has judged it meanwhile — in the same transaction.
  public func intend(_ ids: [Int64], request: Int, owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try database.transaction(lock: nil, durable: true, localNow: now) { transaction in
      try Self.rewrite(ids, owner: owner, in: transaction) { entry in
        if entry.state == .pending && entry.request == request { return .done }  // run again after a lost connection
        guard entry.state == .claimed else { return .lost }
        entry.state = .pending
        entry.request = request
        entry.updated = transaction.now
        entry.leaseUntil = transaction.now + lease
        return .write
      }
    }
  }

  /// Takes intents back to claims, with a new lease: their request certainly did not reach the
  /// server (a 429, a 503, a failed connection, a request held back at its fence) and will be
  /// tried again. Only `owner`'s own, at the version read: an intent another process has judged
  /// meanwhile stays as it judged it. Returns the ids that are claims of `owner`'s now.
  public func withdraw(_ ids: [Int64], owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try database.transaction(lock: nil, durable: true, localNow: now) { transaction in
      try Self.rewrite(ids, owner: owner, in: transaction) { entry in
        guard entry.state.isHeldState else { return .lost }
        entry.state = .claimed
        entry.request = 0
        entry.updated = transaction.now
        entry.leaseUntil = transaction.now + lease
        return .write
      }
    }
  }

  /// What a rule does with one of its owner's entries, read in its transaction.
  private enum Rewrite {
    /// Write the changed entry (a compare-and-set).
    case write
    /// Nothing to write: the entry already is what the rule makes it.
    case done
    /// Not the owner's to change any more.
    case lost
  }

  /// Applies `change` to each of `owner`'s entries among `ids`, writing each at the version read;
  /// an entry that moved on meanwhile (a renewal by this process's lease keeper on another
  /// connection) is read and judged again. Returns the ids changed (or already so).
  private static func rewrite(
    _ ids: [Int64], owner: ClaimOwner, in transaction: any StateTransaction, _ change: (inout JournalEntry) -> Rewrite
  ) throws -> Set<Int64> {
    var changed = Set<Int64>()
    var pending = ids
    for _ in 0..<attempts where !pending.isEmpty {
      var again: [Int64] = []
      for var entry in try transaction.entries(ids: pending) where entry.owner == owner {
        switch change(&entry) {
        case .done: changed.insert(entry.id)
        case .lost: break
        case .write:
          if try transaction.update(entry) { changed.insert(entry.id) } else { again.append(entry.id) }
        }
      }
      pending = again
    }
    return changed
  }

  /// What to record: an answer for one of `owner`'s intents, and the person's operation (should
  /// the intent be gone, the answer is journalled on an entry of its own).
  public struct Record: Sendable {
    /// The outcome.
    public var outcome: JournalOutcome
    /// The person, as sent.
    public var operation: JournalOperation
    /// The input row.
    public var row: Int

    /// Creates a record.
    public init(_ outcome: JournalOutcome, operation: JournalOperation, row: Int) {
      self.outcome = outcome
      self.operation = operation
      self.row = row
    }
  }

  /// Records outcomes of `owner`'s request `request` durably (before their results are
  /// printed), each on its intent at the version read. A re-send with an answer retires the
  /// in-doubt entries it re-sent.
  ///
  /// An intent that another process judged in doubt while this one was stopped past its lease
  /// gets the answer all the same (it is the truth), unless a re-send has taken the doubt over
  /// meanwhile (a `reconcile` may have sent to the person too): then the answer is journalled on
  /// an entry of its own (error `journal_conflict`), and its id is returned, so that the result
  /// says the person is in doubt rather than what this process alone was told.
  public func record(_ records: [Record], scope: String, owner: ClaimOwner, request: Int, at time: Double) throws
    -> Set<Int64>
  {
    guard !records.isEmpty else { return [] }
    return try database.transaction(lock: nil, durable: true, localNow: time) { transaction in
      var conflicts = Set<Int64>()
      for record in records {
        let outcome = record.outcome
        var written: JournalEntry?
        var taken = false
        for _ in 0..<Self.attempts where written == nil && !taken {
          guard var entry = try transaction.entries(ids: [outcome.id]).first, entry.owner == owner,
            entry.request == request
          else {
            taken = true
            break
          }
          let person = try transaction.entries(scope: scope, emailKey: entry.email.lowercased())
          switch entry.state {
          case .pending:
            break
          case .unknown where entry.error == .inDoubt && !person.contains(where: { $0.supersedes == entry.id }):
            break  // judged in doubt meanwhile, and nobody re-sent: the answer is still the truth
          case outcome.state
          where entry.error == outcome.error && entry.inviteId == (outcome.inviteId ?? entry.inviteId):
            written = entry  // this very call, run again after a lost connection
            continue
          default:
            taken = true
            continue
          }
          entry.state = outcome.state
          entry.inviteId = outcome.inviteId ?? entry.inviteId
          entry.userId = outcome.userId ?? entry.userId
          entry.timeStamp = outcome.timeStamp ?? entry.timeStamp
          entry.error = outcome.error
          entry.updated = transaction.now
          if try transaction.update(entry) { written = entry }
        }
        guard let entry = written, !taken else {
          conflicts.insert(outcome.id)
          try journalConflict(record, request: request, owner: owner, scope: scope, in: transaction)
          continue
        }
        try retire(by: entry, scope: scope, in: transaction)
      }
      return conflicts
    }
  }

  /// Marks the earlier doubts `entry` (a re-send, just answered) takes over as reconciled, each
  /// at the version read (read again if it moved on).
  private func retire(by entry: JournalEntry, scope: String, in transaction: any StateTransaction) throws {
    for _ in 0..<Self.attempts {
      let person = try transaction.entries(scope: scope, emailKey: entry.email.lowercased())
      var settled = true
      for var retired in JournalRules.retired(by: entry, among: person) {
        retired.state = .reconciled
        retired.updated = transaction.now
        settled = try transaction.update(retired) && settled
      }
      if settled { return }
    }
  }

  /// Journals an answer whose intent was taken over, on an entry of its own (once).
  private func journalConflict(
    _ record: Record, request: Int, owner: ClaimOwner, scope: String, in transaction: any StateTransaction
  ) throws {
    let person = try transaction.entries(scope: scope, emailKey: record.operation.email.lowercased())
    guard
      !person.contains(where: {
        $0.run == owner.run && $0.row == record.row && $0.request == request && $0.error == .journalConflict
      })
    else { return }
    let outcome = record.outcome
    _ = try transaction.insert(
      JournalEntry(
        id: 0, run: owner.run, operation: record.operation, row: record.row, request: request, state: outcome.state,
        inviteId: outcome.inviteId, userId: outcome.userId, timeStamp: outcome.timeStamp, error: .journalConflict,
        created: transaction.now, updated: transaction.now),
      scope: scope)
  }

  /// Gives up claims of `owner`'s that were never sent (each at the version read: a claim that
  /// has moved on is another's now, and stays).
  public func release(_ ids: [Int64], owner: ClaimOwner, now: Double) throws {
    guard !ids.isEmpty else { return }
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      _ = try transaction.delete(
        try transaction.entries(ids: ids).filter { $0.state == .claimed && $0.owner == owner })
    }
  }

  /// Gives up every claim `owner`'s run still holds.
  public func release(owner: ClaimOwner, now: Double) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      let held = try transaction.entries(heldBy: owner.process, states: [.claimed])
      _ = try transaction.delete(held.filter { $0.owner == owner })
    }
  }

  /// Renews the lease on what `process` holds (claims and intents) whose lease is still running,
  /// in one statement that changes each entry's version (so a process judging the old lease
  /// meanwhile finds the entry moved on); returns the ids renewed. An entry whose lease ran out
  /// is left as it is: another process may be judging it; its holder takes it back, if nobody
  /// did, when it next writes its intent.
  @discardableResult public func renew(process: ProcessIdentity, now: Double) throws -> Set<Int64> {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      try transaction.extendLeases(
        heldBy: process, states: [.claimed, .pending], runningAt: transaction.now, until: transaction.now + lease)
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

  /// How far ahead of now a request may have been reserved, or a pause set, before it counts as
  /// stamped by a clock that was ahead (a test clock, a clock stepped back since): then it is
  /// dropped, and never holds a run back.
  static let futureTolerance = 60.0

  /// Drops what a clock ahead of this one stamped in `scope`.
  static func dropFuture(_ transaction: any StateTransaction, scope: String) throws {
    _ = try transaction.dropFuture(scope: scope, after: transaction.now + futureTolerance)
  }

  /// How often a rule reads and judges again when what it read moved on before it wrote.
  static let attempts = 8
}
