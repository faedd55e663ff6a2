import Foundation

extension Interpreter {
  /// `@name`: formats a value as text (`@csv`, `@tsv`, `@sh` take arrays).
  static func format(_ name: String, _ value: Value, _ range: SourceRange?) throws -> String {
    func text(_ value: Value) -> String {
      if case .string(let string) = value { return string }
      return JSONWriter.compact(value)
    }
    switch name {
    case "text": return text(value)
    case "json": return JSONWriter.compact(value)
    case "html":
      return escaped(text(value), ["<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", "\"": "&quot;"])
    case "uri":
      var out = ""
      for byte in text(value).utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
          UInt8(ascii: "~"):
          out.unicodeScalars.append(UnicodeScalar(byte))
        default:
          out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
        }
      }
      return out
    case "urid":
      // Every `%` takes two hex digits, and what they spell is UTF-8, or jq refuses the text.
      let input = text(value)
      let bytes = Array(input.utf8)
      var out: [UInt8] = []
      var index = 0
      while index < bytes.count {
        guard bytes[index] == UInt8(ascii: "%") else {
          out.append(bytes[index])
          index += 1
          continue
        }
        guard index + 2 < bytes.count,
          let byte = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16),
          bytes[index + 1] != UInt8(ascii: "+") && bytes[index + 1] != UInt8(ascii: "-")
        else { throw JQError("\(describe(.string(input))) is not a valid uri encoding", at: range) }
        out.append(byte)
        index += 3
      }
      guard let decoded = String(validating: out, as: UTF8.self) else {
        throw JQError("\(describe(.string(input))) is not a valid uri encoding", at: range)
      }
      return decoded
    case "csv", "tsv":
      guard case .array(let items) = value else {
        throw JQError("\(describe(value)) cannot be \(name)-formatted, only array", at: range)
      }
      var fields: [String] = []
      for item in items {
        switch item {
        case .null: fields.append("")
        case .bool(let flag): fields.append(flag ? "true" : "false")
        case .number(let number): fields.append(number.double.isNaN ? "" : JSONWriter.compact(item))
        case .string(let string):
          if name == "csv" {
            fields.append("\"" + escaped(string, ["\"": "\"\""]) + "\"")
          } else {
            fields.append(escaped(string, ["\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"]))
          }
        default:
          throw JQError("\(describe(item)) is not valid in a csv row", at: range)
        }
      }
      return fields.joined(separator: name == "csv" ? "," : "\t")
    case "sh":
      func quote(_ item: Value) throws -> String {
        switch item {
        case .string(let string): return "'" + escaped(string, ["'": "'\\''"]) + "'"
        case .array, .object: throw JQError("\(describe(item)) can not be escaped for shell", at: range)
        default: return JSONWriter.compact(item)
        }
      }
      if case .array(let items) = value { return try items.map(quote).joined(separator: " ") }
      return try quote(value)
    case "base64":
      return Data(text(value).utf8).base64EncodedString()
    case "base64d":
      // jq's decoder: up to the first `=`, every other byte an error, a lone last sextet an
      // error, what is left over from a partial group kept.
      let input = text(value)
      var out: [UInt8] = []
      var code: UInt32 = 0
      var read = 0
      for byte in input.utf8 {
        if byte == UInt8(ascii: "=") { break }
        guard let sextet = base64Sextet(byte) else {
          throw JQError("\(describe(.string(input))) is not valid base64 data", at: range)
        }
        code = code << 6 | sextet
        read += 1
        if read == 4 {
          out += [UInt8(code >> 16 & 0xFF), UInt8(code >> 8 & 0xFF), UInt8(code & 0xFF)]
          read = 0
          code = 0
        }
      }
      switch read {
      case 3: out += [UInt8(code >> 10 & 0xFF), UInt8(code >> 2 & 0xFF)]
      case 2: out.append(UInt8(code >> 4 & 0xFF))
      case 1: throw JQError("\(describe(.string(input))) trailing base64 byte found", at: range)
      default: break
      }
      return jqRepairedText(out)
    // jq has no base32 (its manual lists it; every jq from 1.6 to 1.8.2 refuses it so).
    default:
      throw JQError("\(name) is not a valid format", at: range)
    }
  }

  /// `text` with the characters in `escapes` replaced, and NUL written `\0`, as jq's
  /// `escape_string` does for every format that escapes.
  static func escaped(_ text: String, _ escapes: [Unicode.Scalar: String]) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if let replacement = escapes[scalar] {
        out += replacement
      } else if scalar == "\0" {
        out += "\\0"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// A base64 digit's value, or nil.
  static func base64Sextet(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(byte - UInt8(ascii: "A"))
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(byte - UInt8(ascii: "a") + 26)
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0") + 52)
    case UInt8(ascii: "+"): return 62
    case UInt8(ascii: "/"): return 63
    default: return nil
    }
  }

  /// Bytes as text the way jq repairs bad UTF-8 (`jvp_utf8_next`): one U+FFFD for a stray byte,
  /// for a sequence cut short by the next non-continuation byte (which then starts afresh),
  /// for a sequence the text ends inside of (all of it), and for an overlong or surrogate one.
  static func jqRepairedText(_ bytes: [UInt8]) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    var out = String.UnicodeScalarView()
    var index = 0
    while index < bytes.count {
      let first = bytes[index]
      let length: Int
      switch first {
      case 0..<0x80:
        out.append(UnicodeScalar(first))
        index += 1
        continue
      case 0xC2...0xDF: length = 2
      case 0xE0...0xEF: length = 3
      case 0xF0...0xF4: length = 4
      default:
        out.append("\u{FFFD}")
        index += 1
        continue
      }
      guard length <= bytes.count - index else {
        out.append("\u{FFFD}")
        break
      }
      var code = UInt32(first) & (0xFF >> (length + 1))
      var taken = length
      for offset in 1..<length {
        let byte = bytes[index + offset]
        guard byte & 0xC0 == 0x80 else {
          taken = offset
          code = UInt32.max
          break
        }
        code = code << 6 | UInt32(byte & 0x3F)
      }
      let smallest: [UInt32] = [0, 0, 0x80, 0x800, 0x10000]
      if code != UInt32.max, code >= smallest[length], let scalar = UnicodeScalar(code) {
        out.append(scalar)
      } else {
        out.append("\u{FFFD}")
      }
      index += taken
    }
    return String(out)
  }
}
