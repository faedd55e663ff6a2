import Foundation

/// `type`, `tostring`, `tojson`, `fromjson`, `tonumber`, `toboolean`: between values and text.
extension Builtins {
  static func registerConversions(_ t: inout Registry) {
    t.unary("type/0") { input, _ in .string(input.typeName) }
    t.unary("tostring/0") { input, _ in
      if case .string = input { return input }
      return .string(JSONWriter.compact(input))
    }
    t.unary("tojson/0") { input, _ in .string(JSONWriter.compact(input)) }
    t.unary("fromjson/0") { input, range in
      let text = try string(input, "only strings can be parsed", range)
      // The reader makes a lone high surrogate U+FFFD (a damaged export); jq refuses it here.
      if mayHaveLoneSurrogate(text), let message = JQParseMessage.describe(text) {
        throw JQError("\(message) (while parsing '\(text)')", at: range)
      }
      do throws(JSONParser.SyntaxError) {
        return try JSONParser.parse(text)
      } catch {
        // jq's parser is looser in its scalars (`nan`, `01`, `+1`, `.5`, `inf`): what it reads,
        // this reads as it does. What it refuses too is said in its words (its parser replayed).
        guard let message = JQParseMessage.describe(text) else {
          do throws(JSONParser.SyntaxError) {
            return try JSONParser.parseAsJQ(text)
          } catch {
            throw JQError("\(error.message) (while parsing '\(text)')", at: range)
          }
        }
        throw JQError("\(message) (while parsing '\(text)')", at: range)
      }
    }
    t.unary("tonumber/0") { input, range in
      switch input {
      case .number: return input
      case .string(let text):
        guard let number = parseNumberText(text) else {
          throw JQError("\(describe(input)) cannot be parsed as a number", at: range)
        }
        return .number(number)
      default: throw JQError("\(describe(input)) cannot be parsed as a number", at: range)
      }
    }
    t.unary("toboolean/0") { input, range in
      switch input {
      case .bool: return input
      case .string("true"): return .true
      case .string("false"): return .false
      default: throw JQError("\(describe(input)) cannot be parsed as a boolean", at: range)
      }
    }
  }

  /// A number as `tonumber` reads it, which is as jq 1.8's decNumber reads one: an optional
  /// sign, digits with an optional point (or a leading point), an optional exponent; or `inf`,
  /// `infinity`, `nan` or `snan` in any case, signed, a NaN with no payload but zeros. Nothing
  /// else, not even spaces.
  static func parseNumberText(_ text: String) -> Number? {
    let bytes = Array(text.utf8)
    var index = 0
    if let named = namedNumber(bytes) { return named }
    func digits() -> Int {
      let start = index
      while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
      return index - start
    }
    if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
    var count = digits()
    if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
      index += 1
      count += digits()
    }
    guard count > 0 else { return nil }
    if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
      index += 1
      if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
      guard digits() > 0 else { return nil }
    }
    guard index == bytes.count, let double = Double(text) else { return nil }
    // Past decNumber's largest exponent the number overflows to an infinity.
    if double.isInfinite, let decimal = DecimalText(text), decimal.exponent + decimal.digits.count - 1 > 999_999_999 {
      return Number(double)
    }
    // Keep the text only when it is itself valid JSON and says more than the double would.
    let isJSON =
      text.first != "+" && !text.hasPrefix(".") && !text.hasPrefix("-.") && !text.contains(".e")
      && !text.hasSuffix(".") && !(text.first == "0" && text.count > 1 && text.dropFirst().first?.isNumber == true)
    // A zero keeps its text, as the JSON reader's do (negating it gives a positive zero).
    let simple =
      !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) && text.count <= 15 && double != 0
    if simple { return Number(double) }
    // Text that is not JSON (`+1.50`, `.5`, `007`) is kept as jq 1.8's decNumber prints it.
    return Number(double, literal: isJSON ? text : DecimalText(text)?.canonical)
  }

  /// decNumber's names for numbers (`Infinity`, `-inf`, `NaN`, `sNaN00`), or nil.
  private static func namedNumber(_ bytes: [UInt8]) -> Number? {
    var rest = bytes[...]
    var negative = false
    if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
      negative = sign == UInt8(ascii: "-")
      rest = rest.dropFirst()
    }
    guard let first = rest.first,
      first | 0x20 == UInt8(ascii: "i") || first | 0x20 == UInt8(ascii: "n")
        || first | 0x20 == UInt8(ascii: "s")
    else { return nil }
    let lower = String(decoding: rest.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    if lower == "inf" || lower == "infinity" { return Number(negative ? -Double.infinity : .infinity) }
    for name in ["nan", "snan"] where lower.hasPrefix(name) {
      return lower.dropFirst(name.count).allSatisfy { $0 == "0" } ? Number(.nan) : nil
    }
    return nil
  }

  /// Whether `text` has a `\uD800`–`\uDBFF` escape (a high surrogate, perhaps alone).
  private static func mayHaveLoneSurrogate(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { bytes in mayHaveLoneSurrogate(bytes) }
  }

  private static func mayHaveLoneSurrogate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count >= 6 else { return false }
    for index in 0..<(bytes.count - 3)
    where bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u")
      && bytes[index + 2] | 0x20 == UInt8(ascii: "d")
    {
      switch bytes[index + 3] | 0x20 {
      case UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b"): return true
      default: continue
      }
    }
    return false
  }
}
