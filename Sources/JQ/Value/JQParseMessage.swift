/// jq's words for why a text is not JSON, for `fromjson`: jq's own parser (jv_parse.c) replayed
/// over the text, keeping only the shapes it tracks (no values are built), so the message and
/// its line and column are the ones jq prints: `Invalid numeric literal at EOF at line 1,
/// column 4`, `Expected separator between values at line 1, column 5`, and so on.
///
/// Only used once nwsh's own parser has refused a text; it is not fast and need not be.
enum JQParseMessage {
  /// What is open on jq's parser stack.
  private enum Open {
    case array(count: Int)
    case object(count: Int)
    /// A key read, waiting for its value.
    case key
  }

  /// What the parser holds as the value just read.
  private enum Held {
    case string
    case other
  }

  private struct Failure: Error {
    var message: String
    /// Whether jq says where (`at line L, column C`).
    var positioned = true
  }

  /// jq's message for `text`, or nil when jq would read it as one JSON value.
  static func describe(_ text: String) -> String? {
    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var state = Replay()
    do {
      for byte in bytes { try state.scan(byte) }
      return try state.finish()
    } catch {
      guard error.positioned else { return error.message }
      return "\(error.message) at line \(state.line), column \(state.column)"
    }
  }

  private struct Replay {
    var line = 1
    var column = 0
    var stack: [Open] = []
    var held: Held?
    var token: [UInt8] = []
    var inString = false
    var escaped = false
    var values = 0

    mutating func scan(_ byte: UInt8) throws(Failure) {
      column += 1
      if byte == 0x0A {
        line += 1
        column = 0
      }
      if inString {
        if byte == UInt8(ascii: "\"") && !escaped {
          try foundString()
          inString = false
          try checkDone()
        } else {
          token.append(byte)
          escaped = byte == UInt8(ascii: "\\") && !escaped
        }
        return
      }
      switch byte {
      case 0x20, 0x09, 0x0D, 0x0A:
        try checkLiteral()
        try checkDone()
      case UInt8(ascii: "\""):
        try checkLiteral()
        try checkDone()
        inString = true
        escaped = false
      case UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: ":"),
        UInt8(ascii: "}"):
        try checkLiteral()
        try checkDone()
        try structure(byte)
        try checkDone()
      default:
        token.append(byte)
      }
    }

    /// jq's check_done: a whole value at the top ends one output; a second is one too many.
    mutating func checkDone() throws(Failure) {
      guard stack.isEmpty, held != nil else { return }
      held = nil
      values += 1
      if values > 1 { throw Failure(message: "Unexpected extra JSON values", positioned: false) }
    }

    mutating func finish() throws(Failure) -> String? {
      if inString { throw Failure(message: "Unfinished string at EOF") }
      do {
        try checkLiteral()
      } catch {
        throw Failure(message: "\(error.message) at EOF")
      }
      if !stack.isEmpty { throw Failure(message: "Unfinished JSON term at EOF") }
      try checkDone()
      if values == 0 { throw Failure(message: "Expected JSON value", positioned: false) }
      return nil
    }

    mutating func value(_ kind: Held) throws(Failure) {
      if held != nil { throw Failure(message: "Expected separator between values") }
      held = kind
    }

