/// Finds secrets (the API key, above all) in text in every form a server, a URL or a log is
/// likely to carry them, and replaces them with `<redacted>`.
///
/// The forms: as is, with any of its bytes percent-encoded (`%2B`, `%2b`), JSON-escaped (`\/`,
/// `\u002b`) or a space as `+`; base64 and base64url, padded or not, at each of the three
/// alignments a secret can have inside a longer encoded text (`Basic base64(user:key)`);
/// hexadecimal. Text decoded from JSON is scrubbed after decoding as well.
///
/// ```swift
/// let redactor = Redactor(secrets: [key.secret])
/// print(redactor.scrub(serverMessage))
/// ```
public struct Redactor: Sendable {
  /// What replaces a secret.
  public static let placeholder = "<redacted>"

  /// The secrets as UTF-8, longest first: matched byte by byte, each byte as itself or escaped
  /// (`%2B`/`%2b`, `\/`, `\u002b`), so every percent-encoding and JSON spelling is found.
  private let secrets: [[UInt8]]
  /// Encoded forms matched exactly (base64 at each alignment, hex), longest first.
  private let forms: [[UInt8]]

  /// A redactor for `secrets` (empty strings and secrets under 4 bytes are ignored: too short
  /// to find without destroying ordinary text).
  public init(secrets: [String]) {
    let kept = Set(secrets.map { Array($0.utf8) }.filter { $0.count >= 4 })
    self.secrets = kept.sorted { $0.count > $1.count }
    var all = Set<[UInt8]>()
    for secret in kept {
      for form in Self.encodedForms(of: secret) where form.count >= 6 { all.insert(form) }
    }
    forms = all.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
  }

  /// A redactor that finds nothing.
  public static let none = Redactor(secrets: [])

  /// Whether it has anything to look for.
  public var isEmpty: Bool { secrets.isEmpty }

  /// `text` with every form of every secret replaced.
  public func scrub(_ text: String) -> String {
    guard !secrets.isEmpty else { return text }
    let bytes = Array(text.utf8)
    let scrubbed = scrub(bytes)
    return scrubbed == bytes ? text : String(decoding: scrubbed, as: UTF8.self)
  }

  /// `bytes` with every form of every secret replaced.
  public func scrub(_ bytes: [UInt8]) -> [UInt8] {
    guard !secrets.isEmpty else { return bytes }
    var current = bytes
    for secret in secrets { current = replace(in: current) { Self.matchEscaped(secret, in: $0, at: $1) } }
    for form in forms { current = replace(in: current) { Self.matchExact(form, in: $0, at: $1) } }
    return current
  }

  /// Whether `text` holds any form of a secret.
  public func finds(in text: String) -> Bool {
    guard !secrets.isEmpty else { return false }
    let bytes = Array(text.utf8)
    return scrub(bytes) != bytes
  }

  private func replace(in bytes: [UInt8], _ match: ([UInt8], Int) -> Int?) -> [UInt8] {
    var output: [UInt8] = []
    var copied = 0
    var index = 0
    while index < bytes.count {
      if let end = match(bytes, index) {
        if output.isEmpty { output.reserveCapacity(bytes.count) }
        output += bytes[copied..<index]
        output += Self.placeholderBytes
        index = end
        copied = end
      } else {
        index += 1
      }
    }
    if copied == 0 { return bytes }
    output += bytes[copied...]
    return output
  }

  /// `value` with every string (and object key) scrubbed.
  public func scrub(_ value: JSONValue) -> JSONValue {
    guard !forms.isEmpty else { return value }
    switch value {
    case .string(let text): return .string(scrub(text))
    case .array(let items): return .array(items.map(scrub))
    case .object(let members):
      var scrubbed: [String: JSONValue] = [:]
      for (key, member) in members { scrubbed[scrub(key)] = scrub(member) }
      return .object(scrubbed)
    case .null, .bool, .number: return value
    }
  }

