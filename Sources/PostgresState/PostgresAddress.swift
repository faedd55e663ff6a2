import Foundation
public import JQ
public import NetworkedCommands
public import ShellCore

/// A PostgreSQL server and database, as a state URL names them.
public struct PostgresAddress: StateAddress, Equatable {
  /// How the connection is encrypted (the certificate is always verified when TLS is used).
  public enum SSLMode: String, Sendable, Equatable {
    /// Plain TCP.
    case disable
    /// TLS when the server offers it.
    case prefer
    /// TLS or nothing.
    case require
  }

  /// The server's host name or address.
  public var host: String
  /// Its port.
  public var port: Int
  /// The role to connect as (nil: the `USER` environment variable, else `postgres`).
  public var user: String?
  /// The password in the URL, percent-decoded (nil: `PGPASSWORD` or none).
  public var password: String?
  /// The database (nil: the user's name).
  public var database: String?
  /// TLS.
  public var sslMode: SSLMode
  /// A CA file to verify the server's certificate against, instead of the system's roots.
  public var sslRootCertificate: String?
  /// How long a run waits for a lost database before it gives up (`?reconnect=SECONDS`).
  public var reconnect: Double

  /// Thirty seconds.
  public static let defaultReconnect = 30.0

  /// The port when the URL names none.
  public static let defaultPort = 5432

  /// An address.
  public init(
    host: String, port: Int = PostgresAddress.defaultPort, user: String? = nil, password: String? = nil,
    database: String? = nil, sslMode: SSLMode = .prefer, sslRootCertificate: String? = nil,
    reconnect: Double = PostgresAddress.defaultReconnect
  ) {
    self.host = host
    self.port = port
    self.user = user
    self.password = password
    self.database = database
    self.sslMode = sslMode
    self.sslRootCertificate = sslRootCertificate
    self.reconnect = reconnect
  }

  /// `postgres://user:***@host:port/database`, with the parameters that are not the defaults:
  /// never the password.
  public var description: String {
    var text = "postgres://"
    if let user { text += user + (password != nil ? ":***" : "") + "@" }
    let shownHost = host.contains(":") ? "[\(host)]" : host
    // The database's name re-escaped where it would read as the URL's query or fragment.
    text += "\(shownHost):\(port)/" + (database.map(Self.escaped) ?? "")
    var query: [String] = []
    if sslMode != .prefer { query.append("sslmode=\(sslMode.rawValue)") }
    if let sslRootCertificate { query.append("sslrootcert=\(sslRootCertificate)") }
    if reconnect != Self.defaultReconnect {
      let whole = reconnect == reconnect.rounded() && abs(reconnect) < 1e15
      query.append("reconnect=" + (whole ? String(Int(reconnect)) : String(reconnect)))
    }
    return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
  }

  private static func escaped(_ name: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "?#%/")
    return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
  }
}

/// PostgreSQL as a place for the state, for several machines sharing one key
/// (`postgres://user@host:port/database?sslmode=…&sslrootcert=…&reconnect=…&lease=…`, or
/// `postgresql://`). The password is the URL's, else `PGPASSWORD`; the user the URL's, else
/// `$USER`, else `postgres`.
public struct PostgresBackend: StateBackend {
  /// The backend.
  public init() {}

  /// `postgresql`, as `nwsh state check` says.
  public var name: String { "postgresql" }
  /// `postgres://` and `postgresql://`.
  public var schemes: [String] { ["postgres", "postgresql"] }
  /// TLS (`sslmode`: disable, prefer or require; `sslrootcert`: a CA file) and how long a run
  /// waits for a database that went away (`reconnect`, seconds).
  public var parameters: [String] { ["sslmode", "sslrootcert", "reconnect"] }
  /// `postgres://user@host:port/database`.
  public var form: String { "postgres://user@host:port/database" }
  /// `PGPASSWORD`, as libpq reads it.
  public var passwordVariable: String? { "PGPASSWORD" }

  /// A ``PostgresAddress``: port 5432 unless given; `sslmode` `prefer` unless given.
  public func address(_ url: inout StateURL) throws(StateLocationError) -> any StateAddress {
    let sslMode: PostgresAddress.SSLMode
    switch url.parameters.take("sslmode") ?? "prefer" {
    case "disable": sslMode = .disable
    case "prefer", "allow": sslMode = .prefer
    case "require", "verify-ca", "verify-full": sslMode = .require
    case let other:
      throw StateLocationError(message: "\(url.shown): sslmode=\(other): use disable, prefer or require")
    }
    return PostgresAddress(
      host: url.host, port: url.port ?? PostgresAddress.defaultPort, user: url.user, password: url.password,
      database: url.database, sslMode: sslMode, sslRootCertificate: url.parameters.take("sslrootcert"),
      reconnect: try url.parameters.seconds("reconnect", least: 0) ?? PostgresAddress.defaultReconnect)
  }

  /// Connects as the URL's user, else `$USER`, else `postgres`, and creates or migrates nwsh's
  /// tables.
  public func open(
    _ address: any StateAddress, password: String?, environment: HostEnvironment, interruption: Interruption?
  ) throws -> any StateDatabase {
    guard let address = address as? PostgresAddress else {
      throw StateLocationError(message: "\(address): not a PostgreSQL address")
    }
    return try PostgresDatabase(
      address: address, password: password, user: environment.variable("USER"),
      interruption: interruption ?? Interruption())
  }
}
