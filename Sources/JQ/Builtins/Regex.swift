import Foundation

/// `test`, `match`, `split/2` and `sub` on Swift's regex engine, with jq's output shapes:
/// offsets and lengths count Unicode code points.
enum RegexBuiltins {
  struct Options {
    var global = false
    var skipEmpty = false
    var prefix = ""
  }

  /// The modifiers as jq's `f_match` reads them: a string of flags, or null.
  static func options(_ flags: Value, _ range: SourceRange) throws -> Options {
    var options = Options()
    guard case .string(let text) = flags else {
      if case .null = flags { return options }
      throw JQError("\(describe(flags)) is not a string", at: range)
    }
    for flag in text {
      switch flag {
      case "g": options.global = true
      case "i": options.prefix += "(?i)"
      case "x": options.prefix += "(?x)"
      // Oniguruma's single-line mode: `^` and `$` only at the ends of the text, as they are here
      // already (jq's `.` never matches a newline unless `m` or `p` says so).
      case "s": break
      case "n": options.skipEmpty = true
      case "m", "p":
        // Oniguruma's multi-line (Ruby's, not Perl's): `.` matches a newline too.
        options.prefix += "(?s)"
      case "l": break
      default: throw JQError("\(text) is not a valid modifier string", at: range)
      }
    }
    return options
  }

  /// The compiled regex, from the interpreter's cache when the same pattern ran before (a
  /// `where (.email | test(…))` would otherwise compile it again for every row).
  static func compile(_ pattern: String, _ options: Options, _ range: SourceRange, _ interpreter: Interpreter) throws
    -> Regex<AnyRegexOutput>
  {
    let key = options.prefix + pattern
    if let cached = interpreter.regexCache[key] { return cached }
    // Python's named groups, which Swift reads and Oniguruma's Perl syntax does not.
    if pattern.contains("(?P") && !pattern.contains("\\(?P") {
      throw JQError("Regex failure: undefined group option", at: range)
    }
    do {
      // Oniguruma matches code points. Its `\b` is between a word character and another (not
      // Unicode's word breaks); Swift's simple boundaries take a digit for a non-word character
      // when matching scalars (`"[1]"` has no `\b`), so a pattern with one matches characters.
      let semantics: RegexSemanticLevel = hasWordBoundary(pattern) ? .graphemeCluster : .unicodeScalar
      let regex = try Regex(options.prefix + onigurumaWords(pattern)).matchingSemantics(semantics)
        .wordBoundaryKind(.simple)
      if interpreter.regexCache.count >= 256 { interpreter.regexCache.removeAll(keepingCapacity: true) }
      interpreter.regexCache[key] = regex
      return regex
    } catch {
      throw JQError("Regex failure: \(onigurumaMessage(for: "\(error)", pattern: pattern))", at: range)
    }
  }

