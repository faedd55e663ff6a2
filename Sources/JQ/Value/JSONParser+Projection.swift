/// Projected parsing: the members a pipeline reads are built, the rest checked and skipped.
extension JSONParser {
  // MARK: Projection

  /// Parses one value, but of a top-level object only the members named in `keys`: the rest
  /// are checked exactly as ``parseValue()`` would check them (so the same text is rejected,
  /// with the same message) and skipped without building anything. Anything but an object is
  /// parsed whole.
  public mutating func parseValue(keeping keys: Projection) throws(SyntaxError) -> Value {
    guard position < end, base[position] == UInt8(ascii: "{") else { return try parseValue() }
    let start = position
    do throws(SyntaxError) {
      return try parseProjectedObject(keys)
    } catch {
      // Report bad input exactly as the full parser does.
      position = start
      depth = 0
      return try parseValue()
    }
  }

  mutating func parseProjectedObject(_ keys: Projection) throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var object = JSONObject(capacity: keys.count)
    if closesAtOnce(UInt8(ascii: "}")) { return .object(object) }
    while true {
      skipWhitespace()
      guard position < end, base[position] == UInt8(ascii: "\"") else {
        throw fail("unexpected \(describeByte()), expected a string key")
      }
      // The key's bytes, matched against the wanted ones without making a string.
      let keyStart = position + 1
      let keyEnd = plainRunEnd(from: keyStart)
      let plain = keyEnd < end && base[keyEnd] == UInt8(ascii: "\"")
      var wanted: String?
      if plain && keyEnd < end {
        wanted = keys.match(UnsafeBufferPointer(start: base + keyStart, count: keyEnd - keyStart))
        position = keyEnd + 1
      } else {
        var key = try parseString()
        wanted = key.withUTF8 { keys.match($0) }
      }
      skipWhitespace()
      guard position < end, base[position] == UInt8(ascii: ":") else {
        throw fail("unexpected \(describeByte()), expected ':' after an object key")
      }
      position += 1
      skipWhitespace()
      if let wanted {
        object.insertParsed(wanted, try parseValue())
      } else {
        try skipValue()
      }
      guard try separator(closing: UInt8(ascii: "}")) else { break }
    }
    depth -= 1
    return .object(object)
  }

  /// Checks and passes over one value, building nothing; rejects exactly what ``parseValue()``
  /// rejects (strings through the same escape decoder, numbers through the same grammar,
  /// nesting against the same limit).
  mutating func skipValue() throws(SyntaxError) {
    var open: [UInt8] = []  // the closing bytes of the containers being skipped
    var scratch: [UInt8] = []
    while true {
      guard position < end else { throw fail("unexpected end of input, expected a value") }
      switch base[position] {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let isObject = base[position] == UInt8(ascii: "{")
        try enter()
        position += 1
        skipWhitespace()
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        if position < end && base[position] == close {
          position += 1
          depth -= 1
        } else {
          open.append(close)
          if isObject { try skipKey(&scratch) }
          continue
        }
      case UInt8(ascii: "\""): try skipString(&scratch)
      case UInt8(ascii: "t"): try expectWord("true")
      case UInt8(ascii: "f"): try expectWord("false")
      case UInt8(ascii: "n") where !atNamedNumber: try expectWord("null")
      case UInt8(ascii: "-") where !atNamedNumber, UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
      case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "-"): _ = try parseNamedNumber()
      default: throw fail("unexpected \(describeByte()), expected a value")
      }
      // After a value: a separator, or the end of containers.
      while let close = open.last {
        if try separator(closing: close) {
          skipWhitespace()
          if close == UInt8(ascii: "}") { try skipKey(&scratch) }
          break
        }
        open.removeLast()
        depth -= 1
      }
      if open.isEmpty { return }
    }
  }

  mutating func skipKey(_ scratch: inout [UInt8]) throws(SyntaxError) {
    guard position < end, base[position] == UInt8(ascii: "\"") else {
      throw fail("unexpected \(describeByte()), expected a string key")
    }
    try skipString(&scratch)
    skipWhitespace()
    guard position < end, base[position] == UInt8(ascii: ":") else {
      throw fail("unexpected \(describeByte()), expected ':' after an object key")
    }
    position += 1
    skipWhitespace()
  }

  mutating func skipString(_ scratch: inout [UInt8]) throws(SyntaxError) {
    position += 1
    while position < end {
      position = plainRunEnd(from: position)
      guard position < end else { break }
      let byte = base[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return
      }
      if byte < 0x20 { throw fail("control character \(describeByte()) in a string must be escaped") }
      if byte == UInt8(ascii: "\\") {
        position += 1
        scratch.removeAll(keepingCapacity: true)
        switch JSONEscape.decode(UnsafeBufferPointer(start: base, count: end), &position, into: &scratch) {
        case nil: continue
        case .truncated?: throw fail(position >= end ? "unterminated string" : "truncated \\u escape")
        case .invalidHex?: throw fail("invalid hex digit \(describeByte()) in a \\u escape")
        case .invalidEscape?: throw fail("invalid escape \\\(describeByte()) in a string")
        }
      }
      position += 1
    }
    throw fail("unterminated string")
  }

  mutating func skipNumber() throws(SyntaxError) {
    _ = try parseNumber(building: false)
  }
}
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The top-level keys a projected parse keeps (see ``JSONParser/parseValue(keeping:)``).
public struct Projection: Sendable {
  /// The keys.
  public let names: Set<String>
  private let bytes: [[UInt8]]
  private let strings: [String]

  /// Keeps `names`.
  public init(_ names: Set<String>) {
    self.names = names
    self.strings = names.sorted()
    self.bytes = strings.map { Array($0.utf8) }
  }

  var count: Int { names.count }

  /// The wanted key these (escape-free) bytes spell, if any.
  @inline(__always) func match(_ key: UnsafeBufferPointer<UInt8>) -> String? {
    for (index, candidate) in bytes.enumerated() where candidate.count == key.count {
      if candidate.withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
        return strings[index]
      }
    }
    return nil
  }
}
