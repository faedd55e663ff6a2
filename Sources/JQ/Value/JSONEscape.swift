/// JSON string escapes (`\n`, `\u00e9`, surrogate pairs), decoded one way for both the JSON
/// parser and the program lexer.
enum JSONEscape {
  /// Why an escape could not be decoded; `position` is left on the offending byte.
  enum Problem {
    case truncated
    case invalidEscape
    case invalidHex
  }

  /// Decodes the escape whose letter is at `position` (just after the backslash), appends its
  /// UTF-8 to `out` and moves `position` past it. An unpaired surrogate becomes U+FFFD.
  static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int, into out: inout [UInt8]) -> Problem? {
    guard position < bytes.count else { return .truncated }
    let letter = bytes[position]
    position += 1
    switch letter {
    case UInt8(ascii: "\""): out.append(0x22)
    case UInt8(ascii: "\\"): out.append(0x5C)
    case UInt8(ascii: "/"): out.append(0x2F)
    case UInt8(ascii: "b"): out.append(0x08)
    case UInt8(ascii: "f"): out.append(0x0C)
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "u"):
      guard var scalar = hex4(bytes, &position) else { return bytes.count - position < 4 ? .truncated : .invalidHex }
      if (0xD800..<0xDC00).contains(scalar), bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      {
        // A high surrogate pairs with a following low one; anything else is decoded on its own.
        var next = position + 2
        if let low = hex4(bytes, &next), (0xDC00..<0xE000).contains(low) {
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          position = next
        }
      }
      if (0xD800..<0xE000).contains(scalar) { scalar = 0xFFFD }
      appendUTF8(scalar, to: &out)
    default:
      position -= 1
      return .invalidEscape
    }
    return nil
  }

  /// Four hex digits at `position`; on a bad digit `position` stays on it and nil is returned.
  static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> UInt32? {
    guard bytes.count - position >= 4 else { return nil }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: return nil
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }
}
