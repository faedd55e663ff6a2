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
      var out = ""
      for scalar in text(value).unicodeScalars {
        switch scalar {
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "&": out += "&amp;"
        case "'": out += "&apos;"
        case "\"": out += "&quot;"
        default: out.unicodeScalars.append(scalar)
        }
      }
      return out
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
      let bytes = Array(text(value).utf8)
      var out: [UInt8] = []
      var index = 0
      while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
          let byte = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
        {
          out.append(byte)
          index += 3
        } else {
          out.append(bytes[index])
          index += 1
        }
      }
      return String(decoding: out, as: UTF8.self)
    case "csv", "tsv":
      guard case .array(let items) = value else {
        throw JQError("\(describe(value)) cannot be \(name)-formatted, only an array can be", at: range)
      }
      var fields: [String] = []
      for item in items {
        switch item {
        case .null: fields.append("")
        case .bool(let flag): fields.append(flag ? "true" : "false")
        case .number: fields.append(JSONWriter.compact(item))
        case .string(let string):
          if name == "csv" {
            fields.append("\"" + string.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
          } else {
            var escaped = ""
            for scalar in string.unicodeScalars {
              switch scalar {
              case "\\": escaped += "\\\\"
              case "\t": escaped += "\\t"
              case "\n": escaped += "\\n"
              case "\r": escaped += "\\r"
              default: escaped.unicodeScalars.append(scalar)
              }
            }
            fields.append(escaped)
          }
        default:
          throw JQError("\(describe(item)) is not valid in a csv row", at: range)
        }
      }
      return fields.joined(separator: name == "csv" ? "," : "\t")
    case "sh":
      func quote(_ item: Value) throws -> String {
        switch item {
        case .string(let string): return "'" + string.replacingOccurrences(of: "'", with: "'\\''") + "'"
        case .array, .object: throw JQError("\(describe(item)) can not be escaped for shell", at: range)
        default: return JSONWriter.compact(item)
        }
      }
      if case .array(let items) = value { return try items.map(quote).joined(separator: " ") }
      return try quote(value)
    case "base64":
      return Data(text(value).utf8).base64EncodedString()
    case "base64d":
      let input = text(value)
      var padded = input.filter { !$0.isWhitespace }
      while padded.count % 4 != 0 { padded += "=" }
      guard let data = Data(base64Encoded: padded) else {
        throw JQError("\(describe(value)) is not valid base64 data", at: range)
      }
      return String(decoding: data, as: UTF8.self)
    // jq has no base32 (its manual lists it; every jq from 1.6 to 1.8.2 refuses it so).
    default:
      throw JQError("\(name) is not a valid format", at: range)
    }
  }
}
