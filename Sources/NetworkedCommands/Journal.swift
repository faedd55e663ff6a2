import Foundation
import GRDB
public import ShellCore

/// Where a journal entry stands.
///
/// An entry is *claimed* when its row is accepted, *pending* once its intent is written (just
/// before its request leaves), then settled by the server's answer. At most one entry per
/// person and key is claimed or pending at a time: that is what keeps two processes from both
/// sending to one person.
public enum JournalState: String, Sendable, CaseIterable, Codable {
  /// Accepted by a run that will send it; nothing has gone out.
  case claimed
  /// Its request is going out now, or went out with no answer recorded (in doubt if its
  /// process is gone).
  case pending
  /// The server invited the person.
  case invited
  /// The server added the person (or says they are a member).
  case added
  /// The server refused; nothing happened.
  case failed
  /// The request may or may not have been carried out.
  case unknown
  /// The request certainly never reached the server.
  case notSent = "not_sent"
  /// An in-doubt entry a later entry (a reconcile) has taken over.
  case reconciled

  /// The states a person can be in doubt in (`pending` only when its process is gone).
  var mayBeInDoubt: Bool { self == .unknown || self == .pending }
  /// The states that settle a person.
  var settles: Bool { self == .invited || self == .added }
}

/// Which endpoint an entry's request went to.
public enum JournalOperationKind: String, Sendable, Codable {
  /// `POST …/invites/emails`.
  case invite
  /// `POST …/addExternalUsers`.
  case add
}

/// The operation an entry records, exactly as sent, so that `reconcile` can send it again.
/// A password is never stored: only whether one was sent.
public struct JournalOperation: Sendable, Hashable {
  /// The endpoint.
  public var kind: JournalOperationKind
  /// The email as sent.
  public var email: String
  /// The name as sent.
  public var name: String
  /// The role id (`tagId` or `roleId`).
  public var roleId: String
  /// The invite's note.
  public var note: String?
  /// The invite's `monetizationPlanIds`.
  public var planIds: [String]?
  /// The add's `planId`.
  public var planId: String?
  /// The add's `method` (1 invite, 2 direct).
  public var method: Int?
  /// Whether the add carried a password.
  public var passwordSet: Bool

  /// Creates an operation.
  public init(
    kind: JournalOperationKind, email: String, name: String, roleId: String, note: String? = nil,
    planIds: [String]? = nil, planId: String? = nil, method: Int? = nil, passwordSet: Bool = false
  ) {
    self.kind = kind
    self.email = email
    self.name = name
    self.roleId = roleId
    self.note = note
    self.planIds = planIds
    self.planId = planId
    self.method = method
    self.passwordSet = passwordSet
  }
}

/// One person's line in the journal for one attempt.
public struct JournalEntry: Sendable, Hashable {
  /// Its row id.
  public var id: Int64
  /// The run that wrote it.
  public var run: String
  /// What was (or is to be) sent.
  public var operation: JournalOperation
  /// The row number in that run's input.
  public var row: Int
  /// Which request of the run carried it (0 while only claimed).
  public var request: Int
  /// Where it stands.
  public var state: JournalState
  /// The server's invite id, when known.
  public var inviteId: String?
  /// The server's user id, when known.
  public var userId: String?
  /// The server's timestamp (epoch ms), when known.
  public var timeStamp: Int64?
  /// The error code, for `failed`, `unknown` and `not_sent`.
  public var error: ErrorCode?
  /// When it was written.
  public var created: Double
  /// When it last changed.
  public var updated: Double
  /// Who holds it while claimed or pending (nil for entries older than claims).
  public var owner: ClaimOwner?
  /// Until when the holder's claim stands for other hosts.
  public var leaseUntil: Double?
  /// The in-doubt entry this one re-sends (reconcile).
  public var supersedes: Int64?

  /// The email.
  public var email: String { operation.email }

