public import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import NetworkedCommands
import PostgresNIO

/// The state in PostgreSQL: one rate budget and one journal for every host that uses a key
/// (`--state postgres://user@host:port/database`).
///
/// The same rules as ``SQLiteStateStore``, kept by the database's own means: a reservation
/// takes a transaction-scoped advisory lock on its scope, so the hosts' slots are handed out
/// one at a time; a claim takes one on the person, and a partial unique index allows one
/// claimed-or-pending entry per (scope, email) whatever happens; commits are durable before
/// they return. Times are the database's (`clock_timestamp()`): each host translates by the
/// offset it measures, so hosts whose clocks disagree still agree on windows and leases.
///
/// Calls block the calling thread (never one of SwiftNIO's): the store serves the synchronous
/// ``StateStore`` protocol, one transaction at a time per process. When the connection is lost
/// a call reconnects with back-off and runs its transaction again (each operation is safe to
/// repeat: a retried claim finds its own), for up to ``reconnectLimit`` seconds; then it
/// throws, and the run stops sending: nothing goes out that is not recorded.
public final class PostgresStateStore: StateStore, @unchecked Sendable {
  // Threading: `connection` and `offset` are touched only under `lock`.
  /// The URL without its password.
  public let location: String
  /// How long a call keeps trying to reach the database before it gives up.
  public let reconnectLimit: Double
  private let configuration: PostgresConnection.Configuration
  private let lock = NSLock()
  private var connection: PostgresConnection?
  private var connections = 0
  private var stuck: [PostgresConnection] = []
  private var everConnected = false
  /// Set when a call gave up reaching the database: later calls try once and fail at once, so
  /// a run whose database is gone accounts for its remaining rows quickly (none sent).
  private var gaveUp = false
  private let host: String
  private let port: Int
  /// The database's clock minus this host's, as last measured.
  var offset = 0.0
  private let logger = Logger(label: "nwsh.state") { _ in SwiftLogNoOpLogHandler() }

  /// The schema version this build creates and expects.
  public static let schemaVersion = 1

  /// Connects to the database at `address`, creating or migrating nwsh's tables. The password
  /// is the address's, else `password` (`PGPASSWORD`).
  public init(address: PostgresAddress, password: String?) throws {
    let user = address.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
    // The server's certificate is always verified (name and chain), against the system's roots
    // or `sslrootcert=PATH` (a CA file, as libpq names it).
    var client = TLSConfiguration.makeClientConfiguration()
    if let roots = address.sslRootCertificate { client.trustRoots = .file(roots) }
    let tls: PostgresConnection.Configuration.TLS
    switch address.sslMode {
    case .disable: tls = .disable
    case .prefer: tls = .prefer(try NIOSSLContext(configuration: client))
    case .require: tls = .require(try NIOSSLContext(configuration: client))
    }
    var configuration = PostgresConnection.Configuration(
      host: address.host, port: address.port, username: user, password: address.password ?? password,
      database: address.database ?? user, tls: tls)
    configuration.options.connectTimeout = .seconds(10)
    self.configuration = configuration
    self.host = address.host
    self.port = address.port
    self.reconnectLimit = address.reconnect
    self.location = address.description
    try migrate()
  }

  deinit {
    retire(connection)
  }

  // MARK: Connection and transactions

