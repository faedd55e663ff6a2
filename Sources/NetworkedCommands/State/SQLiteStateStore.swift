import Foundation
import GRDB

/// The state in a SQLite file (through GRDB), nwsh's default ``StateStore``.
///
/// One file per user, `$XDG_STATE_HOME/nwsh/state.sqlite` (by default
/// `~/.local/state/nwsh/state.sqlite`), mode 0600 in a 0700 directory. Every nwsh process on
/// this machine using the same key reads and writes the same rows, under SQLite's locking, so
/// they share one rate budget and one journal.
public final class SQLiteStateStore: StateStore {
  /// Where the database lives.
  public let path: String
  let queue: DatabaseQueue

  static let inFlightLimit = RequestLogRules.inFlightLimit
  static let inFlightAllowance = RequestLogRules.inFlightAllowance

  /// The path.
  public var location: String { path }

  /// Opens (creating if needed) the database at `path`.
  ///
  /// The file and SQLite's `-wal` and `-shm` files beside it are 0600 whatever the umask, and
  /// the directory is made 0700 when this user owns it: the journal holds names and emails.
  public init(path: String) throws {
    self.path = path
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
      // Every commit reaches the disk before the call returns.
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

  /// Opens a `.file` location; a database URL needs a program built with its store (nwsh has
  /// PostgreSQL), so here it is an error.
  @Sendable public static func openStore(_ location: StateLocation) throws -> any StateStore {
    switch location.kind {
    case .sqlite(let path): return try SQLiteStateStore(path: path)
    case .postgres: throw StateLocationError(message: "this program keeps its state in SQLite files only")
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
      if stat(file, &status) == 0 && status.st_mode & 0o077 != 0 { chmod(file, 0o600) }
    }
  }

  /// The default location: `$XDG_STATE_HOME/nwsh/state.sqlite`, else `~/.local/state/nwsh/…`.
  public static func defaultPath(environment: [String: String]? = nil) -> String {
    let environment = environment ?? ProcessInfo.processInfo.environment
    if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/nwsh/state.sqlite" }
    let home = environment["HOME"] ?? NSHomeDirectory()
    return home + "/.local/state/nwsh/state.sqlite"
  }

  private static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-request-log") { db in
      try db.execute(
        sql: """
          CREATE TABLE IF NOT EXISTS request_log (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL,
            at REAL NOT NULL,
            completed REAL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER,
            pid INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS request_log_by_scope ON request_log(scope, at);
          CREATE TABLE IF NOT EXISTS pause (
            scope TEXT PRIMARY KEY,
            until REAL NOT NULL,
            reason TEXT NOT NULL
          );
          """)
    }
    migrator.registerMigration("v2-journal") { db in
      try db.execute(
        sql: """
          CREATE TABLE IF NOT EXISTS journal (
            id INTEGER PRIMARY KEY,
            run TEXT NOT NULL,
            scope TEXT NOT NULL,
            op TEXT NOT NULL,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL,
            name TEXT NOT NULL,
            role_id TEXT NOT NULL,
            note TEXT,
            row INTEGER NOT NULL,
            request INTEGER NOT NULL,
            state TEXT NOT NULL,
            invite_id TEXT,
            user_id TEXT,
            time_stamp INTEGER,
            error TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
          );
          CREATE INDEX IF NOT EXISTS journal_by_email ON journal(scope, email_key);
          CREATE INDEX IF NOT EXISTS journal_by_run ON journal(scope, run);
          """)
    }
    migrator.registerMigration("v3-claims") { db in
      // Each entry records its operation exactly (reconcile re-sends it) and who holds it while
      // it is claimed or pending; at most one claimed-or-pending entry per person and key.
      // Entries left pending by earlier versions are in doubt: their process is gone.
      try db.execute(
        sql: "UPDATE journal SET state = 'unknown', error = coalesce(error, 'in_doubt') WHERE state = 'pending'")
      for column in [
        "host TEXT", "pid INTEGER", "pid_start INTEGER", "lease_until REAL", "plan_ids TEXT", "plan_id TEXT",
        "method INTEGER", "password_set INTEGER NOT NULL DEFAULT 0", "supersedes INTEGER",
      ] {
        try db.execute(sql: "ALTER TABLE journal ADD COLUMN \(column)")
      }
      try db.execute(sql: "UPDATE journal SET op = 'invite' WHERE op = 'reconcile'")
      try db.execute(
        sql:
          "CREATE UNIQUE INDEX IF NOT EXISTS journal_claim ON journal(scope, email_key) WHERE state IN ('claimed', 'pending')"
      )
    }
    return migrator
  }

  // MARK: Request log

  /// Reserves the earliest slot `schedule` allows for one more request in `scope`, in one
  /// `IMMEDIATE` transaction so concurrent processes get distinct, ordered slots.
  public func reserve(
    scope: String, schedule: RateSchedule, now: Double, method: String, path: String
  ) throws -> StateReservation {
    try queue.writeWithoutTransaction { db in
      var reservation = StateReservation(id: 0, at: now)
      try db.inTransaction(.immediate) {
        let sends = try Self.effectiveTimes(
          db, scope: scope, now: now, horizon: schedule.horizon, keep: schedule.limits.map(\.limit).max() ?? 0)
        let pausedUntil =
          try Double.fetchOne(db, sql: "SELECT until FROM pause WHERE scope = ?", arguments: [scope]) ?? 0
        // In order: never before a slot already handed out.
        let latestSlot =
          try Double.fetchOne(db, sql: "SELECT max(at) FROM request_log WHERE scope = ?", arguments: [scope]) ?? 0
        let at = schedule.earliest(now: max(now, pausedUntil, latestSlot), after: sends)
        try db.execute(
          sql: "INSERT INTO request_log (scope, at, method, path, pid) VALUES (?, ?, ?, ?, ?)",
          arguments: [scope, at, method, path, Int(getpid())])
        reservation = StateReservation(id: db.lastInsertedRowID, at: at)
        return .commit
      }
      return reservation
    }
  }

  /// Records that the request of `reservation` finished at `time` (its response, or its failure).
  public func complete(_ reservation: StateReservation, at time: Double, status: Int?) throws {
    try queue.write { db in
      try db.execute(
        sql: "UPDATE request_log SET completed = ?, status = ? WHERE id = ?",
        arguments: [time, status, reservation.id])
    }
  }

  /// Gives back a slot that was never used (the wait was interrupted before sending).
  public func cancel(_ reservation: StateReservation) throws {
    try queue.write { db in try db.execute(sql: "DELETE FROM request_log WHERE id = ?", arguments: [reservation.id]) }
  }

  /// Holds every request in `scope` until `time` (after a 429 or 503 with `Retry-After`).
  public func pause(scope: String, until time: Double, reason: String) throws {
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO pause (scope, until, reason) VALUES (?, ?, ?)
          ON CONFLICT(scope) DO UPDATE SET until = max(until, excluded.until), reason = excluded.reason
          """,
        arguments: [scope, time, reason])
    }
  }

  /// Until when `scope` is paused (0 when it is not).
  public func pausedUntil(scope: String) throws -> Double {
    try queue.read { db in
      try Double.fetchOne(db, sql: "SELECT until FROM pause WHERE scope = ?", arguments: [scope]) ?? 0
    }
  }

  /// The times that count against the windows in `scope` at `now`, ascending.
  public func sendTimes(scope: String, now: Double, horizon: Double) throws -> [Double] {
    try queue.read { db in try Self.effectiveTimes(db, scope: scope, now: now, horizon: horizon) }
  }

  /// Every logged request in `scope`, oldest first.
  public func requests(scope: String) throws -> [LoggedRequest] {
    try queue.read { db in
      try Row.fetchAll(
        db, sql: "SELECT at, completed, method, path, status FROM request_log WHERE scope = ? ORDER BY at, id",
        arguments: [scope]
      ).map { row in
        LoggedRequest(
          at: row["at"], completed: row["completed"], method: row["method"], path: row["path"], status: row["status"])
      }
    }
  }

  /// Forgets everything kept for `scope`: its journal, its request log and pauses (`nwsh
  /// sandbox --reset`). Returns how many journal entries went.
  @discardableResult
  public func forget(scope: String) throws -> Int {
    try queue.write { db in
      let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE scope = ?", arguments: [scope]) ?? 0
      for table in ["journal", "request_log", "pause"] {
        try db.execute(sql: "DELETE FROM \(table) WHERE scope = ?", arguments: [scope])
      }
      return count
    }
  }

  /// Makes every later write fail as on a full disk (tests of what nwsh does then).
  func simulateFullDisk() throws {
    try queue.writeWithoutTransaction { db in
      let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
      _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
    }
  }

  /// Drops log rows older than `age` seconds before `now`.
  public func prune(now: Double, age: Double) throws {
    try queue.write { db in try db.execute(sql: "DELETE FROM request_log WHERE at < ?", arguments: [now - age]) }
  }

  /// A finished request counts from when its answer came back (it reached the server no later
  /// than that); one not finished yet counts from its slot or now, whichever is later, plus
  /// an allowance for the trip to the server (``RequestLogRules``: twice the longest round trip
  /// seen lately, within bounds); one in flight for longer than ``inFlightLimit`` (its process
  /// died) from its slot plus that limit.
  private static func effectiveTimes(
    _ db: Database, scope: String, now: Double, horizon: Double, keep: Int = .max
  ) throws -> [Double] {
    guard keep > 0 else { return [] }
    let since = now - horizon - inFlightLimit
    // Only the `keep` most recent matter (the largest window limit).
    let times = try Double.fetchAll(
      db,
      sql: """
        WITH trip AS (
          SELECT coalesce(min(:allowance, max(:floor, 2 * max(completed - at))), :allowance) AS a FROM request_log
          WHERE scope = :scope AND completed > :since)
        SELECT coalesce(completed, min(max(at, :now) + (SELECT a FROM trip), at + :limit)) AS t FROM request_log
        WHERE scope = :scope AND (at > :since OR completed > :since)
        ORDER BY t DESC LIMIT :keep
        """,
      arguments: [
        "now": now, "allowance": inFlightAllowance, "floor": RequestLogRules.inFlightFloor, "limit": inFlightLimit,
        "scope": scope, "since": since, "keep": keep == .max ? -1 : keep,
      ])
    return times.reversed()
  }
}
