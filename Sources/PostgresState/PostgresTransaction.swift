import NetworkedCommands
import PostgresNIO
import ShellCore

/// One PostgreSQL transaction's reads and writes for ``StateStore``: rows in, rows out, no
/// decision (the rules are ``JournalRules``'). Times are the database's.
struct PostgresTransaction: StateTransaction {
  let statements: PostgresDatabase.Statements
  let now: Double
  let offset: Double

  // MARK: The request log

  func requests(scope: String, since: Double) throws -> [(at: Double, completed: Double?)] {
    try statements.rows(
      "SELECT at, completed FROM nwsh_request_log WHERE scope = \(scope) AND (at > \(since) OR completed > \(since))"
    ).map { row in
      let (at, completed) = try row.decode((Double, Double?).self)
      return (at, completed)
    }
  }

  func latestSlot(scope: String) throws -> Double {
    try statements.rows("SELECT coalesce(max(at), 0) FROM nwsh_request_log WHERE scope = \(scope)").first!.decode(
      Double.self)
  }

  func logRequest(scope: String, at: Double, reserved: Double, method: String, path: String, process: ProcessIdentity)
    throws -> Int64
  {
    try statements.rows(
      """
      INSERT INTO nwsh_request_log (scope, at, reserved, method, path, host, pid)
      VALUES (\(scope), \(at), \(reserved), \(method), \(path), \(process.host), \(Int(process.pid))) RETURNING id
      """
    ).first!.decode(Int64.self)
  }

  func finishRequest(id: Int64, at: Double, status: Int?) throws {
    try statements.rows("UPDATE nwsh_request_log SET completed = \(at), status = \(status) WHERE id = \(id)")
  }

  func deleteRequest(id: Int64) throws {
    try statements.rows("DELETE FROM nwsh_request_log WHERE id = \(id)")
  }

  func deleteRequests(before time: Double) throws {
    try statements.rows("DELETE FROM nwsh_request_log WHERE at < \(time)")
  }

  func pausedUntil(scope: String) throws -> Double {
    try statements.rows("SELECT until FROM nwsh_pause WHERE scope = \(scope)").first?.decode(Double.self) ?? 0
  }

  func setPause(scope: String, until time: Double, since: Double, reason: String) throws {
    try statements.rows(
      """
      INSERT INTO nwsh_pause (scope, until, since, reason) VALUES (\(scope), \(time), \(since), \(reason))
      ON CONFLICT (scope) DO UPDATE SET until = excluded.until, since = excluded.since, reason = excluded.reason
      """)
  }

  func dropFuture(scope: String, after time: Double) throws -> Int {
    let dropped = try statements.changes(
      """
      DELETE FROM nwsh_request_log
      WHERE scope = \(scope) AND (reserved > \(time) OR (reserved IS NULL AND at > \(time + 7200)))
      """)
    // A pause from before `since` was kept: dropped when it ends further ahead than any
    // Retry-After nwsh accepts (an hour) could have set.
    try statements.rows(
      """
      DELETE FROM nwsh_pause
      WHERE scope = \(scope) AND (since > \(time) OR (since IS NULL AND until > \(time + 7200)))
      """)
    return dropped
  }

  // MARK: The journal

  func entries(scope: String, emailKey: String) throws -> [JournalEntry] {
    try fetch(
      statements.rows("SELECT * FROM nwsh_journal WHERE scope = \(scope) AND email_key = \(emailKey) ORDER BY id"))
  }