  init(row: GRDB.Row) {
    let planIds: [String]? = (row["plan_ids"] as String?).flatMap {
      try? JSONDecoder().decode([String].self, from: Data($0.utf8))
    }
    let host: String? = row["host"]
    let pid: Int32? = row["pid"]
    id = row["id"]
    run = row["run"]
    operation = JournalOperation(
      kind: JournalOperationKind(rawValue: row["op"]) ?? .invite, email: row["email"], name: row["name"],
      roleId: row["role_id"], note: row["note"], planIds: planIds, planId: row["plan_id"], method: row["method"],
      passwordSet: (row["password_set"] as Int?) == 1)
    self.row = row["row"]
    request = row["request"]
    state = JournalState(rawValue: row["state"]) ?? .unknown
    inviteId = row["invite_id"]
    userId = row["user_id"]
    timeStamp = row["time_stamp"]
    error = (row["error"] as String?).map { ErrorCode(rawValue: $0) }
    created = row["created"]
    updated = row["updated"]
    owner = host.flatMap { host in
      pid.map { ClaimOwner(run: row["run"], host: host, pid: $0, pidStart: row["pid_start"]) }
    }
    leaseUntil = row["lease_until"]
    supersedes = row["supersedes"]
  }

  /// Whether its holder is still at work on it (claimed or pending, holder alive).
  func isHeld(now: Double) -> Bool {
    (state == .claimed || state == .pending)
      && ProcessIdentity.isAlive(
        host: owner?.host, pid: owner?.pid, pidStart: owner?.pidStart, leaseUntil: leaseUntil, now: now)
  }
}

/// What the journal says of one person before anything is sent to them.
public enum JournalStanding: Sendable {
  /// Nothing stands in the way.
  case free
  /// Already invited or added (the entry that says so).
  case settled(JournalEntry)
  /// An earlier request may have reached the server: only `reconcile` sends again.
  case inDoubt(JournalEntry)
  /// Another run (usually another process) holds the person now.
  case held(JournalEntry)

  /// From one person's entries, oldest first. `reinvite` looks past settled entries (never
  /// past a holder or a doubt).
  static func of(_ entries: [JournalEntry], reinvite: Bool, now: Double) -> JournalStanding {
    // A claim whose holder is gone sent nothing: it is as if it were not there.
    let entries = entries.filter { $0.state != .claimed || $0.isHeld(now: now) }
    if let holder = entries.last(where: { $0.isHeld(now: now) }) { return .held(holder) }
    if !reinvite, let settled = entries.last(where: { $0.state.settles }) { return .settled(settled) }
    // An entry that re-sent a doubt and got somewhere (an answer, or a request in flight)
    // takes the doubt over; one that was certainly not sent does not.
    let superseded = Set(entries.filter { $0.state != .notSent && $0.state != .failed }.compactMap(\.supersedes))
    if let doubt = entries.last(where: { $0.state.mayBeInDoubt && !superseded.contains($0.id) }),
      !entries.contains(where: { $0.id > doubt.id && $0.state.settles })
    {
      return .inDoubt(doubt)
    }
    return .free
  }
}

/// The result of trying to claim a person.
public enum ClaimResult: Sendable {
  /// Claimed: the entry's id.
  case claimed(Int64)
  /// Not claimed, because of this standing.
  case refused(JournalStanding)
}

/// An outcome to record for a journal entry.
public struct JournalOutcome: Sendable {
  /// The entry.
  public var id: Int64
  /// Its new state.
  public var state: JournalState
  /// Invite id, user id, timestamp, error code (when known).
  public var inviteId: String?, userId: String?, timeStamp: Int64?, error: ErrorCode?

  /// Creates an outcome.
  public init(
    id: Int64, state: JournalState, inviteId: String? = nil, userId: String? = nil, timeStamp: Int64? = nil,
    error: ErrorCode? = nil
  ) {
    self.id = id
    self.state = state
    self.inviteId = inviteId
    self.userId = userId
    self.timeStamp = timeStamp
    self.error = error
  }
}

extension StateStore {
  /// How long a claim stands for other hosts without being renewed.
  static let claimLease = 600.0