    mutating func foundString() throws(Failure) {
      var index = 0
      while index < token.count {
        let byte = token[index]
        index += 1
        if byte == UInt8(ascii: "\\") {
          guard index < token.count else { throw Failure(message: "Expected escape character at end of string") }
          let escape = token[index]
          index += 1
          switch escape {
          case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "t"), UInt8(ascii: "n"), UInt8(ascii: "r"):
            break
          case UInt8(ascii: "u"):
            guard index + 4 <= token.count else { throw Failure(message: "Invalid \\uXXXX escape") }
            guard let unit = hex4(at: index) else {
              throw Failure(message: "Invalid characters in \\uXXXX escape")
            }
            index += 4
            if (0xD800...0xDBFF).contains(unit) {
              guard index + 6 <= token.count, token[index] == UInt8(ascii: "\\"), token[index + 1] == UInt8(ascii: "u"),
                let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
              else { throw Failure(message: "Invalid \\uXXXX\\uXXXX surrogate pair escape") }
              index += 6
            }
          default: throw Failure(message: "Invalid escape")
          }
        } else if byte < 0x20 {
          throw Failure(message: "Invalid string: control characters from U+0000 through U+001F must be escaped")
        }
      }
      try value(.string)
      token = []
    }

    /// The four hex digits at `index`, or nil.
    func hex4(at index: Int) -> UInt32? {
      token.withUnsafeBufferPointer { bytes in
        var position = index
        return JSONEscape.hex4(bytes, &position)
      }
    }

    mutating func checkLiteral() throws(Failure) {
      guard let first = token.first else { return }
      let text = String(decoding: token, as: UTF8.self)
      var pattern: String?
      switch first {
      case UInt8(ascii: "t"): pattern = "true"
      case UInt8(ascii: "f"): pattern = "false"
      case UInt8(ascii: "'"): throw Failure(message: "Invalid string literal; expected \", but got '")
      case UInt8(ascii: "n") where token.count > 1 && token[1] == UInt8(ascii: "u"): pattern = "null"
      default: break
      }
      if let pattern {
        if text != pattern { throw Failure(message: "Invalid literal") }
      } else if !Self.isNumber(text) {
        throw Failure(message: "Invalid numeric literal")
      }
      try value(.other)
      token = []
    }

    /// A number as decNumber reads one: what `tonumber` reads (a sign, digits with an optional
    /// point, an exponent), or NaN or Infinity in any case (without a payload, which jq refuses).
    static func isNumber(_ text: String) -> Bool {
      Builtins.parseNumberText(text) != nil
    }

    mutating func structure(_ byte: UInt8) throws(Failure) {
      switch byte {
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        if stack.count >= 10_000 { throw Failure(message: "Exceeds depth limit for parsing") }
        if held != nil { throw Failure(message: "Expected separator between values") }
        stack.append(byte == UInt8(ascii: "[") ? .array(count: 0) : .object(count: 0))
      case UInt8(ascii: ":"):
        guard let key = held else { throw Failure(message: "Expected string key before ':'") }
        guard case .object? = stack.last else { throw Failure(message: "':' not as part of an object") }
        guard key == .string else { throw Failure(message: "Object keys must be strings") }
        stack.append(.key)
        held = nil
      case UInt8(ascii: ","):
        guard held != nil else { throw Failure(message: "Expected value before ','") }
        guard let top = stack.last else { throw Failure(message: "',' not as part of an object or array") }
        switch top {
        case .array(let count): stack[stack.count - 1] = .array(count: count + 1)
        case .key: closeKey()
        case .object: throw Failure(message: "Objects must consist of key:value pairs")
        }
        held = nil
      case UInt8(ascii: "]"):
        guard case .array(let count)? = stack.last else { throw Failure(message: "Unmatched ']'") }
        if held == nil && count != 0 { throw Failure(message: "Expected another array element") }
        stack.removeLast()
        held = .other
      default:  // }
        guard let top = stack.last else { throw Failure(message: "Unmatched '}'") }
        if held != nil {
          guard case .key = top else { throw Failure(message: "Objects must consist of key:value pairs") }
          closeKey()
        } else {
          guard case .object(let count) = top else { throw Failure(message: "Unmatched '}'") }
          if count != 0 { throw Failure(message: "Expected another key-value pair") }
        }
        stack.removeLast()
        held = .other
      }
    }

    /// A key's value is in: the pair joins its object.
    mutating func closeKey() {
      stack.removeLast()
      if case .object(let count) = stack.last { stack[stack.count - 1] = .object(count: count + 1) }
      held = nil
    }
  }
}
