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
      // jq 1.8 reads nan and NaN (optionally negated) here.
      let bare = text.trimmingCharacters(in: .whitespaces)
      if ["nan", "NaN", "-nan", "-NaN"].contains(bare) { return .number(Number(.nan)) }
      do throws(JSONParser.SyntaxError) {
        return try JSONParser.parse(text)
      } catch {
        // In jq's words where jq refuses it too (its parser replayed), else nwsh's.
        throw JQError("\(JQParseMessage.describe(text) ?? error.message) (while parsing '\(text)')", at: range)
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

  /// A number as `tonumber` reads it: an optional sign, digits with an optional point (or a
  /// leading point), an optional exponent; nothing else, not even spaces.
  static func parseNumberText(_ text: String) -> Number? {
    let bytes = Array(text.utf8)
    var index = 0
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
}
