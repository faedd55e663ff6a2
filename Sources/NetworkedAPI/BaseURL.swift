/// Where API requests go: `https://host[:port][/prefix]`, or plain `http://` to a loopback address.
///
/// Plain HTTP would send the key in clear text, so it is accepted only for 127.0.0.0/8, `::1`
/// and `localhost` (the sandbox and tests).
public struct BaseURL: Sendable, Hashable, CustomStringConvertible {
  /// The production API.
  public static let production = BaseURL(
    validated: "https://backend.networked.co", host: "backend.networked.co",
    identity: "https://backend.networked.co")

  /// The URL without a trailing slash, e.g. `https://backend.networked.co`.
  public let string: String
  /// The host name or address.
  public let host: String
  /// Which API this is, however it was spelled: the scheme, the host in lower case (any name of
  /// this machine as `localhost`), the port unless it is the scheme's own, the path. Two spellings
  /// of one API share it, and so share their rate budget and journal.
  public let identity: String

  private init(validated string: String, host: String, identity: String) {
    self.string = string
    self.host = host
    self.identity = identity
  }

  /// Validates `text`; throws ``NetworkedAPIError/Code/invalidBaseURL`` with the reason.
  public init(_ text: String) throws(NetworkedAPIError) {
    func invalid(_ why: String) -> NetworkedAPIError {
      NetworkedAPIError(
        code: .invalidBaseURL, message: "base URL \"\(Self.displayable(text))\": \(why)", requestWasSent: false)
    }
    var rest = Substring(text.trimmingSpaces())
    let secure: Bool
    if rest.lowercased().hasPrefix("https://") {
      secure = true
      rest = rest.dropFirst(8)
    } else if rest.lowercased().hasPrefix("http://") {
      secure = false
      rest = rest.dropFirst(7)
    } else {
      throw invalid("must start with https:// (or http:// to a loopback address)")
    }
    while rest.hasSuffix("/") { rest = rest.dropLast() }
    let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    let path = rest[authorityEnd...]
    if authority.isEmpty { throw invalid("has no host") }
    if authority.contains("@") || rest.prefix(while: { $0 != "?" && $0 != "#" }).contains("@") {
      throw invalid(
        "must not carry credentials (user-info): give the key through NETWORKED_API_KEY, a key file or a profile")
    }
    if path.contains("?") || path.contains("#") { throw invalid("must not have a query or fragment") }
    if authority.contains(where: { $0 == " " || $0 == "\t" }) { throw invalid("has spaces in the host") }
    let host: Substring
    var port: Substring = ""
    if authority.hasPrefix("[") {
      guard let close = authority.firstIndex(of: "]") else { throw invalid("has an unclosed IPv6 bracket") }
      host = authority[authority.index(after: authority.startIndex)..<close]
      port = authority[authority.index(after: close)...]
      if !port.isEmpty && !Self.isPort(port) { throw invalid("has a bad port") }
    } else if let colon = authority.lastIndex(of: ":") {
      host = authority[..<colon]
      port = authority[colon...]
      if !Self.isPort(port) { throw invalid("has a bad port") }
    } else {
      host = authority
    }
    if host.isEmpty { throw invalid("has no host") }
    if !secure && !Self.isLoopback(String(host)) {
      throw invalid("plain http:// is refused except to loopback addresses (it would send the API key in clear text)")
    }
    let scheme = secure ? "https://" : "http://"
    let lowered = String(host).lowercased()
    let shownHost = Self.isLoopback(lowered) ? "localhost" : lowered.contains(":") ? "[\(lowered)]" : lowered
    let ownPort = Int(port.dropFirst()).map { $0 == (secure ? 443 : 80) } ?? true
    self.init(
      validated: scheme + String(rest), host: lowered,
      identity: scheme + shownHost + (ownPort ? "" : String(port)) + String(path))
  }

  /// `text` fit to show: credentials in the authority (`user:secret@`) and any query or
  /// fragment (where keys also travel) replaced by `<redacted>`.
  public static func displayable(_ text: String) -> String {
    var shown = Substring(text)
    var prefix = ""
    if let colon = shown.firstIndex(of: ":"), shown[colon...].hasPrefix("://") {
      let after = shown.index(colon, offsetBy: 3)
      prefix = String(shown[..<after])
      shown = shown[after...]
    }
    // User-info ends at the last "@" before any query (a careless secret may hold a "/").
    let queryStart = shown.firstIndex { $0 == "?" || $0 == "#" } ?? shown.endIndex
    if let at = shown[..<queryStart].lastIndex(of: "@") { shown = "<redacted>" + shown[at...] }
    let authorityEnd = shown.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? shown.endIndex
    let authority = String(shown[..<authorityEnd])
    var rest = String(shown[authorityEnd...])
    if let mark = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<mark] + "?<redacted>" }
    return prefix + authority + rest
  }

  /// Whether `host` names this machine: 127.0.0.0/8, ::1 or localhost.
  public static func isLoopback(_ host: String) -> Bool {
    let host = host.lowercased()
    if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0] == "127" else { return false }
    return parts.allSatisfy { part in
      !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
    }
  }

  private static func isPort(_ text: Substring) -> Bool {
    guard text.first == ":" else { return false }
    let digits = text.dropFirst()
    return !digits.isEmpty && digits.count <= 5 && digits.allSatisfy(\.isASCIIDigit) && Int(digits)! <= 65535
  }

  /// `host:port` (the scheme's port when none is written), for messages.
  public var authority: String {
    let rest = string.drop { $0 != "/" }.dropFirst(2)
    let hostPort = rest.prefix { $0 != "/" }
    if hostPort.hasSuffix("]") || !hostPort.contains(":") {
      return String(hostPort) + (string.hasPrefix("https://") ? ":443" : ":80")
    }
    return String(hostPort)
  }

  /// True when requests go to this machine (the sandbox or a test server).
  public var isLoopback: Bool { Self.isLoopback(host) }

  public var description: String { string }
}

extension Character {
  var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
  func trimmingSpaces() -> String {
    var slice = Substring(self)
    while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
    while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
    return String(slice)
  }
}