  private static let placeholderBytes = Array(placeholder.utf8)

  private static func matchExact(_ form: [UInt8], in bytes: [UInt8], at start: Int) -> Int? {
    guard bytes[start] == form[0], bytes.count - start >= form.count else { return nil }
    for offset in 1..<form.count where bytes[start + offset] != form[offset] { return nil }
    return start + form.count
  }

  /// Matches `secret` at `start`, each of its bytes written as itself, `%XX` (either case),
  /// `\/` for a slash, `\u00XX`, or `+` for a space; returns where the match ends.
  private static func matchEscaped(_ secret: [UInt8], in bytes: [UInt8], at start: Int) -> Int? {
    var position = start
    for wanted in secret {
      guard position < bytes.count else { return nil }
      let byte = bytes[position]
      if byte == wanted {
        position += 1
      } else if byte == UInt8(ascii: "%"), position + 2 < bytes.count,
        let value = hexPair(bytes[position + 1], bytes[position + 2]),
        value == wanted
      {
        position += 3
      } else if byte == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == wanted,
        wanted == UInt8(ascii: "/")
      {
        position += 2
      } else if byte == UInt8(ascii: "\\"), position + 5 < bytes.count, bytes[position + 1] == UInt8(ascii: "u"),
        bytes[position + 2] == UInt8(ascii: "0"), bytes[position + 3] == UInt8(ascii: "0"),
        let value = hexPair(bytes[position + 4], bytes[position + 5]), value == wanted
      {
        position += 6
      } else if byte == UInt8(ascii: "+"), wanted == UInt8(ascii: " ") {
        position += 1
      } else {
        return nil
      }
    }
    return position
  }

  private static func hexPair(_ high: UInt8, _ low: UInt8) -> UInt8? {
    guard let h = hexValue(high), let l = hexValue(low) else { return nil }
    return h << 4 | l
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
  }

  // MARK: Forms

  static func encodedForms(of secret: [UInt8]) -> [[UInt8]] {
    var forms: [[UInt8]] = [hex(secret, upper: true), hex(secret, upper: false)]
    for alphabet in [standardAlphabet, urlAlphabet] {
      forms.append(base64(secret, alphabet: alphabet, pad: true))
      for shift in 0..<3 { forms.append(base64Core(secret, shift: shift, alphabet: alphabet)) }
    }
    return forms
  }

  private static let hexDigitsUpper = Array("0123456789ABCDEF".utf8)
  private static let hexDigitsLower = Array("0123456789abcdef".utf8)

  private static func hex(_ bytes: [UInt8], upper: Bool) -> [UInt8] {
    let digits = upper ? hexDigitsUpper : hexDigitsLower
    return bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
  }

  private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

  static func base64(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let chunk = bytes[index..<min(index + 3, bytes.count)]
      let b0 = chunk[chunk.startIndex]
      let b1 = chunk.count > 1 ? chunk[chunk.startIndex + 1] : 0
      let b2 = chunk.count > 2 ? chunk[chunk.startIndex + 2] : 0
      out.append(alphabet[Int(b0 >> 2)])
      out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
      out.append(chunk.count > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
      out.append(chunk.count > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
      index += 3
    }
    if !pad { while out.last == UInt8(ascii: "=") { out.removeLast() } }
    return out
  }

  /// The characters of base64(`shift` unknown bytes + secret + unknown bytes) that depend on
  /// the secret alone: how the secret looks inside any longer base64 text.
  private static func base64Core(_ secret: [UInt8], shift: Int, alphabet: [UInt8]) -> [UInt8] {
    let encoded = base64([UInt8](repeating: 0, count: shift) + secret, alphabet: alphabet, pad: false)
    let start = (shift * 8 + 5) / 6
    let end = (shift + secret.count) * 8 / 6
    guard end > start else { return [] }
    return Array(encoded[start..<end])
  }
}
