#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Keys, literals, strings and numbers: the leaves of a JSON text.
extension JSONParser {
  /// `"key" :` and the white space after it.
  mutating func parseKey() throws(SyntaxError) -> String {
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

  mutating func expectWord(_ word: StaticString) throws(SyntaxError) {
    let count = word.utf8CodeUnitCount
    guard end - position >= count, memcmp(base + position, word.utf8Start, count) == 0 else {
      throw fail("invalid literal, expected \(word)")
    }
    position += count
  }

  /// jq's names for the numbers JSON has none for, as jq reads them: `nan`, `NaN`, `-NaN`,
  /// `Infinity`, `-Infinity` (a name run into more letters or digits is not one).
  mutating func parseNamedNumber() throws(SyntaxError) -> Number {
    for (word, value) in Self.namedNumbers {
      let bytes = word.utf8
      guard end - position >= bytes.count, memcmp(base + position, Array(bytes), bytes.count) == 0 else { continue }
      let after = position + bytes.count
      if after < end,
        base[after] == 0x5F || (base[after] | 0x20 >= 0x61 && base[after] | 0x20 <= 0x7A)
          || (base[after] >= 0x30 && base[after] <= 0x39)
      {
        break
      }
      position = after
      return Number(value)
    }
    throw fail("invalid literal, expected a value")
  }

  private static let namedNumbers: [(String, Double)] = [
    ("nan", .nan), ("NaN", .nan), ("-NaN", .nan), ("-nan", .nan), ("Infinity", .infinity), ("-Infinity", -.infinity),
  ]

  /// Whether the value here is one of jq's named numbers rather than `null` or a number.
  var atNamedNumber: Bool {
    switch base[position] {
    case UInt8(ascii: "N"), UInt8(ascii: "I"): return true
    case UInt8(ascii: "n"): return end - position >= 3 && base[position + 1] == UInt8(ascii: "a")
    case UInt8(ascii: "-"):
      return end - position >= 2
        && (base[position + 1] == UInt8(ascii: "N") || base[position + 1] == UInt8(ascii: "I")
          || base[position + 1] == UInt8(ascii: "n"))
    default: return false
    }
  }

  mutating func enter() throws(SyntaxError) {
    depth += 1
    if depth > limits.maxDepth { throw fail("Exceeds depth limit for parsing (\(limits.maxDepth) levels)") }
  }

  /// Parses a string at `"`; the fast path copies bytes without escapes straight in.
  /// The offset of the first byte at or after `from` that ends a run of plain string bytes:
  /// a quote, a backslash or a control character (`end` if none). Eight bytes at a time.
  @inline(__always) func plainRunEnd(from: Int) -> Int {
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

  mutating func parseString() throws(SyntaxError) -> String {
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

  mutating func parseEscapedString(from start: Int) throws(SyntaxError) -> String {
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
  mutating func parseNumber() throws(SyntaxError) -> Number {
    try parseNumber(building: true)
  }

  /// The number grammar, shared by parsing and skipping (`building` false: no conversion).
  mutating func parseNumber(building: Bool) throws(SyntaxError) -> Number {
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
    // A zero keeps its text (a short string: no allocation): negating a literal zero gives a
    // positive one, as decNumber does in jq 1.8, where a computed zero's sign flips.
    if simple {
      if integer == 0 { return Number(negative ? -0.0 : 0, literal: negative ? "-0" : "0") }
      let double = Double(integer)
      return Number(negative ? -double : double)
    }
    let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
    return Number(Double(text) ?? (negative ? -.infinity : .infinity), literal: text)
  }
}
