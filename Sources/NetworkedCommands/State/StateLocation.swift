import Foundation
public import ShellCore

/// Where the state lives, from `--state`, `NWSH_STATE` or the profile: a SQLite file, or a
/// database of a ``StateBackend`` (PostgreSQL, in nwsh), with the parameters every store shares
/// (the claim lease).
///
/// Anything with `://` is a URL, and a URL that does not parse is an error, never a file name:
/// `postgres://nwsh@db:5543x/nwsh` must not quietly become a SQLite file in the working
/// directory. Messages show a location through ``description`` (or ``masked(_:)`` for text that
/// did not parse), which never shows a password.
public struct StateLocation: Sendable, Equatable, CustomStringConvertible {
  /// The kind of store and its address.
  public enum Kind: Sendable {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A database of `backend` (PostgreSQL, in nwsh) at `address`.
    case database(any StateAddress, backend: any StateBackend)
  }

  /// The store and its address.
  public var kind: Kind
  /// How long a claim or a request in flight stands for other hosts without being renewed, in
  /// seconds (`?lease=SECONDS`). A live process renews what it holds every quarter of this;
  /// after a crash its people are free again (or in doubt) once it runs out.
  public var lease: Double

  /// The lease when the location names none: ten minutes.
  public static let defaultLease = 600.0
  /// The shortest lease accepted: renewals every quarter of it must stay well apart.
  public static let minimumLease = 2.0

  /// The default SQLite file in `environment`: `state.sqlite` in nwsh's state directory
  /// (`$XDG_STATE_HOME/nwsh`, else `~/.local/state/nwsh`).
  public static func defaultPath(environment: HostEnvironment) -> String {
    (environment.stateDirectory ?? "/.local/state/nwsh") + "/state.sqlite"
  }

  /// A SQLite file at `path` with the default lease.
  public static func file(_ path: String) -> StateLocation {
    StateLocation(kind: .sqlite(path: path), lease: defaultLease)
  }

  /// A location of `kind` with `lease`.
  public init(kind: Kind, lease: Double = StateLocation.defaultLease) {
    self.kind = kind
    self.lease = lease
  }

  /// The SQLite file's path, if the state is in one.
  public var path: String? {
    if case .sqlite(let path) = kind { return path }
    return nil
  }

  /// What kind of store it is: `sqlite`, or the backend's name (`postgresql`).
  public var kindName: String {
    switch kind {
    case .sqlite: "sqlite"
    case .database(_, let backend): backend.name
    }
  }

  /// The password the URL carried, if any: kept here, whatever the backend's address keeps,
  /// so that nwsh can refuse it on a command line and keep it out of everything it prints.
  public private(set) var urlPassword: String?

  /// The password the store will use: the URL's, else the backend's variable in `environment`
  /// (`PGPASSWORD`); nil for a file.
  public func password(in environment: HostEnvironment) -> String? {
    guard case .database(_, let backend) = kind else { return nil }
    return urlPassword ?? backend.passwordVariable.flatMap { environment.variable($0) }
  }

  /// The same store (the same file, or the same backend's address as it judges), with the same
  /// lease and password.
  public static func == (lhs: StateLocation, rhs: StateLocation) -> Bool {
    guard lhs.lease == rhs.lease, lhs.urlPassword == rhs.urlPassword else { return false }
    switch (lhs.kind, rhs.kind) {
    case (.sqlite(let left), .sqlite(let right)): return left == right
    case (.database(let left, let leftBackend), .database(let right, let rightBackend)):
      return leftBackend.name == rightBackend.name && left.isEqual(to: right)
    default: return false
    }
  }

