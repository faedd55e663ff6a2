/// jq expressions by precedence, from `|` down to postfix suffixes and terms (see ``Parser``).
extension Parser {
  // MARK: Expressions

  /// `a | b`, right-associative, with `def`, `as` and `label` forms. With
  /// `allowCommandStages`, a `|` followed by a command name ends the expression.
  mutating func parsePipe(allowCommandStages: Bool, allowComma: Bool = true) throws(Diagnostic) -> Expr {
    try nested()
    defer { depth -= 1 }
    // `a | b | c` is read in a loop (a long pipe is not deep); `def`, `label` and `as` bind
    // over the rest, which is read recursively.
    var terms: [Expr] = []
    var tail: Expr?
    while true {
      if current.isWord("def") {
        let definition = try parseFunctionDefinition()
        tail = .functionDefinition(
          definition, try parsePipe(allowCommandStages: allowCommandStages, allowComma: allowComma))
        break
      }
      if current.isWord("label") {
        index += 1
        guard case .variable(let name) = current.kind else { throw unexpected("expected $name after 'label'") }
        index += 1
        try expect("|", "after 'label $\(name)'")
        tail = .label(name, try parsePipe(allowCommandStages: allowCommandStages, allowComma: allowComma))
        break
      }
      // The items of `a, b, …`. As in jq 1.8's grammar, an item followed by `as` (`E as $x |
      // body`, E any expression but a comma or a pipe: `1 + 2 as $x` binds 3) or an item that
      // is a `def` or a `label` binds over everything after it, later commas and pipes
      // included: `1, 2 as $x | $x, 3` is `1, (2 as $x | ($x, 3))`.
      var items: [Expr] = []
      var binding: Expr?
      repeat {
        if !items.isEmpty && (current.isWord("def") || current.isWord("label")) {
          binding = try parsePipe(allowCommandStages: allowCommandStages, allowComma: allowComma)
          break
        }
        let item = try parseAlternative()
        if current.isWord("as") {
          binding = try parseBinding(of: item, allowCommandStages: allowCommandStages, allowComma: allowComma)
          break
        }
        items.append(item)
      } while allowComma && current.is(",")
        && {
          index += 1
          return true
        }()
      var lhs = binding ?? items.removeLast()
      while let previous = items.popLast() { lhs = .comma(previous, lhs) }
      if binding != nil {
        tail = lhs
        break
      }
      terms.append(lhs)
      guard current.is("|") else { break }
      if allowCommandStages && isCommandStart(at: index + 1) { break }
      index += 1
    }
    var result = tail ?? terms.removeLast()
    while let previous = terms.popLast() { result = .pipe(previous, result) }
    return result
  }

  /// `source as $p ?// … | body`, `as` being the current token.
  private mutating func parseBinding(of source: Expr, allowCommandStages: Bool, allowComma: Bool) throws(Diagnostic)
    -> Expr
  {
    index += 1
    var patterns = [try parsePattern()]
    while current.is("?//") {
      index += 1
      patterns.append(try parsePattern())
    }
    try expect("|", "after the pattern of 'as'")
    if allowCommandStages, let host, isCommandStart(at: index) {
      // jq's `as` binds over the rest of the expression; a host's stage cannot be part of it.
      throw host.bindingError(overStageAt: index, in: JQHostParser(wrapping: self))
    }
    return .bind(source, patterns, try parsePipe(allowCommandStages: allowCommandStages, allowComma: allowComma))
  }

  /// The deepest nesting of expressions accepted: deeper is a syntax error, not a crash.
  static let maxDepth = 256

  mutating func nested() throws(Diagnostic) {
    depth += 1
    if depth > Self.maxDepth {
      depth -= 1
      throw Diagnostic(.syntax, "expression nested more than \(Self.maxDepth) levels deep", at: current.range)
    }
  }

  /// An expression that stops at a top-level `|` (a command argument or a stage).
  mutating func parseCommaLevel() throws(Diagnostic) -> Expr {
    if current.isWord("def") || current.isWord("label") { return try parsePipe(allowCommandStages: true) }
    return try parseComma()
  }

  mutating func parseComma() throws(Diagnostic) -> Expr {
    var lhs = try parseAlternative()
    while current.is(",") {
      index += 1
      lhs = .comma(lhs, try parseAlternative())
    }
    return lhs
  }

  mutating func parseAlternative() throws(Diagnostic) -> Expr {
    let lhs = try parseAssignment()
    if current.is("//") {
      index += 1
      return .alternative(lhs, try parseAlternative())
    }
    return lhs
  }

  private static let assignmentOperators: Set<String> = ["=", "|=", "+=", "-=", "*=", "/=", "%=", "//="]

