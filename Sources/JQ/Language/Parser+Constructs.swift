/// The bracketed constructs of jq: `try`, `if`, `def`, objects, string literals and
/// destructuring patterns (see ``Parser``).
extension Parser {
  /// The body of `try`/`catch`: binds tighter than any binary operator.
  mutating func parsePostTry() throws(Diagnostic) -> Expr {
    if current.is("-") {
      let token = advance()
      return .negate(try parsePostTry(), token.range)
    }
    return try parsePostfix()
  }

  mutating func parseIf() throws(Diagnostic) -> Expr {
    index += 1
    let condition = try parsePipe(allowCommandStages: false)
    try expectWord("then", "after the condition of 'if'")
    let then = try parsePipe(allowCommandStages: false)
    if current.isWord("elif") {
      return .ifThen(condition, then, try parseIf())
    }
    if current.isWord("else") {
      index += 1
      let otherwise = try parsePipe(allowCommandStages: false)
      try expectWord("end", "to close 'if'")
      return .ifThen(condition, then, otherwise)
    }
    try expectWord("end", "to close 'if' (or 'elif', 'else')")
    return .ifThen(condition, then, nil)
  }

  mutating func parseFunctionDefinition() throws(Diagnostic) -> FunctionDefinition {
    let start = advance().range  // def
    guard case .identifier(let name) = current.kind, !Parser.keywords.contains(name) else {
      throw unexpected("expected a function name after 'def'")
    }
    index += 1
    var parameters: [String] = []
    if current.is("(") {
      index += 1
      repeat {
        switch current.kind {
        case .identifier(let parameter): parameters.append(parameter)
        case .variable(let parameter): parameters.append("$" + parameter)
        default: throw unexpected("expected a parameter name")
        }
        index += 1
      } while current.is(";")
        && {
          index += 1
          return true
        }()
      try expect(")", "to close the parameters of '\(name)'")
    }
    try expect(":", "after 'def \(name)'")
    skipNewlines()
    let body = try parsePipe(allowCommandStages: false)
    try expect(";", "to end the definition of '\(name)'")
    return FunctionDefinition(name: name, parameters: parameters, body: body, range: start)
  }

  /// `$__loc__` at `token`: `{file, line}`, the file being a module's path, else `<top-level>`.
  func location(of token: Token) -> Expr {
    let line = source.lineAndColumn(of: token.range.start).line
    return .literal(.object(JSONObject([("file", .string(moduleFile ?? "<top-level>")), ("line", .number(line))])))
  }

  mutating func parseObject() throws(Diagnostic) -> Expr {
    // An object's values are not pipes of their own (a `,` separates entries): its nesting
    // counts here, so `{"a": {"a": …}}` thousands deep is an error, not a crash.
    try nested()
    defer { depth -= 1 }
    index += 1
    var entries: [ObjectEntry] = []
    skipNewlines()
    if current.is("}") {
      index += 1
      return .object(entries)
    }
    while true {
      skipNewlines()
      let token = current
      var key: Expr
      var shorthand: Expr?
      switch token.kind {
      case .identifier(let name):
        index += 1
        key = .literal(.string(name))
        shorthand = .index(.identity, .literal(.string(name)), token.range)
      case .variable(let name) where nextToken.is(":") && name != "__loc__":
        index += 1
        key = .variable(name, token.range)
        shorthand = nil
      case .variable(let name):
        index += 1
        key = .literal(.string(name == "__loc__" ? "__loc__" : name))
        shorthand = name == "__loc__" ? location(of: token) : .variable(name, token.range)
      case .number(_, let text):
        index += 1
        key = .literal(.string(text))
        shorthand = nil
        guard current.is(":") else { throw unexpected("expected ':' after a numeric key") }
      case .string:
        key = try parseStringLiteral(format: nil)
        shorthand = .index(.identity, key, token.range)
      case .format(let name):
        index += 1
        if case .string = current.kind {
          key = try parseStringLiteral(format: name)
        } else {
          key = .format(name, token.range)
        }
        shorthand = .index(.identity, key, token.range)
      case .symbol("("):
        index += 1
        key = try parsePipe(allowCommandStages: false)
        try expect(")", "to close a computed key")
        shorthand = nil
      default:
        throw unexpected("expected an object key")
      }
      let value: Expr
      if current.is(":") {
        index += 1
        skipNewlines()
        value = try parseObjectValue()
      } else if let shorthand {
        value = shorthand
      } else {
        throw unexpected("expected ':' after the key")
      }
      entries.append(ObjectEntry(key: key, value: value))
      skipNewlines()
      if current.is(",") {
        index += 1
        skipNewlines()
        // `{a: 1,}`: jq takes a trailing comma in an object.
        if current.is("}") {
          index += 1
          return .object(entries)
        }
        continue
      }
      try expect("}", "to close the object")
      return .object(entries)
    }
  }

