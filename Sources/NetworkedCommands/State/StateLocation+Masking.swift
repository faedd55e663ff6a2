import Foundation

/// How a state location is shown: never with a password.
extension StateLocation {
  /// `text` with anything that may be a password shown as `***`: for a URL, everything
  /// between the user name and the last `@` (so an unencoded `@` or `/` in a password
  /// shows no part of it). Text without `://` is returned as it is.
  public static func masked(_ text: String) -> String {
    maskedUserInfo(maskedPasswordParameter(text))
  }

  /// Whether `text`'s query has a `password` parameter (refused: it would sit in the URL's
  /// query, where every message shows it).
  static func hasPasswordParameter(_ text: String) -> Bool {
    queryPairs(text)?.pairs.contains { isPassword($0) } ?? false
  }

  /// `text` with the value of any `password=` parameter shown as `***`.
  private static func maskedPasswordParameter(_ text: String) -> String {
    guard let (head, pairs) = queryPairs(text) else { return text }
    let shown = pairs.map { pair -> String in
      isPassword(pair) && pair.contains("=") ? pair.prefix { $0 != "=" } + "=***" : String(pair)
    }
    return head + shown.joined(separator: "&")
  }

  /// The text up to and with the `?`, and the query's `name=value` pairs; nil without a query.
  private static func queryPairs(_ text: String) -> (head: Substring, pairs: [Substring])? {
    guard let query = text.firstIndex(of: "?") else { return nil }
    return (text[...query], text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false))
  }

  private static func isPassword(_ pair: Substring) -> Bool { pair.prefix { $0 != "=" }.lowercased() == "password" }

  private static func maskedUserInfo(_ text: String) -> String {
    // Where a password could start: after the scheme (`postgres://`, or the `postgres//`,
    // `postgres:` of an attempt), the first colon of the user's part.
    let scheme = text.prefix { $0.isLetter || $0.isNumber || "+-.".contains($0) }
    let separator = text[scheme.endIndex...].prefix { $0 == ":" || $0 == "/" }
    // A word before a lone colon is a scheme only when it is (nearly) one: `user:password@…`.
    let isScheme =
      separator.contains("/") || schemes.contains { editDistance($0, scheme.lowercased()) <= 1 }
    let start = separator.isEmpty || !isScheme ? text.startIndex : separator.endIndex
    let rest = text[start...]
    if let at = rest.lastIndex(of: "@") {
      // User-info ends at the last @ (an unencoded @ or / in a password stays hidden).
      let userInfo = rest[..<at]
      if let colon = userInfo.firstIndex(of: ":") { return text[...colon] + "***" + text[at...] }
      // A colon written %3A still starts a password.
      if let colon = userInfo.range(of: "%3a", options: .caseInsensitive) {
        return text[..<colon.upperBound] + "***" + text[at...]
      }
      if userInfo.contains("/") { return text[..<start] + "***" + text[at...] }
      return text
    }
    // No @: a colon followed by anything but a port may be a password with no host after it;
    // everything from there on is hidden.
    let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    guard let colon = authority.firstIndex(of: ":") else { return text }
    let after = authority[authority.index(after: colon)...]
    if !after.isEmpty && after.allSatisfy(\.isDigitASCII) { return text }
    return text[...colon] + "***"
  }
}