  /// Runs `body` in one transaction, reconnecting and running it again when the connection is
  /// lost on the way.
  func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
    try lock.withLock {
      let started = Date().timeIntervalSince1970
      var attempt = 0
      while true {
        do {
          let connection = try connected()
          let transaction = Transaction(connection: connection, logger: logger)
          // BEGIN goes out with the first statement, not a round trip of its own: the
          // connection runs them in order, and its answer is checked before COMMIT.
          let begun = connection.query("BEGIN", logger: logger)
          do {
            let result = try body(transaction)
            _ = try Self.wait(for: begun, limit: Self.statementLimit)
            try transaction.run("COMMIT")
            gaveUp = false
            return result
          } catch {
            if !connection.isClosed { try? transaction.run("ROLLBACK") }
            throw error
          }
        } catch  where Self.isConnectionLoss(error) {
          retire(connection)
          connection = nil
          attempt += 1
          let elapsed = Date().timeIntervalSince1970 - started
          // Opening fails at once (nothing has started); a run that had it keeps trying.
          guard everConnected, !gaveUp else {
            throw StateLocationError(message: "cannot reach the state database: " + describe(error))
          }
          if elapsed >= reconnectLimit {
            gaveUp = true
            throw StateLocationError(
              message: "lost the state database and could not reach it again for \(Int(elapsed)) s: " + describe(error))
          }
          // 50 ms, doubling, at most 2 s between tries.
          usleep(useconds_t(min(2.0, 0.05 * pow(2, Double(attempt - 1))) * 1_000_000))
        } catch {
          throw StateLocationError(message: describe(error))
        }
      }
    }
  }

  private func connected() throws -> PostgresConnection {
    if let connection, !connection.isClosed { return connection }
    connections += 1
    let connection = try Self.wait(
      for: PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: connections, logger: logger),
      limit: Self.statementLimit)
    self.connection = connection
    everConnected = true
    return connection
  }

  /// How long one statement may take before its connection is given up (locks are held for
  /// milliseconds; nothing nwsh runs takes longer).
  static let statementLimit = 15.0

  /// Waits for `future` on this thread (never one of SwiftNIO's), at most `limit` seconds.
  static func wait<T: Sendable>(for future: EventLoopFuture<T>, limit: Double) throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: promise)
    let timeout = future.eventLoop.scheduleTask(in: .milliseconds(Int64(limit * 1000))) {
      promise.fail(StatementTimeout())
    }
    defer { timeout.cancel() }
    return try promise.futureResult.wait()
  }

  /// Closes the connection, waiting a moment at most; one that will not close is kept (a
  /// connection must be closed before it is released) and left behind.
  private func retire(_ connection: PostgresConnection?) {
    guard let connection else { return }
    if (try? Self.wait(for: connection.close(), limit: 2)) == nil, !connection.isClosed { stuck.append(connection) }
  }

  /// A statement got no answer within ``statementLimit``.
  struct StatementTimeout: Error, CustomStringConvertible {
    var description: String { "no answer from the database within \(Int(PostgresStateStore.statementLimit)) s" }
  }

  /// Whether `error` means the connection (or the server) went away: worth reconnecting.
  static func isConnectionLoss(_ error: any Error) -> Bool {
    if error is StatementTimeout { return true }
    guard let error = error as? PSQLError else { return error is ChannelError || error is IOError }
    switch error.code {
    case .server:
      // 08: connection exceptions; 57: the server is shutting down, restarting or starting.
      let state = error.serverInfo?[.sqlState] ?? ""
      return state.hasPrefix("08") || state.hasPrefix("57")
    case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
    default: return false
    }
  }

  /// A message for the user: the server's own words, or what failed (never the password,
  /// which neither holds).
  func describe(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(error)" }
    if let message = error.serverInfo?[.message] {
      return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
    }
    switch error.code {
    case .connectionError, .failedToAddSSLHandler:
      let detail = error.underlying.map { "\($0)" } ?? ""
      if detail.contains("CERTIFICATE_VERIFY_FAILED") {
        return "TLS with \(host):\(port): the server's certificate could not be verified "
          + "(name it in the URL's sslrootcert=CA-FILE if a private CA signed it)"
      }
      if error.underlying is NIOSSLError || error.underlying is BoringSSLError {
        return "TLS with \(host):\(port) failed (the handshake did not complete)"
      }
      let reason =
        ["Connection refused", "timed out", "No route to host", "Name or service not known", "No address"].first {
          detail.localizedCaseInsensitiveContains($0)
        }
      return "cannot connect to \(host):\(port)" + (reason.map { " (\($0.lowercased()))" } ?? "")
    case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
    case .sslUnsupported: return "the server does not offer TLS (sslmode=require)"
    default: return "\(error.code)"
    }
  }

  /// One transaction's statements.
  struct Transaction {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs `query`, returning its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
      try result(query).rows
    }

    /// Runs `query` and returns how many rows it changed.
    func changes(_ query: PostgresQuery) throws -> Int {
      try result(query).metadata.rows ?? 0
    }

    /// Waits for `query`'s answer, at most ``statementLimit``: a connection the server dropped
    /// without the client noticing (seen after an immediate shutdown) must not hold a run
    /// forever. The statement's fate is then unknown, like a lost connection's: the caller
    /// reconnects and runs the (repeatable) transaction again.
    private func result(_ query: PostgresQuery) throws -> PostgresQueryResult {
      try PostgresStateStore.wait(
        for: connection.query(query, logger: logger), limit: PostgresStateStore.statementLimit)
    }

    /// Runs a statement without parameters.
    func run(_ sql: String) throws { try rows(PostgresQuery(unsafeSQL: sql)) }

    /// Takes a transaction-scoped advisory lock named `name`.
    func lock(_ name: String) throws {
      try rows("SELECT pg_advisory_xact_lock(hashtextextended(\(name), 0))")
    }

    /// Takes the lock named `name` and then reads the database's clock, in one round trip.
    func lockAndNow(_ name: String) throws -> Double {
      try rows(
        """
        SELECT extract(epoch from clock_timestamp())::float8
        FROM (SELECT pg_advisory_xact_lock(hashtextextended(\(name), 0))) AS locked
        """
      ).first!.decode(Double.self)
    }
  }

  /// Takes the lock `name` in `transaction`, then measures the database's clock against
  /// `localNow`; returns the database's now.
  func lockedNow(_ transaction: Transaction, lock name: String, localNow: Double) throws -> Double {
    let now = try transaction.lockAndNow(name)
    offset = now - localNow
    return now
  }

  // MARK: Schema

  /// Creates or migrates the schema under an advisory lock, so that hosts starting at once
  /// take turns; each step runs once, recorded in `nwsh_schema`.
  private func migrate() throws {
    try transaction { transaction in
      try transaction.lock("nwsh:schema")
      try transaction.run(
        "CREATE TABLE IF NOT EXISTS nwsh_schema (version integer NOT NULL, applied timestamptz NOT NULL)")
      let current = try transaction.rows("SELECT coalesce(max(version), 0) FROM nwsh_schema").first!.decode(Int.self)
      guard current <= Self.schemaVersion else {
        throw StateLocationError(
          message:
            "the state database has schema version \(current); this nwsh knows \(Self.schemaVersion): update nwsh"
        )
      }
      for (version, statements) in Self.migrations.enumerated() where version + 1 > current {
        for statement in statements { try transaction.run(statement) }
        try transaction.rows("INSERT INTO nwsh_schema (version, applied) VALUES (\(version + 1), now())")
      }
    }
  }

  private static let migrations: [[String]] = [
    [
      """
      CREATE TABLE nwsh_request_log (
        id bigserial PRIMARY KEY, scope text NOT NULL, at float8 NOT NULL, completed float8,
        method text NOT NULL, path text NOT NULL, status integer, host text NOT NULL, pid integer NOT NULL)
      """,
      "CREATE INDEX nwsh_request_log_by_scope ON nwsh_request_log (scope, at)",
      "CREATE TABLE nwsh_pause (scope text PRIMARY KEY, until float8 NOT NULL, reason text NOT NULL)",
      """
      CREATE TABLE nwsh_journal (
        id bigserial PRIMARY KEY, run text NOT NULL, scope text NOT NULL, op text NOT NULL,
        email text NOT NULL, email_key text NOT NULL, name text NOT NULL, role_id text NOT NULL, note text,
        plan_ids text, plan_id text, method integer, password_set boolean NOT NULL DEFAULT false,
        row_number integer NOT NULL, request integer NOT NULL, state text NOT NULL, invite_id text, user_id text,
        time_stamp bigint, error text, created float8 NOT NULL, updated float8 NOT NULL, host text, pid integer,
        pid_start bigint, lease_until float8, supersedes bigint)
      """,
      "CREATE INDEX nwsh_journal_by_email ON nwsh_journal (scope, email_key)",
      "CREATE INDEX nwsh_journal_by_run ON nwsh_journal (scope, run)",
      // The rule that keeps two hosts from both sending to one person, whatever else happens.
      """
      CREATE UNIQUE INDEX nwsh_journal_claim ON nwsh_journal (scope, email_key)
      WHERE state IN ('claimed', 'pending')
      """,
    ]
  ]

  /// The schema version the database is at, and the server's version string.
  public func check() throws -> (schema: Int, server: String) {
    try transaction { transaction in
      let schema = try transaction.rows("SELECT coalesce(max(version), 0) FROM nwsh_schema").first!.decode(Int.self)
      let server = try transaction.rows("SELECT version()").first!.decode(String.self)
      return (schema, server)
    }
  }
}
