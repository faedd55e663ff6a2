/// Writes ``Value``s as JSON text into a byte buffer: compact (one line) or indented, with
/// optional ANSI colors in jq's default palette.
public struct JSONWriter {
  /// The bytes written so far.
  public var bytes: [UInt8] = []
  /// Spaces per indent level; 0 for compact output.
  public var indent = 0
  /// Whether to color the output for a terminal.
  public var color = false
  /// Whether to sort object keys (jq's `-S`).
  public var sortKeys = false
  /// Indent with a tab per level instead of spaces (jq's `--tab`; `indent` must be above 0).
  public var tabs = false
  /// Escape every character outside ASCII as `\uXXXX` (jq's `-a`).
  public var asciiOnly = false
  /// Deeper values print as `<skipped: too deep>`, as in jq.
  public var maxDepth = 10_000

  /// A writer with room for `capacity` bytes.
  public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

  /// The text of `value`, compact.
  public static func compact(_ value: Value) -> String {
    var writer = JSONWriter(capacity: 64)
    writer.write(value)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  private enum Palette {
    static let null: [UInt8] = Array("\u{1B}[1;30m".utf8)
    static let literal: [UInt8] = Array("\u{1B}[0;39m".utf8)
    static let string: [UInt8] = Array("\u{1B}[0;32m".utf8)
    static let structure: [UInt8] = Array("\u{1B}[1;39m".utf8)
    static let key: [UInt8] = Array("\u{1B}[34;1m".utf8)
    static let reset: [UInt8] = Array("\u{1B}[0m".utf8)
  }

  /// Appends `value`.
  public mutating func write(_ value: Value) { write(value, level: 0) }

  /// How deep the writer recurses before it keeps its own stack (so deep data never
  /// exhausts the thread's).
  static let recursionDepth = 64

  private mutating func write(_ value: Value, level: Int) {
    if level > maxDepth {
      append("<skipped: too deep>")
      return
    }
    if level >= Self.recursionDepth {
      return writeIteratively(value, level: level)
    }
    switch value {
    case .null: colored(Palette.null) { $0.append("null") }
    case .bool(let flag): colored(Palette.literal) { $0.append(flag ? "true" : "false") }
    case .number(let number): colored(Palette.literal) { $0.writeNumber(number) }
    case .string(let string): colored(Palette.string) { $0.writeString(string) }
    case .array(let array):
      if array.isEmpty {
        colored(Palette.structure) { $0.append("[]") }
        return
      }
      colored(Palette.structure) { $0.append("[") }
      for (index, element) in array.enumerated() {
        if index > 0 { colored(Palette.structure) { $0.append(",") } }
        newline(level + 1)
        write(element, level: level + 1)
      }
      newline(level)
      colored(Palette.structure) { $0.append("]") }
    case .object(let object):
      if object.isEmpty {
        colored(Palette.structure) { $0.append("{}") }
        return
      }
      colored(Palette.structure) { $0.append("{") }
      func member(_ position: Int, _ index: Int) {
        if position > 0 { colored(Palette.structure) { $0.append(",") } }
        newline(level + 1)
        colored(Palette.key) { $0.writeString(object.key(at: index)) }
        colored(Palette.structure) { $0.append(":") }
        if indent > 0 { bytes.append(0x20) }
        write(object.value(at: index), level: level + 1)
      }
      if sortKeys {
        let order = object.members.indices.sorted { bytesLess(object.key(at: $0), object.key(at: $1)) }
        for (position, index) in order.enumerated() { member(position, index) }
      } else {
        for index in 0..<object.count { member(index, index) }
      }
      newline(level)
      colored(Palette.structure) { $0.append("}") }
    }
  }

  /// A container being written by ``writeIteratively``: what is left of it.
  private enum Open {
    case array([Value], next: Int)
    case object(JSONObject, order: [Int], next: Int)
  }

  /// The same output as the recursive writer, with the containers on a heap stack.
  private mutating func writeIteratively(_ root: Value, level base: Int) {
    var stack: [Open] = []
    var pending: Value? = root
    while true {
      if let value = pending {
        pending = nil
        let level = base + stack.count
        if level > maxDepth {
          append("<skipped: too deep>")
        } else {
          switch value {
          case .array(let array) where !array.isEmpty:
            colored(Palette.structure) { $0.append("[") }
            stack.append(.array(array, next: 0))
          case .object(let object) where !object.isEmpty:
            colored(Palette.structure) { $0.append("{") }
            let order =
              sortKeys
              ? object.members.indices.sorted { bytesLess(object.key(at: $0), object.key(at: $1)) }
              : Array(object.members.indices)
            stack.append(.object(object, order: order, next: 0))
          default:
            write(value, level: 0)  // a scalar or an empty container: no recursion
          }
        }
      }
      guard let top = stack.popLast() else { return }
      let level = base + stack.count
      switch top {
      case .array(let array, let next):
        if next == array.count {
          newline(level)
          colored(Palette.structure) { $0.append("]") }
          continue
        }
        if next > 0 { colored(Palette.structure) { $0.append(",") } }
        newline(level + 1)
        stack.append(.array(array, next: next + 1))
        pending = array[next]
      case .object(let object, let order, let next):
        if next == order.count {
          newline(level)
          colored(Palette.structure) { $0.append("}") }
          continue
        }
        if next > 0 { colored(Palette.structure) { $0.append(",") } }
        newline(level + 1)
        colored(Palette.key) { $0.writeString(object.key(at: order[next])) }
        colored(Palette.structure) { $0.append(":") }
        if indent > 0 { bytes.append(0x20) }
        stack.append(.object(object, order: order, next: next + 1))
        pending = object.value(at: order[next])
      }
    }
  }

  @inline(__always) private mutating func colored(_ code: [UInt8], _ body: (inout JSONWriter) -> Void) {
    if color { bytes += code }
    body(&self)
    if color { bytes += Palette.reset }
  }

  @inline(__always) private mutating func newline(_ level: Int) {
    guard indent > 0 else { return }
    bytes.append(0x0A)
    if tabs {
      for _ in 0..<level { bytes.append(0x09) }
    } else {
      for _ in 0..<(level * indent) { bytes.append(0x20) }
    }
  }

  @inline(__always) mutating func append(_ text: StaticString) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  /// Appends raw bytes (e.g. a newline between values).
  @inline(__always) public mutating func appendByte(_ byte: UInt8) { bytes.append(byte) }

  /// Appends `number`: its source text if it has one, else jq's spelling of the double.
  public mutating func writeNumber(_ number: Number) {
    if let literal = number.canonicalLiteral {
      bytes += literal.utf8
      return
    }
    writeDouble(number.double)
  }

  mutating func writeDouble(_ double: Double) {
    if double.isNaN {
      append("null")
    } else if double.isInfinite {
      append(double < 0 ? "-1.7976931348623157e+308" : "1.7976931348623157e+308")
    } else if double == double.rounded(.towardZero) && abs(double) < 1e16 {
      if double == 0 && double.sign == .minus {
        append("-0")
        return
      }
      writeInteger(Int64(double))
    } else {
      bytes += JSONWriter.jqSpelling(of: double).utf8
    }
  }

  /// A finite double as jq 1.8 prints one (its `jvp_dtoa_fmt`): the shortest digits that read
  /// back the same, in exponent form (`1e+16`, `1.5e-05`: at least two exponent digits) when
  /// the point is more than four places left of them or more than fifteen places right of
  /// their end, else plain (`123456789012345680`, `0.0001`).
  static func jqSpelling(of double: Double) -> String {
    // Swift's description has the same shortest round-trip digits; only the layout differs,
    // and only where Swift writes an exponent (it writes none just where jq writes none).
    let text = double.magnitude.description
    if !text.contains("e") { return double.sign == .minus ? "-" + text : text }
    let parts = text.split(separator: "e", maxSplits: 1)
    let mantissa = parts[0]
    let power = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    let pointAt = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
    var digits = Array(mantissa[..<pointAt].utf8) + Array(mantissa[pointAt...].dropFirst().utf8)
    var decimalPoint = mantissa.distance(from: mantissa.startIndex, to: pointAt) + power
    while digits.count > 1 && digits.first == UInt8(ascii: "0") {
      digits.removeFirst()
      decimalPoint -= 1
    }
    while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
    var out = double.sign == .minus ? "-" : ""
    let digitText = String(decoding: digits, as: UTF8.self)
    if decimalPoint <= -4 || decimalPoint > digits.count + 15 {
      out += String(digitText.prefix(1))
      if digits.count > 1 { out += "." + digitText.dropFirst() }
      let exponent = decimalPoint - 1
      out += exponent < 0 ? "e-" : "e+"
      out += abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
    } else if decimalPoint <= 0 {
      out += "0." + String(repeating: "0", count: -decimalPoint) + digitText
    } else if decimalPoint >= digits.count {
      out += digitText + String(repeating: "0", count: decimalPoint - digits.count)
    } else {
      out += digitText.prefix(decimalPoint) + "." + digitText.dropFirst(decimalPoint)
    }
    return out
  }

  private mutating func writeInteger(_ value: Int64) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits of scratch
    let written = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
      var index = scratch.count
      repeat {
        index -= 1
        scratch[index] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
        magnitude /= 10
      } while magnitude > 0
      bytes.append(contentsOf: scratch[index...])
      return scratch.count - index
    }
    _ = written
  }

  private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  /// Appends `string` quoted, escaping what JSON requires (and DEL, as jq does).
  public mutating func writeString(_ string: String) {
    if asciiOnly && !string.utf8.allSatisfy({ $0 < 0x80 }) { return writeASCIIString(string) }
    bytes.append(0x22)
    var string = string
    string.withUTF8 { utf8 in
      var runStart = 0
      for index in 0..<utf8.count {
        let byte = utf8[index]
        guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
        if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
        runStart = index + 1
        appendEscape(byte)
      }
      if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
    }
    bytes.append(0x22)
  }

  /// `string` quoted with everything outside ASCII as `\uXXXX` (a surrogate pair above
  /// U+FFFF), as jq's `-a` writes it; ASCII is escaped as ``writeString(_:)`` does.
  private mutating func writeASCIIString(_ string: String) {
    bytes.append(0x22)
    for scalar in string.unicodeScalars {
      let value = scalar.value
      switch value {
      case 0..<0x20, 0x22, 0x5C, 0x7F: appendEscape(UInt8(value))
      case 0x20..<0x7F: bytes.append(UInt8(value))
      case 0x10000...:
        let offset = value - 0x10000
        appendUnicodeEscape(0xD800 + (offset >> 10))
        appendUnicodeEscape(0xDC00 + (offset & 0x3FF))
      default: appendUnicodeEscape(value)
      }
    }
    bytes.append(0x22)
  }

  /// The escape of an ASCII byte JSON text cannot hold as is (as jq writes it): `\"`, `\\`, the
  /// short forms of the common controls, else `\u00XX` (the other controls and DEL).
  private mutating func appendEscape(_ byte: UInt8) {
    switch byte {
    case 0x22: append("\\\"")
    case 0x5C: append("\\\\")
    case 0x0A: append("\\n")
    case 0x09: append("\\t")
    case 0x0D: append("\\r")
    case 0x08: append("\\b")
    case 0x0C: append("\\f")
    default:
      append("\\u00")
      bytes.append(Self.hex[Int(byte >> 4)])
      bytes.append(Self.hex[Int(byte & 0xF)])
    }
  }

  private mutating func appendUnicodeEscape(_ value: UInt32) {
    append("\\u")
    for shift in stride(from: 12, through: 0, by: -4) { bytes.append(Self.hex[Int((value >> UInt32(shift)) & 0xF)]) }
  }
}