  /// An object value: terms joined by `|`, no bare `,` (it separates entries).
  mutating func parseObjectValue() throws(Diagnostic) -> Expr {
    var terms = [try parseAlternative()]
    while current.is("|") {
      index += 1
      terms.append(try parseAlternative())
    }
    var result = terms.removeLast()
    while let previous = terms.popLast() { result = .pipe(previous, result) }
    return result
  }

  mutating func parseStringLiteral(format: String?) throws(Diagnostic) -> Expr {
    guard case .string(let parts) = current.kind else { throw unexpected("expected a string") }
    index += 1
    var segments: [StringSegment] = []
    for part in parts {
      switch part {
      case .text(let text): segments.append(.text(text))
      case .interpolation(let innerTokens):
        var inner = Parser(tokens: innerTokens, source: source, host: nil)
        inner.moduleFile = moduleFile
        inner.skipNewlines()
        let expr = try inner.parsePipe(allowCommandStages: false)
        inner.skipNewlines()
        try inner.expectEnd()
        segments.append(.interpolation(expr))
      }
    }
    if format == nil, segments.count == 1, case .text(let text) = segments[0] { return .literal(.string(text)) }
    return .string(segments, format: format)
  }

  mutating func parsePattern() throws(Diagnostic) -> Pattern {
    switch current.kind {
    case .variable(let name):
      index += 1
      return .variable(name)
    case .symbol("["):
      index += 1
      var items: [Pattern] = []
      repeat {
        items.append(try parsePattern())
      } while current.is(",")
        && {
          index += 1
          return true
        }()
      try expect("]", "to close the array pattern")
      return .array(items)
    case .symbol("{"):
      index += 1
      var entries: [(key: PatternKey, pattern: Pattern?)] = []
      repeat {
        let token = current
        switch token.kind {
        case .variable(let name):
          index += 1
          if current.is(":") {
            index += 1
            entries.append((.variable(name), try parsePattern()))
          } else {
            entries.append((.variable(name), nil))
          }
          continue
        case .identifier(let name):
          index += 1
          entries.append((.expression(.literal(.string(name))), try parsePatternValue()))
        case .string:
          let key = try parseStringLiteral(format: nil)
          entries.append((.expression(key), try parsePatternValue()))
        case .symbol("("):
          index += 1
          let key = try parsePipe(allowCommandStages: false)
          try expect(")", "to close a computed key")
          entries.append((.expression(key), try parsePatternValue()))
        default:
          throw unexpected("expected a key in the object pattern")
        }
      } while current.is(",")
        && {
          index += 1
          return true
        }()
      try expect("}", "to close the object pattern")
      return .object(entries)
    default:
      throw unexpected("expected a pattern ($name, [...] or {...})")
    }
  }

  mutating func parsePatternValue() throws(Diagnostic) -> Pattern {
    try expect(":", "after a key in an object pattern")
    return try parsePattern()
  }
}
