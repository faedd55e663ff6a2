import Foundation

/// A PostgreSQL server and database, as a state URL names them.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
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

  /// `postgres://user:***@host:port/database`: never the password.
  public var description: String {
    var text = "postgres://"
    if let user { text += user + (password != nil ? ":***" : "") + "@" }
    let shownHost = host.contains(":") ? "[\(host)]" : host
    return text + "\(shownHost):\(port)/" + (database ?? "")
  }
}
