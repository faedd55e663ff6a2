public import JQ
public import ShellCore

/// A kind of database the state can be kept in besides SQLite files, named in a state location
/// by its URL schemes (`postgres://…`).
///
/// nwsh is built with one, PostgreSQL (`PostgresBackend`, in the `PostgresState` module). A
/// third is a target of its own: a ``StateDatabase`` that passes the store rules
/// (`StoreConformance.run`, in `NetworkedTesting`) and a backend that reads its URLs and opens
/// it, handed to ``StateLocation/init(parsing:home:backends:)`` with the others. The rules
/// themselves (slots, claims, intents, leases, doubts) stay ``StateStore``'s: a backend only
/// reads and writes rows.
public protocol StateBackend: Sendable {
  /// What `nwsh state check` calls it: `postgresql`.
  var name: String { get }
  /// The URL schemes that name it, lower case: `postgres`, `postgresql`.
  var schemes: [String] { get }
  /// The query parameters it reads (`sslmode`); `lease`, every store's, is read for it.
  var parameters: [String] { get }
  /// Its URL's form, for messages: `postgres://user@host:port/database`.
  var form: String { get }
  /// The environment variable the password comes from when the URL has none (`PGPASSWORD`).
  var passwordVariable: String? { get }

  /// The address a URL of one of its schemes names. Takes the parameters it reads from
  /// `url.parameters`; throws naming the problem through `url.shown`, never with a password.
  func address(_ url: inout StateURL) throws(StateLocationError) -> any StateAddress

  /// Opens the database at `address` with `password` (the URL's, else the environment's
  /// ``passwordVariable``),
  /// creating or migrating its tables. Waits for a database that is away end when
  /// `interruption` is set.
  func open(_ address: any StateAddress, password: String?, environment: HostEnvironment, interruption: Interruption?)
    throws -> any StateDatabase
}

/// Where a ``StateBackend``'s database is. The URL's password is not its to keep:
/// ``StateLocation`` keeps it (``StateLocation/urlPassword``) and hands it to
/// ``StateBackend/open(_:password:environment:interruption:)``.
public protocol StateAddress: Sendable, CustomStringConvertible {
  /// The URL for messages: never a password; its parameters where they are not the defaults
  /// (`lease` is added by ``StateLocation``).
  var description: String { get }
  /// Whether `other` names the same database (an `Equatable` address has this already).
  func isEqual(to other: any StateAddress) -> Bool
}

extension StateAddress where Self: Equatable {
  /// Equal when `other` is an address of this type and `==` says so.
  public func isEqual(to other: any StateAddress) -> Bool { (other as? Self) == self }
}

/// A state URL read into its parts, percent-decoded, for a ``StateBackend`` to make an address
/// of. Shown (`"\(url)"`), it is ``shown``: the password masked.
public struct StateURL: Sendable, CustomStringConvertible {
  /// The scheme, lower case.
  public var scheme: String
  /// The user name, if given.
  public var user: String?
  /// The password, if given.
  public var password: String?
  /// The host (an IPv6 address without its brackets).
  public var host: String
  /// The port, if given.
  public var port: Int?
  /// The path after the host without its leading `/` (a database's name), if any.
  public var database: String?
  /// The URL with any password masked, for messages.
  public var shown: String
  /// The query parameters the backend has not taken yet.
  public var parameters: StateURLParameters

  /// A URL of these parts (a backend's tests make their own); `parameters` are the query's, of
  /// which only `known` may be given.
  public init(
    scheme: String, user: String? = nil, password: String? = nil, host: String, port: Int? = nil,
    database: String? = nil, shown: String, parameters: [(name: String, value: String?)] = [], known: [String] = []
  ) throws(StateLocationError) {
    self.scheme = scheme
    self.user = user
    self.password = password
    self.host = host
    self.port = port
    self.database = database
    self.shown = shown
    self.parameters = try StateURLParameters(parameters, shown: shown, known: known)
  }

  /// The URL with any password masked.
  public var description: String { shown }
}

/// A state URL's query parameters, each taken once; anything left untaken is an error.
public struct StateURLParameters: Sendable {
  private var values: [String: String] = [:]
  private let shown: String

  init(_ items: [(name: String, value: String?)], shown: String, known: [String]) throws(StateLocationError) {
    self.shown = shown
    for item in items {
      guard known.contains(item.name) else {
        throw StateLocationError(
          message: "\(shown): unknown parameter \(item.name)=; the parameters are " + known.joined(separator: ", "))
      }
      guard values[item.name] == nil else {
        throw StateLocationError(message: "\(shown): \(item.name)= is given twice")
      }
      values[item.name] = item.value ?? ""
    }
  }

  /// The value of `name`, taken (nil when not given).
  public mutating func take(_ name: String) -> String? { values.removeValue(forKey: name) }

  /// The value of `name` as a number of seconds, at least `least`, taken (nil when not given).
  public mutating func seconds(_ name: String, least: Double) throws(StateLocationError) -> Double? {
    guard let text = take(name) else { return nil }
    guard let value = Double(text), value.isFinite, value >= least else {
      throw StateLocationError(
        message: "\(shown): \(name)=\(text) must be a number of seconds, at least \(StateLocation.number(least))")
    }
    return value
  }

  /// `lease=`, or the default.
  mutating func lease() throws(StateLocationError) -> Double {
    try seconds("lease", least: StateLocation.minimumLease) ?? StateLocation.defaultLease
  }

  /// Throws for a parameter nobody took.
  func finish() throws(StateLocationError) {
    if let name = values.keys.sorted().first {
      throw StateLocationError(message: "\(shown): parameter \(name)= does not apply here")
    }
  }
}