  /// Claims `operation`'s person for `owner`, in one transaction that first reads what the
  /// journal holds for them: the claim is made only when they are free (or, for `reconcile`,
  /// when they are in doubt: pass the entry being re-sent as `supersedes`). Claims whose
  /// holder is gone are dropped on the way: nothing was sent for them.
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool,
    supersedes: Int64? = nil
  ) throws -> ClaimResult {
    try writeRelaxed { db in
      let entries = try Self.entries(db, scope: scope, email: operation.email)
      let stale = entries.filter { $0.state == .claimed && !$0.isHeld(now: now) }.map(\.id)
      if !stale.isEmpty {
        try db.execute(sql: "DELETE FROM journal WHERE id IN (\(stale.map(String.init).joined(separator: ",")))")
      }
      // A request whose process died before recording the answer is in doubt: say so, which
      // also frees the person's claim slot for the reconcile that will settle them.
      let orphaned = entries.filter { $0.state == .pending && !$0.isHeld(now: now) }.map(\.id)
      if !orphaned.isEmpty {
        try db.execute(
          sql: """
            UPDATE journal SET state = 'unknown', error = coalesce(error, 'in_doubt'), updated = ?
            WHERE id IN (\(orphaned.map(String.init).joined(separator: ",")))
            """,
          arguments: [now])
      }
      let live = entries.filter { !stale.contains($0.id) }.map { entry in
        var entry = entry
        if orphaned.contains(entry.id) { entry.state = .unknown }
        return entry
      }
      let standing = JournalStanding.of(live, reinvite: reinvite, now: now)
      switch (standing, supersedes) {
      case (.free, nil): break
      case (.inDoubt(let doubt), let superseded?) where doubt.id == superseded: break
      default: return .refused(standing)
      }
      let planIds = try operation.planIds.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
      try db.execute(
        sql: """
          INSERT INTO journal (run, scope, op, email, email_key, name, role_id, note, plan_ids, plan_id, method,
            password_set, row, request, state, created, updated, host, pid, pid_start, lease_until, supersedes)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'claimed', ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          owner.run, scope, operation.kind.rawValue, operation.email, operation.email.lowercased(), operation.name,
          operation.roleId, operation.note, planIds, operation.planId, operation.method, operation.passwordSet ? 1 : 0,
          row, now, now, owner.host, Int(owner.pid), owner.pidStart, now + Self.claimLease, supersedes,
        ])
      return .claimed(db.lastInsertedRowID)
    }
  }

  /// What the journal holds for `email` now (a read: dry runs use it; sending claims instead).
  public func standing(scope: String, email: String, reinvite: Bool, now: Double) throws -> JournalStanding {
    try queue.read { db in
      JournalStanding.of(try Self.entries(db, scope: scope, email: email), reinvite: reinvite, now: now)
    }
  }

  /// Turns claims into intents (`pending`, with their request number) in one durable
  /// transaction, just before the request leaves. Only entries still claimed by `owner` move;
  /// the ids returned are those: anything else must not be sent.
  public func intend(_ ids: [Int64], request: Int, owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try queue.write { db in
      var moved = Set<Int64>()
      for id in ids {
        try db.execute(
          sql: """
            UPDATE journal SET state = 'pending', request = ?, updated = ?, lease_until = ?
            WHERE id = ? AND state = 'claimed' AND run = ? AND pid = ? AND host = ?
            """,
          arguments: [request, now, now + Self.claimLease, id, owner.run, Int(owner.pid), owner.host])
        if db.changesCount == 1 { moved.insert(id) }
      }
      return moved
    }
  }

  /// Records outcomes in one durable transaction (before their results are printed). An entry
  /// that settles a person also retires the in-doubt entries it re-sent.
  public func record(_ outcomes: [JournalOutcome], at time: Double) throws {
    try queue.write { db in
      for outcome in outcomes {
        try db.execute(
          sql: """
            UPDATE journal SET state = ?, invite_id = coalesce(?, invite_id), user_id = coalesce(?, user_id),
              time_stamp = coalesce(?, time_stamp), error = ?, updated = ? WHERE id = ?
            """,
          arguments: [
            outcome.state.rawValue, outcome.inviteId, outcome.userId, outcome.timeStamp, outcome.error?.rawValue, time,
            outcome.id,
          ])
        guard outcome.state != .notSent,
          let row = try GRDB.Row.fetchOne(
            db, sql: "SELECT scope, email_key, supersedes FROM journal WHERE id = ?", arguments: [outcome.id]),
          (row["supersedes"] as Int64?) != nil
        else { continue }
        // A re-send with an answer (even an unclear one, which carries the doubt on) retires
        // every earlier in-doubt entry for the person.
        try db.execute(
          sql: """
            UPDATE journal SET state = 'reconciled', updated = ?
            WHERE scope = ? AND email_key = ? AND id < ? AND state IN ('unknown', 'pending')
            """,
          arguments: [time, row["scope"] as String, row["email_key"] as String, outcome.id])
      }
    }
  }

  /// Gives up claims that were never sent (the run stopped, or ended, before their request).
  public func release(_ ids: [Int64]) throws {
    guard !ids.isEmpty else { return }
    try writeRelaxed { db in
      try db.execute(
        sql: "DELETE FROM journal WHERE state = 'claimed' AND id IN (\(ids.map(String.init).joined(separator: ",")))")
    }
  }

  /// Gives up every claim `owner` still holds.
  public func release(owner: ClaimOwner) throws {
    try writeRelaxed { db in
      try db.execute(
        sql: "DELETE FROM journal WHERE state = 'claimed' AND run = ? AND pid = ? AND host = ?",
        arguments: [owner.run, Int(owner.pid), owner.host])
    }
  }

  /// Renews the lease on everything `owner` holds (claims and requests in flight).
  public func renew(owner: ClaimOwner, now: Double) throws {
    try writeRelaxed { db in
      try db.execute(
        sql: """
          UPDATE journal SET lease_until = ? WHERE state IN ('claimed', 'pending') AND run = ? AND pid = ? AND host = ?
          """,
        arguments: [now + Self.claimLease, owner.run, Int(owner.pid), owner.host])
    }
  }

  /// Journal entries in `scope`, oldest first, optionally of one run or in some states.
  public func journalEntries(scope: String, run: String? = nil, states: [JournalState]? = nil) throws -> [JournalEntry]
  {
    try queue.read { db in
      var sql = "SELECT * FROM journal WHERE scope = ?"
      var arguments: StatementArguments = [scope]
      if let run {
        sql += " AND run = ?"
        arguments += [run]
      }
      if let states, !states.isEmpty {
        sql += " AND state IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
        for state in states { arguments += [state.rawValue] }
      }
      sql += " ORDER BY id"
      return try GRDB.Row.fetchAll(db, sql: sql, arguments: arguments).map(JournalEntry.init(row:))
    }
  }

  /// The people in doubt in `scope` with the entry that put each in doubt, oldest first:
  /// what `reconcile` settles. People held by a live run are listed with that holder instead.
  public func inDoubt(scope: String, now: Double) throws -> [JournalStanding] {
    try queue.read { db in
      let rows = try GRDB.Row.fetchAll(
        db,
        sql: """
          SELECT * FROM journal WHERE scope = ? AND email_key IN
            (SELECT email_key FROM journal WHERE scope = ? AND state IN ('unknown', 'pending'))
          ORDER BY id
          """,
        arguments: [scope, scope])
      var order: [String] = []
      var byPerson: [String: [JournalEntry]] = [:]
      for row in rows {
        let entry = JournalEntry(row: row)
        let key = entry.email.lowercased()
        if byPerson[key] == nil { order.append(key) }
        byPerson[key, default: []].append(entry)
      }
      return order.compactMap { key in
        switch JournalStanding.of(byPerson[key]!, reinvite: true, now: now) {
        case .inDoubt(let entry): return .inDoubt(entry)
        case .held(let entry) where byPerson[key]!.contains(where: { $0.state == .unknown }): return .held(entry)
        default: return nil
        }
      }
    }
  }

  private static func entries(_ db: Database, scope: String, email: String) throws -> [JournalEntry] {
    try GRDB.Row.fetchAll(
      db,
      sql: """
        SELECT * FROM journal WHERE scope = ? AND email_key = ?
          AND state IN ('claimed', 'pending', 'invited', 'added', 'unknown', 'not_sent', 'failed') ORDER BY id
        """,
      arguments: [scope, email.lowercased()]
    ).map(JournalEntry.init(row:))
  }

  /// A write transaction (`IMMEDIATE`) committed without waiting for the disk: for claims,
  /// which need the lock but not durability (a claim lost in a crash is a claim whose process
  /// is gone, and nothing is sent without the durable intent that checks it).
  private func writeRelaxed<T>(_ body: (Database) throws -> T) throws -> T {
    try queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
      var result: T?
      try db.inTransaction(.immediate) {
        result = try body(db)
        return .commit
      }
      return result!
    }
  }
}
