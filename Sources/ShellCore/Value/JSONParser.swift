/// A strict, fast JSON parser over bytes (RFC 8259), producing ``Value``s.
///
/// Strings without escapes are decoded straight from the input bytes (invalid UTF-8 becomes
/// U+FFFD, as jq does); numbers keep their source text when it is not the double's own
/// spelling. Nesting is limited (``Limits/maxDepth``) so hostile input cannot exhaust the stack.
public struct JSONParser {
  /// Bounds on what one value may be.
  public struct Limits: Sendable {
    /// Deepest array/object nesting accepted (jq's limit).
    public var maxDepth = 10_000
    /// Creates the default limits.
    public init() {}
  }

  /// Why a text is not JSON, and where (byte offset into the parsed buffer).
  public struct SyntaxError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Byte offset of the problem.
    public var offset: Int
    public var description: String { message }
  }

  private let base: UnsafePointer<UInt8>
  private let end: Int
  /// The current byte offset.
  public private(set) var position: Int
  private let limits: Limits
  private var depth = 0

  /// A parser over `buffer`, starting at `position`.
  public init(_ buffer: UnsafeBufferPointer<UInt8>, position: Int = 0, limits: Limits = Limits()) {
    // An empty buffer may have a nil base; point at a static byte instead.
    self.base = buffer.baseAddress ?? JSONParser.emptyBase
    self.end = buffer.count
    self.position = position
    self.limits = limits
  }

  nonisolated(unsafe) private static let emptyBase: UnsafePointer<UInt8> = {
    let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
  }()

  /// Parses the whole of `text` as exactly one JSON value.
  public static func parse(_ text: String, limits: Limits = Limits()) throws(SyntaxError) -> Value {
    var text = text
    let result = text.withUTF8 { bytes -> Result<Value, SyntaxError> in
      var parser = JSONParser(bytes, limits: limits)
      do throws(SyntaxError) {
        return .success(try parser.parseOnly())
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one value that must be alone in the buffer (white space around it allowed).
  public mutating func parseOnly() throws(SyntaxError) -> Value {
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    if position < end { throw fail("unexpected text after the JSON value") }
    return value
  }

  /// Skips spaces, tabs, CR and LF; true if anything remains.
  @discardableResult public mutating func skipWhitespace() -> Bool {
    while position < end {
      let byte = base[position]
      if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
        position += 1
      } else {
        return true
      }
    }
    return false
  }

  /// Whether the parser has consumed the buffer.
  public var atEnd: Bool { position >= end }

  private func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: position) }

  private func describeByte() -> String {
    guard position < end else { return "end of input" }
    let byte = base[position]
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(UnicodeScalar(byte)))'" }
    return "byte 0x\(String(byte, radix: 16))"
  }

  /// How deep the parser recurses before it keeps its own stack: ordinary data stays on the
  /// fast recursive path, and nothing deeper than this touches the thread's stack.
  static let recursionDepth = 64

  /// Parses one value at the current position (no leading white space skipped).
  public mutating func parseValue() throws(SyntaxError) -> Value {
    guard position < end else { throw fail("unexpected end of input, expected a value") }
    switch base[position] {
    case UInt8(ascii: "{"): return depth < Self.recursionDepth ? try parseObject() : try parseValueIteratively()
    case UInt8(ascii: "["): return depth < Self.recursionDepth ? try parseArray() : try parseValueIteratively()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectWord("true")
      return .true
    case UInt8(ascii: "f"):
      try expectWord("false")
      return .false
    case UInt8(ascii: "n"):
      try expectWord("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw fail("unexpected \(describeByte()), expected a value")
    }
  }

  private mutating func parseObject() throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var object = JSONObject(capacity: 8)
    skipWhitespace()
    if position < end && base[position] == UInt8(ascii: "}") {
      position += 1
      depth -= 1
      return .object(object)
    }
    while true {
      skipWhitespace()
      guard position < end, base[position] == UInt8(ascii: "\"") else {
        throw fail("unexpected \(describeByte()), expected a string key")
      }
      let key = try parseString()
      skipWhitespace()
      guard position < end, base[position] == UInt8(ascii: ":") else {
        throw fail("unexpected \(describeByte()), expected ':' after an object key")
      }
      position += 1
      skipWhitespace()
      let value = try parseValue()
      if object.index(of: key) != nil {
        object[key] = value  // the last duplicate wins, as in jq
      } else {
        object.appendUnchecked(key, value)
      }
      skipWhitespace()
      guard position < end else { throw fail("unexpected end of input inside an object") }
      let byte = base[position]
      position += 1
      if byte == UInt8(ascii: ",") { continue }
      if byte == UInt8(ascii: "}") { break }
      position -= 1
      throw fail("unexpected \(describeByte()), expected ',' or '}' in an object")
    }
    depth -= 1
    return .object(object)
  }

  private mutating func parseArray() throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var array: [Value] = []
    skipWhitespace()
    if position < end && base[position] == UInt8(ascii: "]") {
      position += 1
      depth -= 1
      return .array(array)
    }
    while true {
      skipWhitespace()
      array.append(try parseValue())
      skipWhitespace()
      guard position < end else { throw fail("unexpected end of input inside an array") }
      let byte = base[position]
      position += 1
      if byte == UInt8(ascii: ",") { continue }
      if byte == UInt8(ascii: "]") { break }
      position -= 1
      throw fail("unexpected \(describeByte()), expected ',' or ']' in an array")
    }
    depth -= 1
    return .array(array)
  }

  /// Parses one value (a deeply nested one) with the arrays and objects being read kept on
  /// the parser's own stacks (mutated in place, never copied), so the depth of the data never
  /// touches the thread's stack.
  private mutating func parseValueIteratively() throws(SyntaxError) -> Value {
    var isObject: [Bool] = []
    var arrays: [[Value]] = []
    var objects: [JSONObject] = []
    var keys: [String] = []
    var value: Value
    read: while true {
      guard position < end else { throw fail("unexpected end of input, expected a value") }
      switch base[position] {
      case UInt8(ascii: "{"):
        try enter()
        position += 1
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "}") {
          position += 1
          depth -= 1
          value = .object(JSONObject())
        } else {
          isObject.append(true)
          objects.append(JSONObject(capacity: 8))
          keys.append(try parseKey())
          continue read
        }
      case UInt8(ascii: "["):
        try enter()
        position += 1
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "]") {
          position += 1
          depth -= 1
          value = .array([])
        } else {
          isObject.append(false)
          arrays.append([])
          continue read
        }
      case UInt8(ascii: "\""): value = .string(try parseString())
      case UInt8(ascii: "t"):
        try expectWord("true")
        value = .true
      case UInt8(ascii: "f"):
        try expectWord("false")
        value = .false
      case UInt8(ascii: "n"):
        try expectWord("null")
        value = .null
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
      default: throw fail("unexpected \(describeByte()), expected a value")
      }
      // Put the value into the containers it completes, closing them as far as it goes.
      while let objectOpen = isObject.last {
        skipWhitespace()
        guard position < end else {
          throw fail(
            objectOpen ? "unexpected end of input inside an object" : "unexpected end of input inside an array")
        }
        let byte = base[position]
        position += 1
        if objectOpen {
          let key = keys.removeLast()
          if objects[objects.count - 1].index(of: key) != nil {
            objects[objects.count - 1][key] = value  // the last duplicate wins, as in jq
          } else {
            objects[objects.count - 1].appendUnchecked(key, value)
          }
          if byte == UInt8(ascii: ",") {
            skipWhitespace()
            keys.append(try parseKey())
            continue read
          }
          guard byte == UInt8(ascii: "}") else {
            position -= 1
            throw fail("unexpected \(describeByte()), expected ',' or '}' in an object")
          }
          value = .object(objects.removeLast())
        } else {
          arrays[arrays.count - 1].append(value)
          if byte == UInt8(ascii: ",") {
            skipWhitespace()
            continue read
          }
          guard byte == UInt8(ascii: "]") else {
            position -= 1
            throw fail("unexpected \(describeByte()), expected ',' or ']' in an array")
          }
          value = .array(arrays.removeLast())
        }
        isObject.removeLast()
        depth -= 1
      }
      return value
    }
  }

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

  private mutating func parseProjectedObject(_ keys: Projection) throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var object = JSONObject(capacity: keys.count)
    skipWhitespace()
    if position < end && base[position] == UInt8(ascii: "}") {
      position += 1
      depth -= 1
      return .object(object)
    }
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
        let value = try parseValue()
        if object.index(of: wanted) != nil {
          object[wanted] = value  // the last duplicate wins, as in jq
        } else {
          object.appendUnchecked(wanted, value)
        }
      } else {
        try skipValue()
      }
      skipWhitespace()
      guard position < end else { throw fail("unexpected end of input inside an object") }
      let byte = base[position]
      position += 1
      if byte == UInt8(ascii: ",") { continue }
      if byte == UInt8(ascii: "}") { break }
      position -= 1
      throw fail("unexpected \(describeByte()), expected ',' or '}' in an object")
    }
    depth -= 1
    return .object(object)
  }

  /// Checks and passes over one value, building nothing; rejects exactly what ``parseValue()``
  /// rejects (strings through the same escape decoder, numbers through the same grammar,
  /// nesting against the same limit).
  private mutating func skipValue() throws(SyntaxError) {
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
      case UInt8(ascii: "n"): try expectWord("null")
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
      default: throw fail("unexpected \(describeByte()), expected a value")
      }
      // After a value: a separator, or the end of containers.
      while let close = open.last {
        skipWhitespace()
        guard position < end else {
          throw fail(
            close == UInt8(ascii: "}")
              ? "unexpected end of input inside an object" : "unexpected end of input inside an array")
        }
        let byte = base[position]
        position += 1
        if byte == UInt8(ascii: ",") {
          skipWhitespace()
          if close == UInt8(ascii: "}") { try skipKey(&scratch) }
          break
        }
        guard byte == close else {
          position -= 1
          throw fail(
            close == UInt8(ascii: "}")
              ? "unexpected \(describeByte()), expected ',' or '}' in an object"
              : "unexpected \(describeByte()), expected ',' or ']' in an array")
        }
        open.removeLast()
        depth -= 1
      }
      if open.isEmpty { return }
    }
  }

  private mutating func skipKey(_ scratch: inout [UInt8]) throws(SyntaxError) {
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

  private mutating func skipString(_ scratch: inout [UInt8]) throws(SyntaxError) {
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

  private mutating func skipNumber() throws(SyntaxError) {
    _ = try parseNumber(building: false)
  }

  /// `"key" :` and the white space after it.
  private mutating func parseKey() throws(SyntaxError) -> String {
    guard position < end, base[position] == UInt8(ascii: "\"") else {
      throw fail("unexpected \(describeByte()), expected a string key")
    }
    let key = try parseString()
    skipWhitespace()
    guard position < end, base[position] == UInt8(ascii: ":") else {
      throw fail("unexpected \(describeByte()), expected ':' after an object key")
    }
    position += 1
    skipWhitespace()
    return key
  }

  private mutating func expectWord(_ word: StaticString) throws(SyntaxError) {
    let count = word.utf8CodeUnitCount
    guard end - position >= count, memcmp(base + position, word.utf8Start, count) == 0 else {
      throw fail("invalid literal, expected \(word)")
    }
    position += count
  }

  private mutating func enter() throws(SyntaxError) {
    depth += 1
    if depth > limits.maxDepth { throw fail("Exceeds depth limit for parsing (\(limits.maxDepth) levels)") }
  }

  /// Parses a string at `"`; the fast path copies bytes without escapes straight in.
  /// The offset of the first byte at or after `from` that ends a run of plain string bytes:
  /// a quote, a backslash or a control character (`end` if none). Eight bytes at a time.
  @inline(__always) private func plainRunEnd(from: Int) -> Int {
    var index = from
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    while index + 8 <= end {
      let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
      let quote = word ^ (ones &* 0x22)
      let backslash = word ^ (ones &* 0x5C)
      // A byte is flagged if it is zero (quote, backslash) or below 0x20; the lowest flag is
      // exact (borrows only run upward), which is all that is needed.
      let flags =
        ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & highs
      if flags != 0 { return index + (flags.littleEndian.trailingZeroBitCount >> 3) }
      index += 8
    }
    while index < end {
      let byte = base[index]
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
      index += 1
    }
    return end
  }

  private mutating func parseString() throws(SyntaxError) -> String {
    position += 1
    let start = position
    position = plainRunEnd(from: position)
    while position < end {
      let byte = base[position]
      if byte == UInt8(ascii: "\"") {
        let string = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
        position += 1
        return string
      }
      if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
      if byte < 0x20 { throw fail("control character \(describeByte()) in a string must be escaped") }
      position += 1
    }
    throw fail("unterminated string")
  }

  private mutating func parseEscapedString(from start: Int) throws(SyntaxError) -> String {
    var bytes = [UInt8](UnsafeBufferPointer(start: base + start, count: position - start))
    while position < end {
      let byte = base[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return String(decoding: bytes, as: UTF8.self)
      }
      if byte < 0x20 { throw fail("control character \(describeByte()) in a string must be escaped") }
      if byte != UInt8(ascii: "\\") {
        bytes.append(byte)
        position += 1
        continue
      }
      position += 1
      let problem = JSONEscape.decode(UnsafeBufferPointer(start: base, count: end), &position, into: &bytes)
      switch problem {
      case nil: continue
      case .truncated?: throw fail(position >= end ? "unterminated string" : "truncated \\u escape")
      case .invalidHex?: throw fail("invalid hex digit \(describeByte()) in a \\u escape")
      case .invalidEscape?: throw fail("invalid escape \\\(describeByte()) in a string")
      }
    }
    throw fail("unterminated string")
  }

  /// Parses a number; plain integers of up to 15 digits are converted exactly without strtod.
  private mutating func parseNumber() throws(SyntaxError) -> Number {
    try parseNumber(building: true)
  }

  /// The number grammar, shared by parsing and skipping (`building` false: no conversion).
  private mutating func parseNumber(building: Bool) throws(SyntaxError) -> Number {
    let start = position
    var negative = false
    if base[position] == UInt8(ascii: "-") {
      negative = true
      position += 1
    }
    guard position < end, base[position] >= 0x30 && base[position] <= 0x39 else {
      throw fail("invalid number: expected a digit")
    }
    var integer: UInt64 = 0
    var digits = 0
    if base[position] == UInt8(ascii: "0") {
      position += 1
      digits = 1
      if position < end && base[position] >= 0x30 && base[position] <= 0x39 {
        throw fail("invalid number: leading zeros are not allowed")
      }
    } else {
      while position < end && base[position] >= 0x30 && base[position] <= 0x39 {
        if digits < 18 { integer = integer &* 10 &+ UInt64(base[position] - 0x30) }
        digits += 1
        position += 1
      }
    }
    var simple = digits <= 15
    if position < end && base[position] == UInt8(ascii: ".") {
      simple = false
      position += 1
      guard position < end && base[position] >= 0x30 && base[position] <= 0x39 else {
        throw fail("invalid number: expected a digit after '.'")
      }
      while position < end && base[position] >= 0x30 && base[position] <= 0x39 { position += 1 }
    }
    if position < end && (base[position] == UInt8(ascii: "e") || base[position] == UInt8(ascii: "E")) {
      simple = false
      position += 1
      if position < end && (base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-")) {
        position += 1
      }
      guard position < end && base[position] >= 0x30 && base[position] <= 0x39 else {
        throw fail("invalid number: expected a digit in the exponent")
      }
      while position < end && base[position] >= 0x30 && base[position] <= 0x39 { position += 1 }
    }
    if !building { return Number(0) }
    if simple && !(negative && integer == 0) {
      let double = Double(integer)
      return Number(negative ? -double : double)
    }
    let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
    return Number(Double(text) ?? (negative ? -.infinity : .infinity), literal: text)
  }
}

@inline(__always) func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
  switch scalar {
  case 0..<0x80: bytes.append(UInt8(scalar))
  case 0x80..<0x800:
    bytes.append(UInt8(0xC0 | (scalar >> 6)))
    bytes.append(UInt8(0x80 | (scalar & 0x3F)))
  case 0x800..<0x10000:
    bytes.append(UInt8(0xE0 | (scalar >> 12)))
    bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
    bytes.append(UInt8(0x80 | (scalar & 0x3F)))
  default:
    bytes.append(UInt8(0xF0 | (scalar >> 18)))
    bytes.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
    bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
    bytes.append(UInt8(0x80 | (scalar & 0x3F)))
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
