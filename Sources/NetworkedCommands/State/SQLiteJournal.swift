import Foundation
import GRDB
import ShellCore

extension SQLiteStateStore {
  static let claimLease = RequestLogRules.claimLease

  /// Claims `operation`'s person for `owner`, in one transaction that first reads what the
  /// journal holds for them: the claim is made only when they are free (or, for `reconcile`,
  /// when they are in doubt: pass the entry being re-sent as `supersedes`). Claims whose
  /// holder is gone are dropped on the way: nothing was sent for them.
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool,
    supersedes: Int64?
  ) throws -> ClaimResult {
    try writeRelaxed { db in
      let entries = try Self.entries(db, scope: scope, email: operation.email)
      let decision = ClaimDecision(
        entries: entries, row: row, owner: owner, now: now, reinvite: reinvite, supersedes: supersedes)
      if !decision.stale.isEmpty {
        try db.execute(
          sql: "DELETE FROM journal WHERE id IN (\(decision.stale.map(String.init).joined(separator: ",")))")
      }
      // A request whose process died before recording the answer is in doubt: say so, which
      // also frees the person's claim slot for the reconcile that will settle them.
      if !decision.orphaned.isEmpty {
        try db.execute(
          sql: """
            UPDATE journal SET state = 'unknown', error = coalesce(error, 'in_doubt'), updated = ?
            WHERE id IN (\(decision.orphaned.map(String.init).joined(separator: ",")))
            """,
          arguments: [now])
      }
      if let answer = decision.answer { return answer }
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
  public func journalEntries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
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
      return JournalStanding.inDoubt(among: rows.map(JournalEntry.init(row:)), now: now)
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

extension JournalEntry {
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
}
