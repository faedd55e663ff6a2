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
  ///
  /// Oniguruma matches code points, as the regex does here. Its `\b` is between a word
  /// character and another (not Unicode's word breaks); Swift's simple boundaries, matching
  /// scalars, take a digit for a non-word character (`"[1]"` would have no `\b`), while
  /// matching characters they do not. So a pattern with `\b` matches characters (`graphemes`)
  /// where that is the same as matching code points: a text none of whose characters is more
  /// than one code point.
  static func compile(
    _ pattern: String, _ options: Options, _ range: SourceRange, _ interpreter: Interpreter, graphemes: Bool = false
  ) throws -> Regex<AnyRegexOutput> {
    let key = options.prefix + pattern + (graphemes ? "\u{0}characters" : "")
    if let cached = interpreter.regexCache[key] { return cached }
    // Python's named groups, which Swift reads and Oniguruma's Perl syntax does not.
    if pattern.contains("(?P") && !pattern.contains("\\(?P") {
      throw JQError("Regex failure: undefined group option", at: range)
    }
    do {
      var swiftPattern = swiftSyntax(pattern)
      if options.prefix.contains("(?i)") {
        // Oniguruma ignores case in a POSIX class too: `[[:upper:]]` takes `a` under `i`.
        swiftPattern = swiftPattern.replacingOccurrences(of: "[:upper:]", with: "\\p{Lu}\\p{Ll}\\p{Lt}")
          .replacingOccurrences(of: "[:lower:]", with: "\\p{Lu}\\p{Ll}\\p{Lt}")
      }
      let regex = try Regex(options.prefix + swiftPattern)
        .matchingSemantics(graphemes ? .graphemeCluster : .unicodeScalar).wordBoundaryKind(.simple)
      if interpreter.regexCache.count >= 256 { interpreter.regexCache.removeAll(keepingCapacity: true) }
      interpreter.regexCache[key] = regex
      return regex
    } catch {
      throw JQError("Regex failure: \(onigurumaMessage(for: "\(error)", pattern: pattern))", at: range)
    }
  }

  /// Whether `text` is matched with a pattern's character semantics (see ``compile``).
  static func matchesCharacters(_ pattern: String, in text: String) -> Bool {
    hasWordBoundary(pattern) && text.count == text.unicodeScalars.count
  }

  /// An Oniguruma pattern in Swift's syntax where the two read the same text differently:
  /// - `\w` and `\W` spelled out as Oniguruma's word characters (letters, marks, decimal
  ///   digits, connectors), since Swift's scalar `\w` leaves out combining marks (`"e\u{301}x"`
  ///   is one word to jq);
  /// - `\h` is a plain `h` (Swift reads horizontal space);
  /// - `$` is the end or before a newline that ends the text;
  /// - in a character class, a `-` after a class escape (`[\w-.]`) is a plain `-`, which Swift
  ///   would take for a range and refuse.
  static func swiftSyntax(_ pattern: String) -> String {
    guard pattern.contains("\\") || pattern.contains("$") else { return pattern }
    let word = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}"
    let scalars = Array(pattern.unicodeScalars)
    var out = String.UnicodeScalarView()
    var classDepth = 0
    var index = 0
    while index < scalars.count {
      let scalar = scalars[index]
      index += 1
      switch scalar {
      case "\\" where index < scalars.count:
        let escape = scalars[index]
        index += 1
        switch (escape, classDepth) {
        case ("w", 0): out.append(contentsOf: ("[" + word + "]").unicodeScalars)
        case ("W", 0): out.append(contentsOf: ("[^" + word + "]").unicodeScalars)
        case ("w", _): out.append(contentsOf: word.unicodeScalars)
        case ("h", _): out.append("h")
        default:
          out.append("\\")
          out.append(escape)
          // `\p{…}`: the name too.
          if (escape == "p" || escape == "P") && index < scalars.count && scalars[index] == "{" {
            while index < scalars.count {
              out.append(scalars[index])
              index += 1
              if scalars[index - 1] == "}" { break }
            }
          }
        }
        // In a class, a `-` right after a class escape is a plain `-` to Oniguruma.
        if classDepth > 0 && "wWsSdDpP".unicodeScalars.contains(escape) && index < scalars.count
          && scalars[index] == "-" && index + 1 < scalars.count && scalars[index + 1] != "]"
        {
          out.append(contentsOf: "\\-".unicodeScalars)
          index += 1
        }
      case "[":
        classDepth += 1
        out.append(scalar)
      case "]":
        classDepth = max(0, classDepth - 1)
        out.append(scalar)
      case "$" where classDepth == 0:
        // Oniguruma's `$` (Perl's, single line): the end, or before a newline that ends the text.
        out.append(contentsOf: "(?=\\n?\\z)".unicodeScalars)
      default:
        out.append(scalar)
      }
    }
    return String(out)
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
    let regex = try compile(
      pattern, options, range, interpreter, graphemes: matchesCharacters(pattern, in: text))
    let scalars = text.unicodeScalars
    func offset(_ index: String.Index) -> Int { scalars.distance(from: scalars.startIndex, to: index) }
    var results: [Value] = []
    // Matches found in the whole text (so `^`, `$` and `\b` see its ends, not where a search
    // resumed), one after another; an empty match moves the search one character on.
    // With `n` and no `g`, the first match that is not empty (Oniguruma's search goes on past
    // the empty ones).
    let found: [Regex<AnyRegexOutput>.Match] =
      options.global
      ? Array(text.matches(of: regex))
      : options.skipEmpty
        ? text.matches(of: regex).first { !$0.range.isEmpty }.map { [$0] } ?? []
        : ((try? regex.firstMatch(in: text)) ?? nil).map { [$0] } ?? []
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
