import Foundation

/// Strings: prefixes and suffixes, trimming, case, code points, `split`, `join`, regexes, `format`.
extension Builtins {
  static func registerStrings(_ t: inout Registry) {
    t["ltrimstr/1"] = binary { input, prefix, range in
      guard case .string(let text) = input, case .string(let p) = prefix else {
        throw JQError("startswith() requires string inputs", at: range)
      }
      guard text.utf8.starts(with: p.utf8) else { return input }
      return .string(String(decoding: text.utf8.dropFirst(p.utf8.count), as: UTF8.self))
    }
    t["rtrimstr/1"] = binary { input, suffix, range in
      guard case .string(let text) = input, case .string(let s) = suffix else {
        throw JQError("endswith() requires string inputs", at: range)
      }
      guard text.utf8.count >= s.utf8.count, text.utf8.reversed().starts(with: s.utf8.reversed()) else { return input }
      return .string(String(decoding: text.utf8.dropLast(s.utf8.count), as: UTF8.self))
    }
    t["startswith/1"] = binary { input, prefix, range in
      guard case .string(let text) = input, case .string(let p) = prefix else {
        throw JQError("startswith() requires string inputs", at: range)
      }
      return .bool(text.utf8.starts(with: p.utf8))
    }
    t["endswith/1"] = binary { input, suffix, range in
      guard case .string(let text) = input, case .string(let s) = suffix else {
        throw JQError("endswith() requires string inputs", at: range)
      }
      return .bool(text.utf8.reversed().starts(with: s.utf8.reversed()))
    }
    for (name, leading, trailing) in [("trim", true, true), ("ltrim", true, false), ("rtrim", false, true)] {
      t.unary("\(name)/0") { input, range in
        guard case .string(let text) = input else { throw JQError("trim input must be a string", at: range) }
        var scalars = Substring(text).unicodeScalars[...]
        if leading { while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() } }
        if trailing { while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() } }
        return .string(String(String.UnicodeScalarView(scalars)))
      }
    }
    t.unary("ascii_downcase/0") { input, range in
      let text = try explodable(input, range)
      return .string(String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self))
    }
    t.unary("ascii_upcase/0") { input, range in
      let text = try explodable(input, range)
      return .string(String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }, as: UTF8.self))
    }
    t.unary("explode/0") { input, range in
      .array(try explodable(input, range).unicodeScalars.map { .number(Int($0.value)) })
    }
    t.unary("implode/0") { input, range in
      guard case .array(let codes) = input else { throw JQError("implode input must be an array", at: range) }
      var view = String.UnicodeScalarView()
      for code in codes {
        guard let number = code.doubleValue, !number.isNaN else {
          throw JQError("\(describe(code)) can't be imploded, unicode codepoint needs to be numeric", at: range)
        }
        view.append(UnicodeScalar(UInt32(exactly: number.rounded(.down)) ?? 0xFFFD) ?? "\u{FFFD}")
      }
      return .string(String(view))
    }
    t["split/1"] = binary { input, separator, range in
      guard case .string(let text) = input, case .string(let sep) = separator else {
        throw JQError("split input and separator must be strings", at: range)
      }
      return .array(Interpreter.split(text, by: sep).map(Value.string))
    }
    t["join/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { separator in
        try emit(try join(interpreter, input, separator, range))
      }
    }
    t["test/2"] = RegexBuiltins.test
    t["match/2"] = RegexBuiltins.match
    t["split/2"] = RegexBuiltins.split
    t["sub/3"] = RegexBuiltins.sub
    t["format/1"] = binary { input, name, range in
      .string(try Interpreter.format(try string(name, "is not a valid format", range), input, range))
    }
  }

  /// The text of a string, or jq's error for `explode` (which `ascii_downcase` and
  /// `ascii_upcase` are written with).
  static func explodable(_ value: Value, _ range: SourceRange) throws -> String {
    guard case .string(let text) = value else { throw JQError("explode input must be a string", at: range) }
    return text
  }

  /// `join($x)` as jq 1.8 defines it: `reduce .[] as $i (null; (if . == null then "" else . + $x
  /// end) + ($i | if type == "boolean" or type == "number" then tostring else . // "" end)) //
  /// ""`, so its errors are `+`'s. Strings joined by a string are built directly.
  static func join(_ interpreter: Interpreter, _ input: Value, _ separator: Value, _ range: SourceRange) throws
    -> Value
  {
    func piece(_ item: Value) -> Value {
      switch item {
      case .bool, .number: return .string(JSONWriter.compact(item))
      case .null: return .string("")
      default: return item
      }
    }
    if case .string(let sep) = separator, case .array(let items) = input {
      var result = ""
      for (position, item) in items.enumerated() {
        if position > 0 { result += sep }
        switch piece(item) {
        case .string(let text): result += text
        case let other: throw JQError("\(describe(.string(result))) and \(describe(other)) cannot be added", at: range)
        }
      }
      return .string(result)
    }
    var result = Value.null
    try interpreter.iterate(input, range) { item in
      let prefix = result == .null ? .string("") : try interpreter.binary(.add, result, separator, range)
      result = try interpreter.binary(.add, prefix, piece(item), range)
    }
    return result == .null || result == .false ? .string("") : result
  }
}
