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

  let base: UnsafePointer<UInt8>
  let end: Int
  /// The current byte offset.
  public internal(set) var position: Int
  let limits: Limits
  var depth = 0

  /// A parser over `buffer`, starting at `position` (a reader of many values moves on from
  /// ``position`` after each; `buffer` must outlive the parser).
  public init(_ buffer: UnsafeBufferPointer<UInt8>, position: Int = 0, limits: Limits = Limits()) {
    precondition(position >= 0 && position <= buffer.count, "a position outside the buffer")
    // An empty buffer may have a nil base; point at a static byte instead.
    self.base = buffer.baseAddress ?? JSONParser.empty.pointer
    self.end = buffer.count
    self.position = position
    self.limits = limits
  }

  /// One zero byte, the base of an empty input (a buffer with no base address).
  private static let empty = EmptyInput()

  // Sendable by its rule: the byte is written once, when it is made, and never freed or
  // written again; every parser only reads it.
  private struct EmptyInput: @unchecked Sendable {
    let pointer: UnsafePointer<UInt8>
    init() {
      let byte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
      byte.initialize(to: 0)
      pointer = UnsafePointer(byte)
    }
  }

  /// Parses the whole of `text` as exactly one JSON value (a byte order mark before it is
  /// skipped, as jq skips it).
  public static func parse(_ text: String, limits: Limits = Limits()) throws(SyntaxError) -> Value {
    var text = text
    let result = text.withUTF8 { bytes -> Result<Value, SyntaxError> in
      let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
      var parser = JSONParser(bytes, position: bom, limits: limits)
      do throws(SyntaxError) {
        return .success(try parser.parseOnly())
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Every JSON value of `bytes`, in order (a byte order mark before them skipped), an array
  /// among them kept whole: what `import "data" as $d;` reads.
  public static func values(in bytes: [UInt8], limits: Limits = Limits()) throws(SyntaxError) -> [Value] {
    let result = bytes.withUnsafeBufferPointer { buffer -> Result<[Value], SyntaxError> in
      var parser = JSONParser(buffer, position: buffer.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, limits: limits)
      var values: [Value] = []
      do throws(SyntaxError) {
        while parser.skipWhitespace() { values.append(try parser.parseValue()) }
        return .success(values)
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses one value that must be alone in the buffer (white space around it allowed).
  mutating func parseOnly() throws(SyntaxError) -> Value {
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

  func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: position) }

  func describeByte() -> String {
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
    case UInt8(ascii: "n") where !atNamedNumber:
      try expectWord("null")
      return .null
    case UInt8(ascii: "-") where !atNamedNumber, UInt8(ascii: "0")...UInt8(ascii: "9"):
      return .number(try parseNumber())
    case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "-"):
      return .number(try parseNamedNumber())
    default: throw fail("unexpected \(describeByte()), expected a value")
    }
  }

  mutating func parseObject() throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var object = JSONObject(capacity: 8)
    if closesAtOnce(UInt8(ascii: "}")) { return .object(object) }
    while true {
      skipWhitespace()
      object.insertParsed(try parseKey(), try parseValue())
      guard try separator(closing: UInt8(ascii: "}")) else { break }
    }
    depth -= 1
    return .object(object)
  }

  mutating func parseArray() throws(SyntaxError) -> Value {
    try enter()
    position += 1
    var array: [Value] = []
    if closesAtOnce(UInt8(ascii: "]")) { return .array(array) }
    while true {
      skipWhitespace()
      array.append(try parseValue())
      guard try separator(closing: UInt8(ascii: "]")) else { break }
    }
    depth -= 1
    return .array(array)
  }

  /// Right after an opening bracket (white space first): true, and the container left, when it
  /// is empty.
  @inline(__always) mutating func closesAtOnce(_ close: UInt8) -> Bool {
    skipWhitespace()
    guard position < end && base[position] == close else { return false }
    position += 1
    depth -= 1
    return true
  }

  /// After a member of an object or an element of an array (white space first): `,` gives true
  /// (another one follows), the closing bracket false; anything else, or the end, is the error
  /// every reader of this parser reports.
  @inline(__always) mutating func separator(closing close: UInt8) throws(SyntaxError) -> Bool {
    skipWhitespace()
    let inObject = close == UInt8(ascii: "}")
    guard position < end else {
      throw fail(inObject ? "unexpected end of input inside an object" : "unexpected end of input inside an array")
    }
    let byte = base[position]
    position += 1
    if byte == UInt8(ascii: ",") { return true }
    if byte == close { return false }
    position -= 1
    throw fail(
      inObject
        ? "unexpected \(describeByte()), expected ',' or '}' in an object"
        : "unexpected \(describeByte()), expected ',' or ']' in an array")
  }

  /// Parses one value (a deeply nested one) with the arrays and objects being read kept on
  /// the parser's own stacks (mutated in place, never copied), so the depth of the data never
  /// touches the thread's stack.
  mutating func parseValueIteratively() throws(SyntaxError) -> Value {
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
      case UInt8(ascii: "n") where !atNamedNumber:
        try expectWord("null")
        value = .null
      case UInt8(ascii: "-") where !atNamedNumber, UInt8(ascii: "0")...UInt8(ascii: "9"):
        value = .number(try parseNumber())
      case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "-"):
        value = .number(try parseNamedNumber())
      default: throw fail("unexpected \(describeByte()), expected a value")
      }
      // Put the value into the containers it completes, closing them as far as it goes.
      while let objectOpen = isObject.last {
        if objectOpen {
          objects[objects.count - 1].insertParsed(keys.removeLast(), value)
          if try separator(closing: UInt8(ascii: "}")) {
            skipWhitespace()
            keys.append(try parseKey())
            continue read
          }
          value = .object(objects.removeLast())
        } else {
          arrays[arrays.count - 1].append(value)
          if try separator(closing: UInt8(ascii: "]")) {
            skipWhitespace()
            continue read
          }
          value = .array(arrays.removeLast())
        }
        isObject.removeLast()
        depth -= 1
      }
      return value
    }
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
