import Foundation
public import JQ
import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import NetworkedCommands
import PostgresNIO
import ShellCore

/// The state in PostgreSQL, for several machines sharing one key
/// (`--state postgres://user@host:port/database`).
public enum PostgresStore {
  /// Opens the database at `address` (creating or migrating nwsh's tables) as a
  /// ``NetworkedCommands/StateStore`` with claims leased for `lease` seconds. The password is
  /// the address's, else `password` (`PGPASSWORD`); the user the address's, else `user` (as
  /// libpq: `$USER`), else `postgres`. Waits for a database that is away end as soon as
  /// `interruption` is set.
  public static func open(
    _ address: PostgresAddress, password: String?, user: String? = nil, lease: Double = StateLocation.defaultLease,
    interruption: Interruption? = nil
  ) throws -> StateStore {
    StateStore(
      database: try PostgresDatabase(
        address: address, password: password, user: user, interruption: interruption ?? Interruption()),
      lease: lease)
  }

}

/// A PostgreSQL database as a ``StateDatabase``: one connection per process, one transaction
/// at a time.
///
/// A transaction takes a transaction-scoped advisory lock when the store names one (a scope
/// for reservations, a person for claims: `SELECT … FOR UPDATE` could not stop another host's
/// *insert*), reads the database's clock, `clock_timestamp()`, inside every transaction (each
/// host translates by that transaction's offset, so hosts whose clocks disagree agree on
/// windows and leases), and commits durably.
///
/// When the connection is lost, a transaction reconnects with back-off and runs again (every
/// body is safe to repeat), for up to the address's `reconnect` seconds; then it throws, and
/// later calls fail at once, so a run whose database is gone accounts for its rows quickly
/// and sends nothing unrecorded. An interrupt cuts every wait for the database short (a
/// statement already answered within a second still counts).
/// Sendable because every mutable property is touched only under `lock`, held by each transaction
/// from its first statement to its commit.
package final class PostgresDatabase: StateDatabase, @unchecked Sendable {
  // Threading: every mutable property is touched only under `lock`, which a transaction holds
  // from its first statement to its commit (the pipeline's thread and the lease keeper's
  // share the one connection).
  package let location: String
  private let reconnectLimit: Double
  private let configuration: PostgresConnection.Configuration
  private let interruption: Interruption
  private let lock = NSLock()
  private var connection: PostgresConnection?
  private var connections = 0
  private var stuck: [PostgresConnection] = []
  private var everConnected = false
  private var gaveUp = false
  private let host: String
  private let port: Int
  /// Whose clock a transaction's `now` is: the database's (`clock_timestamp()`, read inside
  /// every transaction), or, for tests that move time, the caller's.
  package enum TimeSource: Sendable {
    case database, caller
  }
  private let timeSource: TimeSource
  let logger = Logger(label: "nwsh.state") { _ in SwiftLogNoOpLogHandler() }

  /// The schema version this build creates and expects.
  static let schemaVersion = 4
  /// How long one statement may take before its connection is given up (locks are held for
  /// milliseconds; nothing nwsh runs takes longer).
  static let statementLimit = 15.0
  package init(
    address: PostgresAddress, password: String?, user defaultUser: String? = nil, interruption: Interruption,
    time: TimeSource = .database
  ) throws {
    self.timeSource = time
    let user = address.user ?? defaultUser ?? "postgres"
    // The server's certificate is always verified (name and chain), against the system's roots
    // or `sslrootcert=PATH` (a CA file, as libpq names it).
    var client = TLSConfiguration.makeClientConfiguration()
    if let roots = address.sslRootCertificate {
      guard FileManager.default.isReadableFile(atPath: roots) else {
        throw StateLocationError(message: "sslrootcert=\(roots): no such readable file (a CA certificate, PEM)")
      }
      client.trustRoots = .file(roots)
    }
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
    self.interruption = interruption
    try migrate()
  }

  deinit {
    retire(connection)
  }

  // MARK: Transactions

  package func transaction<T>(
    lock name: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T
  ) throws -> T {
    try run(lock: name, localNow: localNow) { try body($0) }
  }

  package func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T {
    try run(lock: nil, localNow: localNow) { try body($0) }
  }

  /// Runs `body` in one transaction, reconnecting and running it again when the connection is
  /// lost on the way.
  private func run<T>(lock name: String?, localNow: Double, _ body: (PostgresTransaction) throws -> T) throws -> T {
    try lock.withLock {
      let started = Date().timeIntervalSince1970
      var attempt = 0
      while true {
        do {
          let connection = try connected()
          let statements = Statements(database: self, connection: connection)
          // BEGIN goes out with the first statement, not a round trip of its own: the
          // connection runs them in order, and its answer is checked before COMMIT.
          let begun = connection.query("BEGIN", logger: logger)
          do {
            // A run again after a reconnect is later than the caller's now by the time spent.
            let local = localNow + (timeSource == .caller ? 0 : Date().timeIntervalSince1970 - started)
            let now = try clock(statements, lock: name, localNow: local)
            let result = try body(PostgresTransaction(statements: statements, now: now, offset: now - local))
            _ = try wait(for: begun, limit: Self.statementLimit)
            try statements.run("COMMIT")
            gaveUp = false
            return result
          } catch {
            if !connection.isClosed && !(error is Interrupted) { try? statements.run("ROLLBACK") }
            throw error
          }
        } catch is Interrupted {
          // A statement may be in flight: this connection's state is unknown.
          retire(connection)
          connection = nil
          throw Interrupted()
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
          // 50 ms, doubling, at most 2 s between tries; an interrupt ends the wait at once.
          guard interruption.sleep(seconds: min(2.0, 0.05 * pow(2, Double(attempt - 1)))) else { throw Interrupted() }
        } catch let error as StateLocationError {
          throw error
        } catch {
          throw StateLocationError(message: describe(error))
        }
      }
    }
  }

  /// The database's now for a transaction, read inside it with `clock_timestamp()` (with the
  /// lock, when it takes one: one round trip): leases and windows are stamped on the one clock
  /// every host shares, never on an offset measured earlier.
  private func clock(_ statements: Statements, lock name: String?, localNow: Double) throws -> Double {
    var binds = PostgresBindings()
    let now: String
    if timeSource == .caller {
      binds.append(localNow)
      now = "$1::float8"
    } else {
      now = "extract(epoch from clock_timestamp())::float8"
    }
    let sql: String
    if let name {
      binds.append(name)
      sql = "SELECT \(now) FROM (SELECT pg_advisory_xact_lock(hashtextextended($\(binds.count), 0))) AS locked"
    } else {
      sql = "SELECT \(now)"
    }
    return try statements.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).first!.decode(Double.self)
  }

  private func connected() throws -> PostgresConnection {
    if let connection, !connection.isClosed { return connection }
    connections += 1
    let connection = try wait(
      for: PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: connections, logger: logger),
      limit: Self.statementLimit)
    // A process stopped in the middle of a transaction (SIGSTOP, a laptop's lid) would hold its
    // locks, and every other host would wait; the server ends such a session instead, and the
    // process, when it wakes, reconnects and runs its (repeatable) transaction again.
    _ = try wait(
      for: connection.query("SET idle_in_transaction_session_timeout = '10s'", logger: logger),
      limit: Self.statementLimit)
    self.connection = connection
    everConnected = true
    return connection
  }

  /// Waits for `future` on this thread (through ``ShellCore/Blocking``), at most `limit`
  /// seconds, and at most a second more once an interrupt came.
  func wait<T: Sendable>(for future: EventLoopFuture<T>, limit: Double) throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: promise)
    let loop = future.eventLoop
    let timeout = loop.scheduleTask(in: .milliseconds(Int64(limit * 1000))) { promise.fail(StatementTimeout()) }
    defer { timeout.cancel() }
    let registration = interruption.onSet {
      loop.execute { _ = loop.scheduleTask(in: .seconds(1)) { promise.fail(Interrupted()) } }
    }
    defer { registration.cancel() }
    return try Blocking.wait { complete in promise.futureResult.whenComplete { complete($0.mapError { $0 }) } }
  }

  /// Closes the connection, waiting a moment at most; one that will not close is kept (a
  /// connection must be closed before it is released) and left behind.
  private func retire(_ connection: PostgresConnection?) {
    guard let connection else { return }
    let closed: EventLoopFuture<Void> = connection.close()
    let promise = closed.eventLoop.makePromise(of: Void.self)
    closed.cascade(to: promise)
    let timeout = closed.eventLoop.scheduleTask(in: TimeAmount.seconds(2)) { promise.fail(StatementTimeout()) }
    defer { timeout.cancel() }
    let result: Void? = try? Blocking.wait { complete in
      promise.futureResult.whenComplete { complete($0.mapError { $0 }) }
    }
    if result == nil, !connection.isClosed {
      stuck.append(connection)
    }
  }

  /// A statement got no answer within ``statementLimit``.
  struct StatementTimeout: Error, CustomStringConvertible {
    var description: String { "no answer from the database within \(Int(PostgresDatabase.statementLimit)) s" }
  }

  /// Whether `error` means the connection (or the server) went away: worth reconnecting.
  static func isConnectionLoss(_ error: any Error) -> Bool {
    if error is StatementTimeout { return true }
    guard let error = error as? PSQLError else { return error is ChannelError || error is IOError }
    switch error.code {
    case .server:
      // 08: connection exceptions; 57: the server is shutting down, restarting or starting.
      let state = error.serverInfo?[.sqlState] ?? ""
      // 25P03: the server ended a transaction left idle too long (this process was stopped).
      return state.hasPrefix("08") || state.hasPrefix("57") || state == "25P03"
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
    case .authMechanismRequiresPassword:
      return "\(host):\(port) asks for a password and none was given: set PGPASSWORD, or put the whole URL "
        + "with its password in NWSH_STATE"
    default: return "\(error.code)"
    }
  }

  /// One connection's statements, each waited for at most ``statementLimit``: a connection the
  /// server dropped without the client noticing (seen after an immediate shutdown) must not
  /// hold a run forever. The statement's fate is then unknown, like a lost connection's: the
  /// caller reconnects and runs the (repeatable) transaction again.
  struct Statements {
    let database: PostgresDatabase
    let connection: PostgresConnection

    /// Runs `query`, returning its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
      try result(query).rows
    }

    /// Runs `query` and returns how many rows it changed.
    func changes(_ query: PostgresQuery) throws -> Int {
      try result(query).metadata.rows ?? 0
    }

    /// Runs a statement without parameters.
    func run(_ sql: String) throws { try rows(PostgresQuery(unsafeSQL: sql)) }

    private func result(_ query: PostgresQuery) throws -> PostgresQueryResult {
      try database.wait(for: connection.query(query, logger: database.logger), limit: PostgresDatabase.statementLimit)
    }
  }

  // MARK: Schema

  /// Creates or migrates the schema under an advisory lock, so that hosts starting at once
  /// take turns; each step runs once, recorded in `nwsh_schema`.
  private func migrate() throws {
    try run(lock: "nwsh:schema", localNow: Date().timeIntervalSince1970) { transaction in
      let statements = transaction.statements
      try statements.run(
        "CREATE TABLE IF NOT EXISTS nwsh_schema (version integer NOT NULL, applied timestamptz NOT NULL)")
      let current = try statements.rows("SELECT coalesce(max(version), 0) FROM nwsh_schema").first!.decode(Int.self)
      guard current <= Self.schemaVersion else {
        throw StateLocationError(
          message:
            "the state database has schema version \(current); this nwsh knows \(Self.schemaVersion): update nwsh")
      }
      for (version, steps) in PostgresSchema.migrations.enumerated() where version + 1 > current {
        for statement in steps { try statements.run(statement) }
        try statements.rows("INSERT INTO nwsh_schema (version, applied) VALUES (\(version + 1), now())")
      }
    }
  }

  /// The schema version the database is at, and the server's version string.
  package func check() throws -> (schema: Int, server: String) {
    try run(lock: nil, localNow: Date().timeIntervalSince1970) { transaction in
      let statements = transaction.statements
      let schema = try statements.rows("SELECT coalesce(max(version), 0) FROM nwsh_schema").first!.decode(Int.self)
      let server = try statements.rows("SELECT version()").first!.decode(String.self)
      return (schema, server)
    }
  }
}
