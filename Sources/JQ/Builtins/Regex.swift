import Foundation

/// `test`, `match`, `split/2` and `sub` on Swift's regex engine, with jq's output shapes:
/// offsets and lengths count Unicode code points.
enum RegexBuiltins {
  struct Options {
    var global = false
    var skipEmpty = false
    var prefix = ""
  }

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
      // already (jq's `.` never matches a newline unless `p` says so).
      case "s": break
      case "n": options.skipEmpty = true
      case "p":
        // Oniguruma's multi-line and single-line: `.` matches a newline too.
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
    do {
      // Oniguruma's `\b`: between a word character and another (not Unicode's word breaks).
      let regex = try Regex(key).matchingSemantics(.unicodeScalar).wordBoundaryKind(.simple)
      if interpreter.regexCache.count >= 256 { interpreter.regexCache.removeAll(keepingCapacity: true) }
      interpreter.regexCache[key] = regex
      return regex
    } catch {
      throw JQError("\(pattern) (at offset 0) is not a valid regex: \(error)", at: range)
    }
  }

  /// Every match (or the first), as jq match objects.
  static func matches(
    _ interpreter: Interpreter, _ text: String, _ patternValue: Value, _ flags: Value, _ range: SourceRange,
    forceGlobal: Bool = false
  ) throws -> [Value] {
    var patternValue = patternValue
    var flags = flags
    if case .array(let pair) = patternValue {
      patternValue = pair.first ?? .null
      if pair.count > 1 { flags = pair[1] }
    }
    guard case .string(let pattern) = patternValue else {
      throw JQError("\(describe(patternValue)) cannot be matched, as it is not a string", at: range)
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
      if !(options.skipEmpty && whole.isEmpty) {
        var captures: [Value] = []
        for group in match.output.dropFirst() {
          let name: Value = group.name.map(Value.string) ?? .null
          if let groupRange = group.range {
            captures.append(
              .object(
                JSONObject([
                  ("offset", .number(offset(groupRange.lowerBound))),
                  ("length", .number(scalars[groupRange].count)),
                  ("string", .string(String(text[groupRange]))), ("name", name),
                ])))
          } else {
            captures.append(
              .object(JSONObject([("offset", .number(-1)), ("length", .number(0)), ("string", .null), ("name", name)])))
          }
        }
        results.append(
          .object(
            JSONObject([
              ("offset", .number(offset(whole.lowerBound))), ("length", .number(scalars[whole].count)),
              ("string", .string(String(text[whole]))), ("captures", .array(captures)),
            ])))
      }
    }
    return results
  }

  static let test: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[1], input, env) { flags in
        guard case .string(let text) = input else {
          throw JQError("\(describe(input)) cannot be matched, as it is not a string", at: range)
        }
        try emit(.bool(!(try matches(interpreter, text, pattern, flags, range)).isEmpty))
      }
    }
  }

  static let match: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[1], input, env) { flags in
        guard case .string(let text) = input else {
          throw JQError("\(describe(input)) cannot be matched, as it is not a string", at: range)
        }
        for result in try matches(interpreter, text, pattern, flags, range) { try emit(result) }
      }
    }
  }

  static let split: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[1], input, env) { flags in
        guard case .string(let text) = input else {
          throw JQError("\(describe(input)) cannot be matched, as it is not a string", at: range)
        }
        let scalars = Array(text.unicodeScalars)
        var pieces: [Value] = []
        var previous = 0
        for found in try matches(interpreter, text, pattern, flags, range, forceGlobal: true) {
          let start = Int(found["offset"]!.doubleValue!)
          let length = Int(found["length"]!.doubleValue!)
          pieces.append(.string(String(String.UnicodeScalarView(scalars[previous..<start]))))
          previous = start + length
        }
        pieces.append(.string(String(String.UnicodeScalarView(scalars[previous...]))))
        try emit(.array(pieces))
      }
    }
  }

  /// `sub(re; replacement; flags)`: the replacement is a filter on the capture object; several
  /// outputs give several results.
  static let sub: NativeFunction = { interpreter, arguments, input, env, range, emit in
    try interpreter.evaluate(arguments[0], input, env) { pattern in
      try interpreter.evaluate(arguments[2], input, env) { flags in
        guard case .string(let text) = input else {
          throw JQError("\(describe(input)) cannot be matched, as it is not a string", at: range)
        }
        let scalars = Array(text.unicodeScalars)
        let found = try matches(interpreter, text, pattern, flags, range)
        func piece(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(scalars[from..<to])) }
        func build(_ index: Int, _ previous: Int, _ prefix: String) throws {
          guard index < found.count else { return try emit(.string(prefix + piece(previous, scalars.count))) }
          let match = found[index]
          let start = Int(match["offset"]!.doubleValue!)
          let length = Int(match["length"]!.doubleValue!)
          var captures = JSONObject()
          if case .array(let groups)? = match["captures"] {
            for group in groups {
              if case .string(let name)? = group["name"] { captures[name] = group["string"] ?? .null }
            }
          }
          try interpreter.evaluate(arguments[1], .object(captures), env) { replacement in
            guard case .string(let replacementText) = replacement else {
              throw JQError("\(describe(replacement)) cannot be added to a string", at: range)
            }
            try build(index + 1, start + length, prefix + piece(previous, start) + replacementText)
          }
        }
        try build(0, 0, "")
      }
    }
  }
}
