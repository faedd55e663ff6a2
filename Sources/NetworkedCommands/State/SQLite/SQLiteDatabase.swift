import Foundation
import GRDB
import ShellCore

/// The state in a SQLite file (through GRDB): nwsh's default `StateDatabase`.
///
/// One file per user, `$XDG_STATE_HOME/nwsh/state.sqlite` (by default
/// `~/.local/state/nwsh/state.sqlite`), mode 0600 in a 0700 directory. Every nwsh process on
/// this machine using the same key reads and writes the same rows, under SQLite's locking, so
/// they share one rate budget and one journal. Every write transaction is `IMMEDIATE`: it holds
/// the file's write lock from its first read, which serializes it with every other writer
/// (the locks `StateDatabase` names are all covered by that one).
package final class SQLiteDatabase: StateDatabase {
  /// Where the database lives.
  package let path: String
  // GRDB's queue serializes every use of the connection: it is Sendable.
  let queue: DatabaseQueue

  package var location: String { path }

  /// Opens (creating if needed) the database at `path`.
  ///
  /// The file and SQLite's `-wal` and `-shm` files beside it are 0600 whatever the umask, and
  /// the directory is made 0700 when this user owns it: the journal holds names and emails.
  package init(path given: String) throws {
    // A relative path is the working directory's.
    let path = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
    self.path = path
    // Nothing that is not an SQLite database (a directory, a script, a home) is opened, made
    // private or written: a state location given by mistake must change nothing on disk.
    try Self.checkIsDatabase(path)
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    Self.makePrivate(directory: directory, database: path)
    var configuration = Configuration()
    configuration.busyMode = .timeout(30)
    configuration.label = "nwsh-state"
    // WAL: one fsync per commit, and readers in other processes never block the writer.
    configuration.journalMode = .wal
    configuration.prepareDatabase { db in
      // Every commit reaches the disk before the call returns, unless a transaction says
      // otherwise (transaction(durable: false)).
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    // Two processes may create the file at once. Switching a new file to WAL needs a moment
    // alone with it (SQLite answers "locked" rather than wait), and the schema statements are
    // idempotent, so a lost race is simply tried again.
    var attempt = 0
    while true {
      do {
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(queue)
        self.queue = queue
        break
      } catch {
        attempt += 1
        if attempt >= 20 { throw error }
        usleep(useconds_t(10_000 * attempt))
      }
    }
    Self.makePrivate(directory: directory, database: path)
  }

  /// Throws unless `path` is free, or an SQLite database file (or an empty file, as a database
  /// just created is).
  static func checkIsDatabase(_ path: String) throws {
    // stat, not lstat: a symbolic link to a state database is that database.
    var status = stat()
    guard stat(path, &status) == 0 else {
      guard errno == ENOENT else { throw SQLiteStateError("\(path): \(String(cString: strerror(errno)))") }
      return
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      if status.st_mode & S_IFMT == S_IFDIR {
        throw SQLiteStateError(
          "\(path) is a directory, not a state database: name a file, such as \(path)/state.sqlite")
      }
      throw SQLiteStateError("\(path) is not a regular file (a device, a pipe…), not a state database: name a file")
    }
    guard status.st_size > 0 else { return }
    let header = Array("SQLite format 3\0".utf8)
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw SQLiteStateError("\(path): \(String(cString: strerror(errno)))")
    }
    defer { try? handle.close() }
    guard (try? handle.read(upToCount: header.count)).map(Array.init) == header else {
      throw SQLiteStateError("\(path) is not an SQLite database; nwsh leaves it as it is (name another file)")
    }
  }

  /// Creates the database file 0600 before SQLite does (SQLite gives its `-wal` and `-shm`
  /// files the database's mode), and tightens existing files and a directory we own.
  static func makePrivate(directory: String, database: String) {
    var status = stat()
    // Only nwsh's own directory: a directory the user named for the database is theirs.
    if (directory as NSString).lastPathComponent == "nwsh", stat(directory, &status) == 0, status.st_uid == getuid(),
      status.st_mode & 0o077 != 0
    {
      chmod(directory, 0o700)
    }
    // O_EXCL: an existing file is never opened here. Closing any descriptor of a database file
    // drops every POSIX lock this process holds on it, SQLite's included; another process would
    // then think it alone and reset the WAL under this one (the race test caught exactly that).
    let descriptor = open(database, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if descriptor >= 0 { close(descriptor) }
    for file in [database, database + "-wal", database + "-shm", database + "-journal"] {
      // Regular files only (lstat: a link is not followed to whatever it names).
      if lstat(file, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_mode & 0o077 != 0 {
        chmod(file, 0o600)
      }
    }
  }

  package func transaction<T>(
    lock: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T
  ) throws -> T {
    try queue.writeWithoutTransaction { db in
      if !durable { try db.run(sql: "PRAGMA synchronous = NORMAL") }
      defer { if !durable { try? db.run(sql: "PRAGMA synchronous = FULL") } }
      var result: T?
      try db.inTransaction(.immediate) {
        result = try body(SQLiteTransaction(db: db, now: localNow))
        return .commit
      }
      return result!
    }
  }

  package func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T {
    try queue.read { db in try body(SQLiteTransaction(db: db, now: localNow)) }
  }

  package func check() throws -> (schema: Int, server: String) {
    try queue.read { db in
      let schema = try Self.migrator.appliedMigrations(db).count
      let version = try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?"
      return (schema, "SQLite " + version)
    }
  }

  /// Makes every later write fail as on a full disk (tests of what nwsh does then).
  package func simulateFullDisk() throws {
    try queue.writeWithoutTransaction { db in
      let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
      _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
    }
  }
}

/// A state file nwsh will not open.
struct SQLiteStateError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// One SQLite transaction's statements. SQLite has no clock of its own here: the caller's is
/// the database's.
struct SQLiteTransaction: StateTransaction {
  let db: Database
  let now: Double
  var offset: Double { 0 }

  func requests(scope: String, since: Double) throws -> [(at: Double, completed: Double?)] {
    try db.rows(
      sql: "SELECT at, completed FROM request_log WHERE scope = ? AND (at > ? OR completed > ?)",
      arguments: [scope, since, since]
    ).map { row in (row["at"], row["completed"]) }
  }

  func latestSlot(scope: String) throws -> Double {
    try db.value(Double.self, sql: "SELECT max(at) FROM request_log WHERE scope = ?", arguments: [scope]) ?? 0
  }

  func logRequest(scope: String, at: Double, reserved: Double, method: String, path: String, process: ProcessIdentity)
    throws -> Int64
  {
    try db.run(
      sql: "INSERT INTO request_log (scope, at, reserved, method, path, pid, host) VALUES (?, ?, ?, ?, ?, ?, ?)",
      arguments: [scope, at, reserved, method, path, Int(process.pid), process.host])
    return db.lastInsertedRowID
  }

  func finishRequest(id: Int64, at: Double, status: Int?) throws {
    try db.run(sql: "UPDATE request_log SET completed = ?, status = ? WHERE id = ?", arguments: [at, status, id])
  }

  func deleteRequest(id: Int64) throws {
    try db.run(sql: "DELETE FROM request_log WHERE id = ?", arguments: [id])
  }

  func deleteRequests(before time: Double) throws {
    try db.run(sql: "DELETE FROM request_log WHERE at < ?", arguments: [time])
  }

  func pausedUntil(scope: String) throws -> Double {
    try db.value(Double.self, sql: "SELECT until FROM pause WHERE scope = ?", arguments: [scope]) ?? 0
  }

  func setPause(scope: String, until time: Double, since: Double, reason: String) throws {
    try db.run(
      sql: "INSERT OR REPLACE INTO pause (scope, until, since, reason) VALUES (?, ?, ?, ?)",
      arguments: [scope, time, since, reason])
  }

  func dropFuture(scope: String, after time: Double) throws -> Int {
    try db.run(
      sql: """
        DELETE FROM request_log WHERE scope = ? AND (reserved > ? OR (reserved IS NULL AND at > ?))
        """, arguments: [scope, time, time + 7200])
    let dropped = db.changesCount
    // A pause from before `since` was kept: dropped when it ends further ahead than any
    // Retry-After nwsh accepts (an hour) could have set.
    try db.run(
      sql: "DELETE FROM pause WHERE scope = ? AND (since > ? OR (since IS NULL AND until > ?))",
      arguments: [scope, time, time + 7200])
    return dropped
  }

  func entries(scope: String, emailKey: String) throws -> [JournalEntry] {
    try fetch("WHERE scope = ? AND email_key = ? ORDER BY id", [scope, emailKey])
  }

  func entries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
    var sql = "WHERE scope = ?"
    var arguments: StatementArguments = [scope]
    if let run {
      sql += " AND run = ?"
      arguments += [run]
    }
    if let states, !states.isEmpty {
      sql += " AND state IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
      for state in states { arguments += [state.rawValue] }
    }
    return try fetch(sql + " ORDER BY id", arguments)
  }

  func entries(scope: String, ofPeopleIn states: [JournalState]) throws -> [JournalEntry] {
    let marks = states.map { _ in "?" }.joined(separator: ",")
    var arguments: StatementArguments = [scope, scope]
    for state in states { arguments += [state.rawValue] }
    return try fetch(
      "WHERE scope = ? AND email_key IN (SELECT email_key FROM journal WHERE scope = ? AND state IN (\(marks))) ORDER BY id",
      arguments)
  }

  func entries(ids: [Int64]) throws -> [JournalEntry] {
    guard !ids.isEmpty else { return [] }
    // One statement whatever the ids (they come as one JSON array), so it is prepared once.
    let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
    return try fetch("WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", [list])
  }

  func entries(heldBy process: ProcessIdentity, states: [JournalState]) throws -> [JournalEntry] {
    var arguments: StatementArguments = [Int(process.pid), process.host]
    for state in states { arguments += [state.rawValue] }
    let marks = states.map { _ in "?" }.joined(separator: ",")
    // The pid and host narrow it down (an index); the whole identity decides.
    return try fetch("WHERE pid = ? AND host = ? AND state IN (\(marks)) ORDER BY id", arguments).filter {
      $0.owner?.process == process
    }
  }

  func insert(_ entry: JournalEntry, scope: String) throws -> Int64 {
    let operation = entry.operation
    let owner = entry.owner?.process
    try db.run(
      sql: """
        INSERT INTO journal (run, scope, op, email, email_key, name, role_id, note, plan_ids, plan_id, method,
          password_set, row, request, state, invite_id, user_id, time_stamp, error, created, updated, host, machine,
          pid_ns, pid, pid_start, lease_until, supersedes, version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
        """,
      arguments: [
        entry.run, scope, operation.kind.rawValue, operation.email, operation.email.lowercased(), operation.name,
        operation.roleId, operation.note, JournalColumns.planIds(operation.planIds), operation.planId,
        operation.method, operation.passwordSet ? 1 : 0, entry.row, entry.request, entry.state.rawValue,
        entry.inviteId, entry.userId, entry.timeStamp, entry.error?.rawValue, entry.created, entry.updated,
        owner?.host, owner?.machine, owner?.pidNamespace, owner.map { Int($0.pid) }, owner?.start,
        entry.leaseUntil, entry.supersedes,
      ])
    return db.lastInsertedRowID
  }

  func update(_ entry: JournalEntry) throws -> Bool {
    try db.run(
      sql: """
        UPDATE journal SET state = ?, request = ?, invite_id = ?, user_id = ?, time_stamp = ?, error = ?,
          updated = ?, lease_until = ?, version = version + 1
        WHERE id = ? AND version = ?
        """,
      arguments: [
        entry.state.rawValue, entry.request, entry.inviteId, entry.userId, entry.timeStamp, entry.error?.rawValue,
        entry.updated, entry.leaseUntil, entry.id, entry.version,
      ])
    return db.changesCount == 1
  }

  func extendLeases(heldBy process: ProcessIdentity, states: [JournalState], runningAt: Double, until: Double) throws
    -> Set<Int64>
  {
    var arguments: StatementArguments = [
      until, Int(process.pid), process.host, process.machine, process.pidNamespace, process.start, runningAt,
    ]
    for state in states { arguments += [state.rawValue] }
    let marks = states.map { _ in "?" }.joined(separator: ",")
    return Set(
      try db.values(
        Int64.self,
        sql: """
          UPDATE journal SET lease_until = ?, version = version + 1
          WHERE pid = ? AND host = ? AND machine IS ? AND pid_ns IS ? AND pid_start IS ? AND lease_until > ?
            AND state IN (\(marks))
          RETURNING id
          """, arguments: arguments))
  }

  func markJoined(_ ids: [Int64], at time: Double) throws {
    guard !ids.isEmpty else { return }
    try db.execute(
      sql:
        "UPDATE journal SET joined = ? WHERE joined IS NULL AND id IN (\(ids.map(String.init).joined(separator: ",")))",
      arguments: [time])
  }

  func delete(_ entries: [JournalEntry]) throws -> Int {
    var deleted = 0
    for entry in entries {
      try db.run(
        sql: "DELETE FROM journal WHERE id = ? AND version = ?", arguments: [entry.id, entry.version])
      deleted += db.changesCount
    }
    return deleted
  }

  func forget(scope: String) throws -> Int {
    let count = try db.value(Int.self, sql: "SELECT count(*) FROM journal WHERE scope = ?", arguments: [scope]) ?? 0
    for table in ["journal", "request_log", "pause"] {
      try db.run(sql: "DELETE FROM \(table) WHERE scope = ?", arguments: [scope])
    }
    return count
  }

  private func fetch(_ clause: String, _ arguments: StatementArguments) throws -> [JournalEntry] {
    let rows = try db.rows(sql: "SELECT * FROM journal " + clause, arguments: arguments)
    guard let first = rows.first else { return [] }
    // Columns by position, looked up by name once per query (GRDB's lookup by name folds case
    // on every read).
    let positions = Dictionary(first.columnNames.enumerated().map { ($1, $0) }) { earlier, _ in earlier }
    return try rows.map { try JournalColumns.entry(Columns(row: $0, positions: positions)) }
  }

  /// A GRDB row, read by column name.
  private struct Columns: JournalRowReading {
    let row: GRDB.Row
    let positions: [String: Int]
    func text(_ column: String) -> String? {
      guard let position = positions[column] else { return nil }
      return row[position]
    }
    func integer(_ column: String) -> Int64? {
      guard let position = positions[column] else { return nil }
      return row[position]
    }
    func real(_ column: String) -> Double? {
      guard let position = positions[column] else { return nil }
      return row[position]
    }
  }
}

extension Database {
  // Through the statement cache: each statement is prepared once per connection. (Preparing
  // runs GRDB's authorizer over every column read, which was a third of a request's journal
  // work.) Only for fixed SQL: text built from values would fill the cache.

  /// Executes `sql`.
  fileprivate func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
    try cachedStatement(sql: sql).execute(arguments: arguments)
  }

  /// The rows `sql` selects.
  fileprivate func rows(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [GRDB.Row] {
    try GRDB.Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
  }

  /// The first column of the first row `sql` selects.
  fileprivate func value<T: DatabaseValueConvertible & StatementColumnConvertible>(
    _ type: T.Type, sql: String, arguments: StatementArguments = StatementArguments()
  ) throws -> T? {
    try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
  }

  /// The first column of every row `sql` selects.
  fileprivate func values<T: DatabaseValueConvertible & StatementColumnConvertible>(
    _ type: T.Type, sql: String, arguments: StatementArguments = StatementArguments()
  ) throws -> [T] {
    try T.fetchAll(cachedStatement(sql: sql), arguments: arguments)
  }
}