  /// Reads a location: a path; `file:///path?lease=SECONDS`; or a URL of one of `backends`
  /// (`postgres://user@host:port/database?sslmode=…&sslrootcert=…&reconnect=…&lease=…`, with
  /// nwsh's PostgreSQL backend). Throws, naming the problem without any password, for a URL that
  /// does not parse, an unsupported scheme, an unknown or malformed parameter, or a password
  /// whose reserved characters are not percent-encoded — and for anything that looks like an
  /// attempt at a URL (a scheme's name, or a near miss of one, before `:` or `//`; or text with
  /// both `@` and `:`), which is never taken for a file name. A leading `~/` is the home
  /// directory (`home`, by default `$HOME`).
  public init(parsing text: String, home: String? = nil, backends: [any StateBackend] = []) throws(StateLocationError) {
    guard !text.isEmpty else { throw StateLocationError(message: "the state location is empty") }
    guard text.trimmingCharacters(in: .whitespacesAndNewlines) == text else {
      throw StateLocationError(
        message: "\"\(Self.masked(text))\" has a space or a line break at its start or end (a copy and paste?); "
          + "write it without; nothing was opened or created")
    }
    let lowered = text.lowercased()
    guard let separator = text.range(of: "://") else {
      if let scheme = Self.attemptedScheme(text, backends: backends) {
        let forms = backends.map(\.form) + ["file:///absolute/path?lease=SECONDS"]
        throw StateLocationError(
          message: "\(Self.masked(text)) looks like a \(scheme) URL, but it is not one (a URL is "
            + forms.joined(separator: ", or ") + "; a file whose name looks so is written ./NAME); nothing was "
            + "opened or created")
      }
      self = .file(try Self.expandingHome(text, home: home))
      return
    }
    let scheme = String(lowered[..<separator.lowerBound])
    let shown = Self.masked(text)
    if Self.hasPasswordParameter(text) {
      throw StateLocationError(
        message: "\(shown): a password goes in the URL's user part, percent-encoded (user:PASSWORD@host), "
          + "or in the backend's variable (PGPASSWORD), never in password=")
    }
    if scheme == "file" {
      try self.init(file: text, shown: shown)
    } else if let backend = backends.first(where: { $0.schemes.contains(scheme) }) {
      try self.init(url: text, shown: shown, backend: backend)
    } else {
      throw StateLocationError(
        message: "\(shown): unsupported scheme \(scheme)://; the state is a SQLite file (a path or file://)"
          + backends.map { " or a \($0.name) database (\($0.form))" }.joined())
    }
  }

  /// The schemes a state URL may have, and names people try, whatever backends a program has:
  /// `postgres//host/db` is never a file name, even where PostgreSQL is not built in.
  static let schemes = ["postgres", "postgresql", "file", "sqlite"]

  /// What kind of URL `text` (which has no `://`) looks like an attempt at, or nil for a path:
  /// a scheme's name (or one edit from one) followed by `:`, `//` (or a stray mark, then `//`:
  /// `postgres;//`), or `/` when the word is the scheme's own; `host:port`; text with an `@` (a
  /// user and a host); or a path carrying a URL's `?lease=` (or a backend's parameter). The
  /// backends' schemes count as much as the well-known ones.
  static func attemptedScheme(_ text: String, backends: [any StateBackend] = []) -> String? {
    // ./NAME and ../NAME are paths, whatever they look like.
    if text.hasPrefix("./") || text.hasPrefix("../") { return nil }
    let word = text.prefix { $0.isLetter }.lowercased()
    // A scheme's name alone (`--state postgres`): a URL cut short, never a file in the working
    // directory. (`file` alone stays a file name.)
    let known = schemes + backends.flatMap(\.schemes)
    if word == text.lowercased(), word != "file", known.contains(word) {
      return word.hasPrefix("postgres") ? "PostgreSQL" : backends.first { $0.schemes.contains(word) }?.name ?? "file"
    }
    let rest = text.dropFirst(word.count)
    let scheme = word.isEmpty ? nil : known.first { editDistance($0, word) <= 1 }
    let name: (String) -> String = { scheme in
      if scheme.hasPrefix("postgres") { return "PostgreSQL" }
      return backends.first { $0.schemes.contains(scheme) }?.name ?? "file"
    }
    if let scheme {
      let afterMark = rest.first.map { $0.isLetter || $0.isNumber || $0 == "/" } == false ? rest.dropFirst() : rest
      if rest.hasPrefix(":") || rest.hasPrefix("//") || afterMark.hasPrefix("//") { return name(scheme) }
      if known.contains(word) && rest.hasPrefix("/") { return name(word) }
    }
    if text.contains("@") { return "PostgreSQL" }
    let hostPort = text.prefix { $0 != "/" }
    if let colon = hostPort.firstIndex(of: ":"), colon != hostPort.startIndex,
      hostPort[hostPort.index(after: colon)...].allSatisfy(\.isDigitASCII)
    {
      return "PostgreSQL"
    }
    // A `?` in the file's own name: a URL's parameters (`state.sqlite?lease=30`, or a typo of
    // them, `?leas=30`), never part of a file name nwsh would create.
    let fileName = text.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
    if fileName.contains("?") { return "file" }
    return nil
  }