  func entries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
    let states = (states ?? []).map(\.rawValue)
    return try fetch(
      statements.rows(
        """
        SELECT * FROM nwsh_journal WHERE scope = \(scope) AND (\(run)::text IS NULL OR run = \(run))
          AND (cardinality(\(states)::text[]) = 0 OR state = ANY(\(states)))
        ORDER BY id
        """))
  }

  func entries(scope: String, ofPeopleIn states: [JournalState]) throws -> [JournalEntry] {
    let states = states.map(\.rawValue)
    return try fetch(
      statements.rows(
        """
        SELECT * FROM nwsh_journal WHERE scope = \(scope) AND email_key IN
          (SELECT email_key FROM nwsh_journal WHERE scope = \(scope) AND state = ANY(\(states)))
        ORDER BY id
        """))
  }

  func entries(ids: [Int64]) throws -> [JournalEntry] {
    guard !ids.isEmpty else { return [] }
    return try fetch(statements.rows("SELECT * FROM nwsh_journal WHERE id = ANY(\(ids)) ORDER BY id"))
  }

  func entries(heldBy process: ProcessIdentity, states: [JournalState]) throws -> [JournalEntry] {
    let states = states.map(\.rawValue)
    // The pid and host narrow it down (an index); the whole identity decides.
    return try fetch(
      statements.rows(
        """
        SELECT * FROM nwsh_journal WHERE pid = \(Int(process.pid)) AND host = \(process.host)
          AND state = ANY(\(states)) ORDER BY id
        """)
    ).filter { $0.owner?.process == process }
  }

  func insert(_ entry: JournalEntry, scope: String) throws -> Int64 {
    let operation = entry.operation
    let owner = entry.owner?.process
    return try statements.rows(
      """
      INSERT INTO nwsh_journal (run, scope, op, email, email_key, name, role_id, note, plan_ids, plan_id, method,
        password_set, row_number, request, state, invite_id, user_id, time_stamp, error, created, updated, host,
        machine, pid_ns, pid, pid_start, lease_until, supersedes, version)
      VALUES (\(entry.run), \(scope), \(operation.kind.rawValue), \(operation.email), \(operation.email.lowercased()),
        \(operation.name), \(operation.roleId), \(operation.note), \(JournalColumns.planIds(operation.planIds)),
        \(operation.planId), \(operation.method), \(operation.passwordSet), \(entry.row), \(entry.request),
        \(entry.state.rawValue), \(entry.inviteId), \(entry.userId), \(entry.timeStamp), \(entry.error?.rawValue),
        \(entry.created), \(entry.updated), \(owner?.host), \(owner?.machine), \(owner?.pidNamespace),
        \(owner.map { Int($0.pid) }), \(owner?.start), \(entry.leaseUntil), \(entry.supersedes), 0)
      RETURNING id
      """
    ).first!.decode(Int64.self)
  }

  func update(_ entry: JournalEntry) throws -> Bool {
    try statements.changes(
      """
      UPDATE nwsh_journal SET state = \(entry.state.rawValue), request = \(entry.request),
        invite_id = \(entry.inviteId), user_id = \(entry.userId), time_stamp = \(entry.timeStamp),
        error = \(entry.error?.rawValue), updated = \(entry.updated), lease_until = \(entry.leaseUntil),
        version = version + 1
      WHERE id = \(entry.id) AND version = \(entry.version)
      """) == 1
  }

  func extendLeases(heldBy process: ProcessIdentity, states: [JournalState], runningAt: Double, until: Double) throws
    -> Set<Int64>
  {
    let states = states.map(\.rawValue)
    return Set(
      try statements.rows(
        """
        UPDATE nwsh_journal SET lease_until = \(until), version = version + 1
        WHERE pid = \(Int(process.pid)) AND host = \(process.host) AND machine IS NOT DISTINCT FROM \(process.machine)
          AND pid_ns IS NOT DISTINCT FROM \(process.pidNamespace) AND pid_start IS NOT DISTINCT FROM \(process.start)
          AND lease_until > \(runningAt) AND state = ANY(\(states))
        RETURNING id
        """
      ).map { try $0.decode(Int64.self) })
  }

  func markJoined(_ ids: [Int64], at time: Double) throws {
    guard !ids.isEmpty else { return }
    try statements.rows("UPDATE nwsh_journal SET joined = \(time) WHERE joined IS NULL AND id = ANY(\(ids))")
  }

  func delete(_ entries: [JournalEntry]) throws -> Int {
    guard !entries.isEmpty else { return 0 }
    let ids = entries.map(\.id)
    let versions = entries.map(\.version)
    return try statements.changes(
      """
      DELETE FROM nwsh_journal USING unnest(\(ids)::bigint[], \(versions)::integer[]) AS judged(id, version)
      WHERE nwsh_journal.id = judged.id AND nwsh_journal.version = judged.version
      """)
  }

  func forget(scope: String) throws -> Int {
    let count = try statements.changes("DELETE FROM nwsh_journal WHERE scope = \(scope)")
    try statements.rows("DELETE FROM nwsh_request_log WHERE scope = \(scope)")
    try statements.rows("DELETE FROM nwsh_pause WHERE scope = \(scope)")
    return count
  }

  private func fetch(_ rows: [PostgresRow]) throws -> [JournalEntry] {
    try rows.map { try JournalColumns.entry(Columns(cells: $0.makeRandomAccess())) }
  }

  /// A row's cells by SQLite's column names (`row` is `row_number` here, a reserved word).
  private struct Columns: JournalRowReading {
    let cells: PostgresRandomAccessRow

    private func cell(_ column: String) -> PostgresCell { cells[column == "row" ? "row_number" : column] }

    func text(_ column: String) throws -> String? { try cell(column).decode(String?.self) }

    func integer(_ column: String) throws -> Int64? {
      if column == "password_set" { return try cell(column).decode(Bool.self) ? 1 : 0 }
      return try cell(column).decode(Int64?.self)
    }

    func real(_ column: String) throws -> Double? { try cell(column).decode(Double?.self) }
  }
}