  mutating func parseAssignment() throws(Diagnostic) -> Expr {
    let lhs = try parseOr()
    if case .symbol(let op) = current.kind, Parser.assignmentOperators.contains(op) {
      let opRange = advance().range
      // As jq 1.8's grammar has it, `//` binds more loosely than an assignment and `or` more
      // tightly: `.a = false // 2` is `(.a = false) // 2`, `.a = 1 or 2` is `.a = (1 or 2)`.
      return .assign(op, lhs, try parseOr(), opRange)
    }
    return lhs
  }

  mutating func parseOr() throws(Diagnostic) -> Expr {
    var lhs = try parseAnd()
    while current.isWord("or") {
      index += 1
      lhs = .or(lhs, try parseAnd())
    }
    return lhs
  }

  mutating func parseAnd() throws(Diagnostic) -> Expr {
    var lhs = try parseComparison()
    while current.isWord("and") {
      index += 1
      lhs = .and(lhs, try parseComparison())
    }
    return lhs
  }

  mutating func parseComparison() throws(Diagnostic) -> Expr {
    let lhs = try parseAdditive()
    if case .symbol(let symbol) = current.kind, let op = BinaryOperator(rawValue: symbol),
      [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(op)
    {
      let range = advance().range
      let rhs = try parseAdditive()
      if case .symbol(let again) = current.kind, let next = BinaryOperator(rawValue: again),
        [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(next)
      {
        throw unexpected("comparisons do not chain; add parentheses")
      }
      return .binary(op, lhs, rhs, range)
    }
    return lhs
  }

  mutating func parseAdditive() throws(Diagnostic) -> Expr {
    var lhs = try parseMultiplicative()
    while current.is("+") || current.is("-") {
      let token = advance()
      lhs = .binary(token.is("+") ? .add : .subtract, lhs, try parseMultiplicative(), token.range)
    }
    return lhs
  }

  mutating func parseMultiplicative() throws(Diagnostic) -> Expr {
    var lhs = try parseUnary()
    while current.is("*") || current.is("/") || current.is("%") {
      let token = advance()
      let op: BinaryOperator = token.is("*") ? .multiply : (token.is("/") ? .divide : .modulo)
      lhs = .binary(op, lhs, try parseUnary(), token.range)
    }
    return lhs
  }

  mutating func parseUnary() throws(Diagnostic) -> Expr {
    var signs: [SourceRange] = []
    while current.is("-") { signs.append(advance().range) }
    var expr = try parsePostfix()
    while let sign = signs.popLast() { expr = .negate(expr, sign) }
    return expr
  }

  /// A term with its suffixes (`.a`, `[i]`, `[]`, `[a:b]`, `?`) and an optional `as` binding.
  mutating func parsePostfix() throws(Diagnostic) -> Expr {
    // A `?` right after an index, a slice or `[]` drops that step's error only; after
    // anything else (`(e)?`, `..?`, a `?` after a `?`) it drops every error of what precedes.
    let startsWithField: Bool
    switch current.kind {
    case .field: startsWithField = true
    case .symbol("."):
      if case .string = nextToken.kind, !nextToken.spaceBefore { startsWithField = true } else { fallthrough }
    default: startsWithField = false
    }
    var term = try parseTerm()
    var afterStep = startsWithField
    while true {
      if case .field(let name) = current.kind {
        let range = advance().range
        term = .index(term, .literal(.string(name)), range)
        afterStep = true
      } else if current.is("."), case .string = nextToken.kind, !nextToken.spaceBefore {
        let range = advance().range
        let key = try parseStringLiteral(format: nil)
        term = .index(term, key, range)
        afterStep = true
      } else if current.is(".") && nextToken.is("[") && !nextToken.spaceBefore {
        index += 1  // `.a.[0]` (jq 1.7+)
      } else if current.is("[") {
        term = try parseBracketSuffix(term)
        afterStep = true
      } else if current.is("?") {
        index += 1
        term = afterStep ? .optional(term) : .tryCatch(term, nil)
        afterStep = false
      } else {
        break
      }
    }
    return term
  }

  mutating func parseBracketSuffix(_ term: Expr) throws(Diagnostic) -> Expr {
    let open = advance().range
    if current.is("]") {
      index += 1
      return .iterate(term, open)
    }
    if current.is(":") {
      index += 1
      let upper = try parsePipe(allowCommandStages: false)
      try expect("]", "to close the slice")
      return .slice(term, nil, upper, open)
    }
    let first = try parsePipe(allowCommandStages: false)
    if current.is(":") {
      index += 1
      if current.is("]") {
        index += 1
        return .slice(term, first, nil, open)
      }
      let upper = try parsePipe(allowCommandStages: false)
      try expect("]", "to close the slice")
      return .slice(term, first, upper, open)
    }
    try expect("]", "to close the index")
    return .index(term, first, open)
  }

  mutating func parseTerm() throws(Diagnostic) -> Expr {
    let token = current
    switch token.kind {
    case .symbol("."):
      index += 1
      if case .string = current.kind, !current.spaceBefore {
        return .index(.identity, try parseStringLiteral(format: nil), token.range)
      }
      return .identity
    case .symbol(".."):
      index += 1
      return .recurseAll
    case .field(let name):
      index += 1
      return .index(.identity, .literal(.string(name)), token.range)
    case .number(let value, let text):
      index += 1
      // The literal as written when it is JSON; else decNumber's spelling (`.5` is `0.5`,
      // `1.` is `1`), so what is printed is always JSON.
      let isJSON =
        !text.hasPrefix(".") && !text.hasSuffix(".") && !text.contains(".e") && !text.contains(".E")
        && !(text.first == "0" && text.count > 1 && text.dropFirst().first?.isNumber == true)
      let literal = Double(text).map { _ in isJSON ? text : DecimalText(text)?.canonical ?? text }
      return .literal(
        .number(
          Number(
            value, literal: text.contains(where: { !$0.isNumber }) || text.count > 15 || value == 0 ? literal : nil)
        ))
    case .string:
      return try parseStringLiteral(format: nil)
    case .format(let name):
      index += 1
      if case .string = current.kind { return try parseStringLiteral(format: name) }
      return .format(name, token.range)
    case .variable(let name):
      index += 1
      if name == "__loc__" { return location(of: token) }
      return .variable(name, token.range)
    case .symbol("("):
      index += 1
      skipNewlines()
      let inner = try parsePipe(allowCommandStages: false)
      try expect(")", "to close '('")
      return inner
    case .symbol("["):
      index += 1
      if current.is("]") {
        index += 1
        return .array(nil)
      }
      let inner = try parsePipe(allowCommandStages: false)
      try expect("]", "to close '['")
      return .array(inner)
    case .symbol("{"):
      return try parseObject()
    case .identifier(let name):
      switch name {
      case "if": return try parseIf()
      case "try":
        index += 1
        let body = try parsePostTry()
        if current.isWord("catch") {
          index += 1
          return .tryCatch(body, try parsePostTry())
        }
        return .tryCatch(body, nil)
      case "reduce":
        index += 1
        let source = try parseAlternative()
        try expectWord("as", "in 'reduce SOURCE as $x (INIT; UPDATE)'")
        let pattern = try parsePattern()
        try expect("(", "in 'reduce … as $x (INIT; UPDATE)'")
        let initial = try parsePipe(allowCommandStages: false)
        try expect(";", "between INIT and UPDATE of 'reduce'")
        let update = try parsePipe(allowCommandStages: false)
        try expect(")", "to close 'reduce'")
        return .reduce(source, pattern, initial, update)
      case "foreach":
        index += 1
        let source = try parseAlternative()
        try expectWord("as", "in 'foreach SOURCE as $x (INIT; UPDATE; EXTRACT)'")
        let pattern = try parsePattern()
        try expect("(", "in 'foreach … as $x (INIT; UPDATE)'")
        let initial = try parsePipe(allowCommandStages: false)
        try expect(";", "between INIT and UPDATE of 'foreach'")
        let update = try parsePipe(allowCommandStages: false)
        var extract: Expr?
        if current.is(";") {
          index += 1
          extract = try parsePipe(allowCommandStages: false)
        }
        try expect(")", "to close 'foreach'")
        return .foreach(source, pattern, initial, update, extract)
      case "break":
        index += 1
        guard case .variable(let label) = current.kind else { throw unexpected("expected $name after 'break'") }
        let range = advance().range
        return .breakLabel(label, token.range.through(range))
      case "true", "false", "null":
        index += 1
        return .literal(name == "null" ? .null : .bool(name == "true"))
      case "import", "include":
        throw Diagnostic(
          .syntax, "'\(name)' goes at the start of a program, before any expression", at: token.range,
          hint: "\(name == "import" ? "import \"path\" as name" : "include \"path\""); … at the start")
      case "def", "label":
        // As in jq's grammar: a definition or a label starts a pipe (after `|`, `,`, `(`…),
        // never an operand (`1 // def f: 2; f` is a syntax error).
        throw unexpected(
          "expected an expression", hint: "'\(name)' starts a pipe: put it in parentheses, (\(name) …)")
      case _ where Parser.keywords.contains(name) && name != "__loc__":
        throw unexpected("expected an expression")
      default:
        index += 1
        var arguments: [Expr] = []
        if current.is("(") && !current.spaceBefore || current.is("(") {
          index += 1
          repeat {
            skipNewlines()
            arguments.append(try parsePipe(allowCommandStages: false))
          } while current.is(";")
            && {
              index += 1
              return true
            }()
          try expect(")", "to close the arguments of '\(name)'")
        }
        return .call(name, arguments, token.range.through(tokens[index - 1].range))
      }
    case .symbol("-"):
      return try parseUnary()
    case .flag(let name):
      throw Diagnostic(.syntax, "unexpected flag '--\(name)' inside an expression", at: token.range)
    default:
      throw unexpected("expected an expression")
    }
  }
}