  /// `~/path` with the home directory; `~user/…` is refused (nwsh does not look users up).
  static func expandingHome(_ path: String, home: String?) throws(StateLocationError) -> String {
    guard path.hasPrefix("~") else { return path }
    guard path == "~" || path.hasPrefix("~/") else {
      throw StateLocationError(message: "\(path): a ~user path is not expanded here; write the whole path")
    }
    guard let home, home.hasPrefix("/") else {
      throw StateLocationError(message: "\(path): HOME is not set, so ~ cannot be expanded; write the whole path")
    }
    return home + path.dropFirst()
  }

  /// Levenshtein distance, for near misses of a scheme's name.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1]
      for (j, y) in b.enumerated() {
        current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
      }
      previous = current
    }
    return previous[b.count]
  }

  private init(file text: String, shown: String) throws(StateLocationError) {
    guard let components = URLComponents(string: text), components.host ?? "" == "" else {
      throw StateLocationError(message: "\(shown): a file URL is file:///absolute/path (no host)")
    }
    let path = components.path
    guard path.hasPrefix("/"), path.count > 1 else {
      throw StateLocationError(message: "\(shown): a file URL needs an absolute path: file:///path/state.sqlite")
    }
    var parameters = try StateURLParameters(Self.items(components), shown: shown, known: ["lease"])
    self.init(kind: .sqlite(path: path), lease: try parameters.lease())
    try parameters.finish()
  }

  private static func items(_ components: URLComponents) -> [(name: String, value: String?)] {
    (components.queryItems ?? []).map { ($0.name, $0.value) }
  }

  /// A URL of `backend`'s: its parts read here, the same for every backend, and made an address
  /// by the backend.
  private init(url text: String, shown: String, backend: any StateBackend) throws(StateLocationError) {
    let hint =
      "a password with @ / : ? # or % in it must be percent-encoded (%40 %2F %3A %3F %23 %25)"
      + (backend.passwordVariable.map { ", or given in \($0) instead" } ?? "")
    let scheme = text[..<text.range(of: "://")!.lowerBound].lowercased()
    let afterScheme = text[text.range(of: "://")!.upperBound...]
    let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
    let authority = afterScheme[..<authorityEnd]
    // An @ after the host part, or two in it, is almost always a password with an unencoded
    // @ or /: the host would be part of the password.
    if afterScheme[authorityEnd...].contains("@") || authority.filter({ $0 == "@" }).count > 1 {
      throw StateLocationError(message: "\(shown): the URL has an @ where its host should be; \(hint)")
    }
    // A % that does not start an escape (%40) is a password's own %, left unencoded.
    let userInfo = authority.split(separator: "@", omittingEmptySubsequences: false).dropLast().joined(separator: "@")
    if Self.hasBarePercent(userInfo) {
      throw StateLocationError(message: "\(shown): the password has a % that is not percent-encoded; \(hint)")
    }
    if text.contains("#") {
      throw StateLocationError(message: "\(shown): a state URL has no #fragment; its parameters go after ?")
    }
    let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
    var host: Substring
    var portText: Substring?
    if hostPort.hasPrefix("[") {
      // An IPv6 address is bracketed in the URL only: [::1] is the host ::1.
      guard let close = hostPort.firstIndex(of: "]") else {
        throw StateLocationError(message: "\(shown): an IPv6 address's [ is not closed")
      }
      host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
      let after = hostPort[hostPort.index(after: close)...]
      if !after.isEmpty {
        guard after.first == ":" else { throw StateLocationError(message: "\(shown): text after the IPv6 address") }
        portText = after.dropFirst()
      }
    } else if hostPort.filter({ $0 == ":" }).count > 1 {
      throw StateLocationError(
        message: "\(shown): an IPv6 address is written in brackets (\(scheme)://user@[::1]:PORT/…); \(hint)")
    } else if let colon = hostPort.firstIndex(of: ":") {
      host = hostPort[..<colon]
      portText = hostPort[hostPort.index(after: colon)...]
    } else {
      host = hostPort
    }
    var port: Int?
    if let portText {
      // Without an @, what follows the colon may be a password: it is never shown.
      guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isDigitASCII), let number = Int(portText)
      else {
        throw StateLocationError(
          message: "\(shown): the port after \(host.isEmpty || !authority.contains("@") ? "the host" : String(host)) "
            + "is not a number")
      }
      guard (1...65535).contains(number) else {
        throw StateLocationError(message: "\(shown): the port \(number) is out of range")
      }
      port = number
    }
    guard !host.isEmpty else {
      throw StateLocationError(message: "\(shown): the URL names no host (\(backend.form))")
    }
    // The query and the path, read from the URL with its authority set aside.
    guard let components = URLComponents(string: text[..<authority.startIndex] + "host" + text[authority.endIndex...])
    else {
      throw StateLocationError(message: "\(shown): not a valid URL (\(hint))")
    }
    let credentials = authority.contains("@") ? authority[..<authority.lastIndex(of: "@")!] : ""
    let userText = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    let passwordText = credentials.firstIndex(of: ":").map { credentials[credentials.index(after: $0)...] }
    guard let user = String(userText).removingPercentEncoding,
      let password = passwordText.map({ String($0).removingPercentEncoding }) ?? .some(nil)
    else {
      throw StateLocationError(message: "\(shown): not a valid URL (\(hint))")
    }
    if user.contains(":") {
      throw StateLocationError(
        message: "\(shown): the user name holds an encoded : (a password goes after the first :)")
    }
    let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
    if database.contains("/") {
      throw StateLocationError(message: "\(shown): the database name \"\(database)\" has a / in it; \(hint)")
    }
    var url = try StateURL(
      scheme: scheme, user: user.isEmpty ? nil : user, password: password, host: String(host), port: port,
      database: database.isEmpty ? nil : database.removingPercentEncoding ?? database, shown: shown,
      parameters: Self.items(components), known: backend.parameters + ["lease"])
    let lease = try url.parameters.lease()
    let address = try backend.address(&url)
    try url.parameters.finish()
    self.init(kind: .database(address, backend: backend), lease: lease)
    urlPassword = password
  }

  /// Whether `text` has a `%` not followed by two hex digits.
  static func hasBarePercent(_ text: String) -> Bool {
    let characters = Array(text)
    for (index, character) in characters.enumerated() where character == "%" {
      guard index + 2 < characters.count, characters[index + 1].isHexDigit, characters[index + 2].isHexDigit
      else { return true }
    }
    return false
  }

  /// For messages: the path, or the URL with any password shown as `***`.
  public var description: String {
    var query: [String] = []
    let address: String
    switch kind {
    case .sqlite(let path):
      guard lease != Self.defaultLease else { return path }
      address = "file://" + path
    case .database(let database, _):
      address = database.description
    }
    if lease != Self.defaultLease { query.append("lease=\(Self.number(lease))") }
    guard !query.isEmpty else { return address }
    return address + (address.contains("?") ? "&" : "?") + query.joined(separator: "&")
  }

  static func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }
}

/// A state location that cannot be used.
public struct StateLocationError: Error, CustomStringConvertible {
  /// What is wrong, for the user.
  public var message: String
  /// Creates an error.
  public init(message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}

extension Character {
  /// 0 to 9, and nothing else that Unicode calls a number.
  var isDigitASCII: Bool { isASCII && isNumber }
}
