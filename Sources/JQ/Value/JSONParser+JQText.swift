/// JSON as jq 1.8's own parser reads it, for `fromjson`: looser than RFC 8259 in its scalars.
/// jq reads any run of bytes that is not white space, a bracket, `,`, `:` or `"` as one literal
/// token, and the token is `true`, `false`, `null`, `nan`, or whatever decNumber reads as a
/// number (`01`, `+1`, `.5`, `1.`, `NaN`, `-Infinity`, `inf`). Strings, keys and structure are
/// as strict as RFC 8259's.
///
/// The strict parser stays the only one on the hot path: this one runs only for a text it
/// refused and jq accepts (``JQParseMessage`` says which).
extension JSONParser {
  /// Parses the whole of `text` as jq's parser would (one value, white space around it).
  static func parseAsJQ(_ text: String) throws(SyntaxError) -> Value {
    var text = text
    let result = text.withUTF8 { bytes -> Result<Value, SyntaxError> in
      let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
      var parser = JSONParser(bytes, position: bom)
      do throws(SyntaxError) {
        return .success(try parser.parseJQText())
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// An array or object being read, on the parser's own stack (deep nesting never touches the
  /// thread's stack).
  private enum Open {
    case array([Value])
    case object(JSONObject, key: String)
  }

  private mutating func parseJQText() throws(SyntaxError) -> Value {
    var stack: [Open] = []
    skipWhitespace()
    read: while true {
      guard position < end else { throw fail("unexpected end of input, expected a value") }
      var value: Value
      switch base[position] {
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        let isArray = base[position] == UInt8(ascii: "[")
        try enter()
        position += 1
        skipWhitespace()
        if position < end && base[position] == (isArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) {
          position += 1
          depth -= 1
          value = isArray ? .array([]) : .object(JSONObject())
        } else {
          stack.append(isArray ? .array([]) : .object(JSONObject(), key: try parseKey()))
          continue read
        }
      case UInt8(ascii: "\""): value = .string(try parseString())
      default: value = try jqLiteral()
      }
      // Put the value into the containers it completes, closing them as far as it goes.
      while let open = stack.popLast() {
        switch open {
        case .array(var items):
          items.append(value)
          if try separator(closing: UInt8(ascii: "]")) {
            skipWhitespace()
            stack.append(.array(items))
            continue read
          }
          value = .array(items)
        case .object(var object, let key):
          object.insertParsed(key, value)
          if try separator(closing: UInt8(ascii: "}")) {
            skipWhitespace()
            stack.append(.object(object, key: try parseKey()))
            continue read
          }
          value = .object(object)
        }
        depth -= 1
      }
      skipWhitespace()
      if position < end { throw fail("unexpected text after the JSON value") }
      return value
    }
  }

  /// One literal token, read as jq's `check_literal` reads it.
  private mutating func jqLiteral() throws(SyntaxError) -> Value {
    let start = position
    while position < end {
      switch base[position] {
      case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
        UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "\""):
        break
      default:
        position += 1
        continue
      }
      break
    }
    guard position > start else { throw fail("unexpected \(describeByte()), expected a value") }
    let token = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
    switch token.utf8.first {
    case UInt8(ascii: "t") where token == "true": return .true
    case UInt8(ascii: "f") where token == "false": return .false
    case UInt8(ascii: "n") where token == "null": return .null
    case UInt8(ascii: "n") where token == "nan": return .number(Number(.nan))
    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): break
    default: if let number = Builtins.parseNumberText(token) { return .number(number) }
    }
    position = start
    throw fail("invalid literal '\(token)'")
  }
}