  /// Oniguruma's word characters (letters, marks, decimal digits, connectors): `\w` and `\W`
  /// spelled out, since Swift's scalar `\w` leaves out combining marks (`"e\u{301}x"` is one
  /// word to jq).
  static func onigurumaWords(_ pattern: String) -> String {
    guard pattern.contains("\\w") || pattern.contains("\\W") else { return pattern }
    let word = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}"
    var out = ""
    var escaped = false
    var classDepth = 0
    for scalar in pattern.unicodeScalars {
      if escaped {
        escaped = false
        switch (scalar, classDepth) {
        case ("w", 0): out += "[" + word + "]"
        case ("W", 0): out += "[^" + word + "]"
        case ("w", _): out += word
        default:
          out += "\\"
          out.unicodeScalars.append(scalar)
        }
        continue
      }
      switch scalar {
      case "\\":
        escaped = true
        continue
      case "[": classDepth += 1
      case "]": classDepth = max(0, classDepth - 1)
      default: break
      }
      out.unicodeScalars.append(scalar)
    }
    if escaped { out += "\\" }
    return out
  }

  /// Whether `pattern` has `\b` or `\B` outside a character class.
  static func hasWordBoundary(_ pattern: String) -> Bool {
    var escaped = false
    var classDepth = 0
    for scalar in pattern.unicodeScalars {
      if escaped {
        escaped = false
        if classDepth == 0 && (scalar == "b" || scalar == "B") { return true }
        continue
      }
      switch scalar {
      case "\\": escaped = true
      case "[": classDepth += 1
      case "]": classDepth = max(0, classDepth - 1)
      default: break
      }
    }
    return false
  }

  /// Oniguruma's words (which jq reports) for why a pattern does not compile, where Swift's
  /// parser says the same thing its own way; Swift's words otherwise.
  static func onigurumaMessage(for message: String, pattern: String) -> String {
    let known: [(String, String)] = [
      ("expected ')'", "end pattern with unmatched parenthesis"),
      ("expected custom character class members", "premature end of char-class"),
      ("expected ']'", "premature end of char-class"),
      ("must be less than or equal to upper bound", "upper is smaller than lower in repeat range"),
      ("must appear after expression", "target of repeat operator is not specified"),
      ("does not balance any groups openings", "unmatched close parenthesis"),
      ("expected escape sequence", "end pattern at escape"),
      ("must compare less than or equal to", "empty range in char class"),
      ("number overflow", "too big number for repeat range"),
    ]
    for (swift, oniguruma) in known where message.contains(swift) {
      if oniguruma == "premature end of char-class" && pattern.contains("[]") { return "empty char-class" }
      return oniguruma
    }
    if let name = quoted(message, after: "no capture named ") { return "undefined name <\(name)> reference" }
    if let name = quoted(message, after: "unknown character property ") {
      return "invalid character property name {\(name)}"
    }
    return message
  }

  /// The text between the quotes after `prefix` in `message`.
  private static func quoted(_ message: String, after prefix: String) -> String? {
    guard let start = message.range(of: prefix + "'") else { return nil }
    let rest = message[start.upperBound...]
    return rest.firstIndex(of: "'").map { String(rest[..<$0]) }
  }

  /// Every match (or the first), as jq's `f_match` makes them: the input, then the regex, then
  /// the flags checked, in its order and words.
  static func matches(
    _ interpreter: Interpreter, _ input: Value, _ patternValue: Value, _ flags: Value, _ range: SourceRange,
    forceGlobal: Bool = false
  ) throws -> [Value] {
    guard case .string(let text) = input else {
      throw JQError("\(describe(input)) cannot be matched, as it is not a string", at: range)
    }
    guard case .string(let pattern) = patternValue else {
      throw JQError("\(describe(patternValue)) is not a string", at: range)
    }
    var options = try self.options(flags, range)
    if forceGlobal { options.global = true }
    let regex = try compile(pattern, options, range, interpreter)
    let scalars = text.unicodeScalars
    func offset(_ index: String.Index) -> Int { scalars.distance(from: scalars.startIndex, to: index) }
    var results: [Value] = []
    // Matches found in the whole text (so `^`, `$` and `\b` see its ends, not where a search
    // resumed), one after another; an empty match moves the search one character on.
    let found: [Regex<AnyRegexOutput>.Match] =
      options.global ? Array(text.matches(of: regex)) : ((try? regex.firstMatch(in: text)) ?? nil).map { [$0] } ?? []
    for match in found {
      let whole = match.range
      if options.skipEmpty && whole.isEmpty { continue }
      let wholeOffset = Value.number(offset(whole.lowerBound))
      var captures: [Value] = []
      for group in match.output.dropFirst() {
        let name: Value = group.name.map(Value.string) ?? .null
        // jq's key order differs between a group that took text and one that did not.
        if let groupRange = group.range, !groupRange.isEmpty {
          captures.append(
            .object(
              JSONObject([
                ("offset", .number(offset(groupRange.lowerBound))), ("length", .number(scalars[groupRange].count)),
                ("string", .string(String(text[groupRange]))), ("name", name),
              ])))
        } else if let groupRange = group.range {
          let at = whole.isEmpty ? wholeOffset : .number(offset(groupRange.lowerBound))
          captures.append(
            .object(JSONObject([("offset", at), ("string", .string("")), ("length", .number(0)), ("name", name)])))
        } else {
          captures.append(
            .object(JSONObject([("offset", .number(-1)), ("string", .null), ("length", .number(0)), ("name", name)])))
        }
      }
      results.append(
        .object(
          JSONObject([
            ("offset", wholeOffset), ("length", .number(scalars[whole].count)),
            ("string", .string(String(text[whole]))), ("captures", .array(captures)),
          ])))
    }
    return results
  }

  // `test(re; flags)` and `match(re; flags)` are jq's `_match_impl(re; flags; …)`, a builtin
  // written in C: its last argument's outputs outermost.
  static let test: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[1], input, env) { flags in
      try interpreter.evaluate(arguments[0], input, env) { pattern in
        try emit(.bool(!(try matches(interpreter, input, pattern, flags, range)).isEmpty))
      }
    }
  }

  static let match: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[1], input, env) { flags in
      try interpreter.evaluate(arguments[0], input, env) { pattern in
        for result in try matches(interpreter, input, pattern, flags, range) { try emit(result) }
      }
    }
  }

  /// `split($re; $flags)`, jq's `[splits($re; $flags)]`: the pieces between the matches of
  /// `match($re; $flags + "g")`.
  static let split: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[1], input, env) { flags in
        let global = try interpreter.binary(.add, flags, .string("g"), range)
        let found = try matches(interpreter, input, pattern, global, range)
        guard case .string(let text) = input else { return }
        let scalars = Array(text.unicodeScalars)
        var pieces: [Value] = []
        var previous = 0
        for found in found {
          let start = Int(found["offset"]!.doubleValue!)
          let length = Int(found["length"]!.doubleValue!)
          pieces.append(.string(String(String.UnicodeScalarView(scalars[min(previous, start)..<start]))))
          previous = start + length
        }
        pieces.append(.string(String(String.UnicodeScalarView(scalars[min(previous, scalars.count)...]))))
        try emit(.array(pieces))
      }
    }
  }

  /// `sub($re; s; $flags)` as jq 1.8 defines it: `s` runs on each match's named captures, and
  /// its outputs make as many results, the first of each match's outputs going into the first
  /// result, and so on (a result a match gave no output for does not get that match's gap).
  /// No match, or no output at all, gives the input.
  static let sub: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[2], input, env) { flags in
        let found = try matches(interpreter, input, pattern, flags, range)
        guard case .string(let text) = input else { return }
        let scalars = Array(text.unicodeScalars)
        func piece(_ from: Int, _ to: Int) -> Value {
          .string(String(String.UnicodeScalarView(scalars[min(from, to)..<to])))
        }
        var results: [Value] = []
        var previous = 0
        for match in found {
          let start = Int(match["offset"]!.doubleValue!)
          let length = Int(match["length"]!.doubleValue!)
          var captures = JSONObject()
          if case .array(let groups)? = match["captures"] {
            for group in groups {
              if case .string(let name)? = group["name"] { captures[name] = group["string"] ?? .null }
            }
          }
          var inserts: [Value] = []
          try interpreter.evaluate(arguments[1], .object(captures), env) { inserts.append($0) }
          let gap = piece(previous, start)
          for (position, insert) in inserts.enumerated() {
            let addition = try interpreter.binary(.add, gap, insert, range)
            if position < results.count {
              results[position] = try interpreter.binary(.add, results[position], addition, range)
            } else {
              results.append(try interpreter.binary(.add, .null, addition, range))
            }
          }
          previous = start + length
        }
        guard !results.isEmpty else { return try emit(input) }
        let tail = piece(previous, scalars.count)
        for result in results { try emit(try interpreter.binary(.add, result, tail, range)) }
      }
    }
  }
}
