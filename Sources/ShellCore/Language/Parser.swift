/// Parses tokens into statements and jq expressions, following jq's precedence:
/// `|` < `,` < `//` < assignment < `or` < `and` < comparison < `+ -` < `* / %` < unary < postfix.
public struct Parser {
  private var tokens: [Token]
  private var index = 0
  /// How deeply the expression being read is nested (see ``maxDepth``).
  private var depth = 0
  private let commands: CommandTable
  private let source: Source

  /// A parser for `source`; `commands` says which names are commands, and how they are called.
  public init(_ source: Source, commands: CommandTable = CommandTable()) throws(Diagnostic) {
    self.source = source
    self.tokens = try Lexer.tokenize(source)
    self.commands = commands
  }

  private init(tokens: [Token], source: Source, commands: CommandTable) {
    self.tokens = tokens
    self.source = source
    self.commands = commands
  }

  /// Parses one jq program (no statements, no commands), e.g. for jq compatibility.
  public static func parseExpression(_ source: Source) throws(Diagnostic) -> Expr {
    var parser = try Parser(source)
    parser.skipNewlines()
    let expr = try parser.parsePipe(allowCommandStages: false)
    parser.skipNewlines()
    try parser.expectEnd()
    return expr
  }

  /// Parses a whole program into statements.
  public mutating func parseProgram() throws(Diagnostic) -> [Statement] {
    var statements: [Statement] = []
    while true {
      while current.kind == .newline || current.is(";") { index += 1 }
      if current.kind == .end { break }
      statements.append(try parseStatement())
      guard current.kind == .newline || current.is(";") || current.kind == .end else {
        throw unexpected("expected the end of the statement")
      }
    }
    return statements
  }

  // MARK: Tokens

  private var current: Token { tokens[index] }
  private var nextToken: Token { tokens[min(index + 1, tokens.count - 1)] }

  private mutating func advance() -> Token {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  private mutating func skipNewlines() { while current.kind == .newline { index += 1 } }

  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .end: return "end of input"
    case .newline: return "end of line"
    default: return "'\(token.range.text)'"
    }
  }

  private func unexpected(_ expectation: String, hint: String? = nil) -> Diagnostic {
    Diagnostic(.syntax, "unexpected \(describe(current)); \(expectation)", at: current.range, hint: hint)
  }

  private mutating func expect(_ symbol: String, _ context: String) throws(Diagnostic) {
    guard current.is(symbol) else { throw unexpected("expected '\(symbol)' \(context)") }
    index += 1
  }

  private mutating func expectWord(_ word: String, _ context: String) throws(Diagnostic) {
    guard current.isWord(word) else { throw unexpected("expected '\(word)' \(context)") }
    index += 1
  }

  private func expectEnd() throws(Diagnostic) {
    guard current.kind == .end else { throw unexpected("expected the end of the program") }
  }

  private static let keywords: Set<String> = [
    "def", "if", "then", "elif", "else", "end", "as", "reduce", "foreach", "try", "catch", "label", "import", "include",
    "and", "or", "__loc__",
  ]

  // MARK: Statements

  private mutating func parseStatement() throws(Diagnostic) -> Statement {
    let start = current.range
    if current.isWord("let"), case .identifier(let name) = nextToken.kind {
      index += 2
      try expect("=", "after the name in `let \(name) =`")
      skipNewlines()
      // `let x = EXPR` binds the expression's one value; `let x = COMMAND | …` (a pipeline
      // with a command in it) binds the array of the pipeline's rows.
      let stages = try parseStages()
      let range = start.through(tokens[index - 1].range)
      if stages.count == 1, case .expression(let expr, _) = stages[0] { return .binding(name, expr, range) }
      return .pipelineBinding(name, stages, range)
    }
    if current.isWord("def") {
      let definition = try parseFunctionDefinition()
      if current.kind == .newline || current.kind == .end || current.is(";") { return .definition(definition) }
      // `def f: …; expression` — the definition scopes over what follows.
      let rest = try parsePipe(allowCommandStages: true)
      return try pipelineStatement(first: .functionDefinition(definition, rest), range: start)
    }
    return .pipeline(try parseStages())
  }

  private mutating func parseStages() throws(Diagnostic) -> [StageSyntax] {
    var stages: [StageSyntax] = []
    repeat {
      if !stages.isEmpty { skipNewlines() }
      stages.append(try parseStage(first: stages.isEmpty))
    } while current.is("|")
      && {
        index += 1
        return true
      }()
    return stages
  }

  private mutating func pipelineStatement(first: Expr, range: SourceRange) throws(Diagnostic) -> Statement {
    var stages: [StageSyntax] = [.expression(first, range.through(tokens[max(0, index - 1)].range))]
    while current.is("|") {
      index += 1
      skipNewlines()
      stages.append(try parseStage(first: false))
    }
    return .pipeline(stages)
  }

  /// The command that starts at token `position`, and how many tokens its name takes, if one
  /// does. A name may be hyphenated (`add-users`: three tokens written without spaces). A
  /// command named like a jq builtin (`map`, `skip`, `join`) is the command only where jq could
  /// not read it: followed by a flag, or by an argument after a space (`map .x`, `skip 2`);
  /// `map(f)`, `join(", ")` and a bare `add` are jq's. Other commands may also be written with
  /// their argument in parentheses (`where(.ok)`, `take(1)`).
  func command(at position: Int) -> (signature: CommandSignature, width: Int)? {
    guard position < tokens.count, case .identifier(var name) = tokens[position].kind else { return nil }
    var width = 1
    var longest: (String, Int)? = commands[name] != nil || commands.alias(name) != nil ? (name, 1) : nil
    while position + width + 1 < tokens.count, tokens[position + width].is("-"),
      !tokens[position + width].spaceBefore, !tokens[position + width + 1].spaceBefore,
      case .identifier(let part) = tokens[position + width + 1].kind
    {
      name += "-" + part
      width += 2
      if commands[name] != nil { longest = (name, width) }
    }
    guard let (found, size) = longest else { return nil }
    let after = tokens[min(position + size, tokens.count - 1)]
    if case .flag = after.kind, let target = commands.alias(found) { return commands[target].map { ($0, size) } }
    guard let signature = commands[found] else { return nil }
    guard size == 1 && JQBuiltinNames.contains(found) else { return (signature, size) }
    switch after.kind {
    case .flag: return (signature, size)
    case .newline, .end: return nil
    default:
      if after.is("|") || after.is(";") || after.is(")") || after.is(",") { return nil }
      return after.spaceBefore ? (signature, size) : nil
    }
  }

  private func isCommandStart(at position: Int) -> Bool { command(at: position) != nil }

  private mutating func parseStage(first: Bool) throws(Diagnostic) -> StageSyntax {
    if let (signature, width) = command(at: index) {
      return .command(try parseCommand(signature, nameWidth: width))
    }
    let start = current.range
    if case .identifier(let name) = current.kind, !Parser.keywords.contains(name),
      !first || nextToken.kind == .newline
        || nextToken.kind == .end || nextToken.is("|")
    {
      // Probably a mistyped command: suggest the nearest one.
      if commands[name] == nil, let suggestion = nearestName(to: name, in: commands.names),
        !JQBuiltinNames.contains(name)
      {
        throw Diagnostic(.usage, "unknown command '\(name)'", at: current.range, hint: "did you mean '\(suggestion)'?")
      }
    }
    // An expression stage runs as in jq up to the next command: `.x as $v | {v: $v}`,
    // `def f: …; f`, `.a | .b` are one stage.
    let expr = try parsePipe(allowCommandStages: true)
    return .expression(expr, start.through(tokens[max(0, index - 1)].range))
  }

  private mutating func parseCommand(_ signature: CommandSignature, nameWidth: Int = 1) throws(Diagnostic)
    -> CommandCall
  {
    var nameToken = advance()
    for _ in 1..<max(1, nameWidth) {
      let part = advance()
      nameToken = Token(
        kind: nameToken.kind, range: nameToken.range.through(part.range), spaceBefore: nameToken.spaceBefore)
    }
    // `where(.ok)`, `take(1)`: the argument in parentheses, as a jq habit writes it.
    if current.is("(") && !current.spaceBefore && signature.parameters.count == 1
      && signature.parameters[0].kind != .expression
    {
      index += 1
      let argument = try parseArgumentValue(signature.parameters[0].kind, for: signature.parameters[0].name)
      try expect(")", "after the argument of '\(signature.name)'")
      return try parseCommandRest(signature, nameToken: nameToken, arguments: [argument])
    }
    return try parseCommandRest(signature, nameToken: nameToken, arguments: [])
  }

  private mutating func parseCommandRest(
    _ signature: CommandSignature, nameToken: Token, arguments given: [CommandArgument]
  )
    throws(Diagnostic) -> CommandCall
  {
    var arguments: [CommandArgument] = given
    var flags: [String: CommandArgument] = [:]
    var parameterIndex = given.count
    while !(current.kind == .newline || current.kind == .end || current.is("|") || current.is(";") || current.is(")")) {
      if case .flag(let flagName) = current.kind {
        let flagToken = advance()
        guard let flag = signature.flags.first(where: { $0.name == flagName }) else {
          let hint =
            nearestName(to: flagName, in: signature.flags.map(\.name)).map { "did you mean '--\($0)'?" }
            ?? (signature.flags.isEmpty
              ? "'\(signature.name)' takes no flags"
              : "flags: " + signature.flags.map { "--\($0.name)" }.joined(separator: ", "))
          throw Diagnostic(
            .usage, "unknown flag '--\(flagName)' for '\(signature.name)'", at: flagToken.range, hint: hint)
        }
        if let kind = flag.kind {
          flags[flagName] = try parseArgumentValue(kind, for: "--\(flagName)")
        } else {
          flags[flagName] = .present(flagToken.range)
        }
        continue
      }
      guard parameterIndex < signature.parameters.count else {
        throw Diagnostic(
          .usage, "too many arguments for '\(signature.name)'", at: current.range, hint: "usage: \(signature.usage)")
      }
      let parameter = signature.parameters[parameterIndex]
      arguments.append(try parseArgumentValue(parameter.kind, for: parameter.name))
      parameterIndex += 1
    }
    if let missing = signature.parameters.dropFirst(parameterIndex).first(where: { !$0.optional }) {
      throw Diagnostic(
        .usage, "'\(signature.name)' needs \(missing.name) (\(missing.summary))", at: nameToken.range,
        hint: "usage: \(signature.usage)")
    }
    return CommandCall(name: signature.name, range: nameToken.range, arguments: arguments, flags: flags)
  }

  private mutating func parseArgumentValue(_ kind: CommandSignature.ValueKind, for name: String) throws(Diagnostic)
    -> CommandArgument
  {
    let start = current.range
    switch kind {
    case .expression:
      if current.kind == .newline || current.kind == .end || current.is("|") {
        throw unexpected("expected an expression for \(name)")
      }
      let expr = try parseCommaLevel()
      return .expression(expr, start.through(tokens[index - 1].range))
    case .integer:
      guard case .number(let value, _) = current.kind, value == value.rounded(), value >= 0 else {
        throw unexpected("expected a whole number for \(name)")
      }
      index += 1
      return .word(String(Int(value)), start)
    case .word, .path:
      if case .variable = current.kind {
        // `open $file`, `open $ARGS.positional[0]`: a variable (and what follows it) names it.
        let expr = try parsePostfix()
        return .expression(expr, start.through(tokens[index - 1].range))
      }
      if case .string(let parts) = current.kind, parts.count == 1, case .text(let text) = parts[0] {
        index += 1
        return .word(text, start)
      }
      // A bare word runs until white space: `attendees.csv`, `batch-size`, `../x/y.nw`.
      guard current.kind != .newline, current.kind != .end, !current.is("|"), !current.is(";") else {
        throw unexpected("expected a value for \(name)")
      }
      var end = advance().range
      while !current.spaceBefore && current.kind != .end && current.kind != .newline && !current.is("|")
        && !current.is(";")
      {
        end = advance().range
      }
      let range = start.through(end)
      return .word(range.text, range)
    }
  }

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
      let lhs = allowComma ? try parseComma() : try parseAlternative()
      if current.isWord("as") {
        // jq 1.8: `E as $x | body` binds the whole expression before it: `1 + 2 as $x` is 3.
        index += 1
        var patterns = [try parsePattern()]
        while current.is("?//") {
          index += 1
          patterns.append(try parsePattern())
        }
        try expect("|", "after the pattern of 'as'")
        if allowCommandStages, let (signature, _) = command(at: index) {
          // jq's `as` binds over the rest of the expression; a command cannot be part of it.
          throw Diagnostic(
            .syntax, "'\(signature.name)' is a command: it cannot be inside the expression that `as` binds over",
            at: current.range,
            hint: "keep the binding inside one stage, e.g. `where (.x as $v | $v > 1)` or `map (.x as $v | {v: $v})`")
        }
        tail = .bind(lhs, patterns, try parsePipe(allowCommandStages: allowCommandStages, allowComma: allowComma))
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

  /// The deepest nesting of expressions accepted: deeper is a syntax error, not a crash.
  static let maxDepth = 256

  private mutating func nested() throws(Diagnostic) {
    depth += 1
    if depth > Self.maxDepth {
      depth -= 1
      throw Diagnostic(.syntax, "expression nested more than \(Self.maxDepth) levels deep", at: current.range)
    }
  }

  /// An expression that stops at a top-level `|` (a command argument or a stage).
  private mutating func parseCommaLevel() throws(Diagnostic) -> Expr {
    if current.isWord("def") || current.isWord("label") { return try parsePipe(allowCommandStages: true) }
    return try parseComma()
  }

  private mutating func parseComma() throws(Diagnostic) -> Expr {
    var lhs = try parseAlternative()
    while current.is(",") {
      index += 1
      lhs = .comma(lhs, try parseAlternative())
    }
    return lhs
  }

  private mutating func parseAlternative() throws(Diagnostic) -> Expr {
    let lhs = try parseAssignment()
    if current.is("//") {
      index += 1
      return .alternative(lhs, try parseAlternative())
    }
    return lhs
  }

  private static let assignmentOperators: Set<String> = ["=", "|=", "+=", "-=", "*=", "/=", "%=", "//="]

  private mutating func parseAssignment() throws(Diagnostic) -> Expr {
    let lhs = try parseOr()
    if case .symbol(let op) = current.kind, Parser.assignmentOperators.contains(op) {
      let opRange = advance().range
      // The right side is at `//` level: `.a = 1 // 2` is `.a = (1 // 2)`.
      return .assign(op, lhs, try parseAlternative(), opRange)
    }
    return lhs
  }

  private mutating func parseOr() throws(Diagnostic) -> Expr {
    var lhs = try parseAnd()
    while current.isWord("or") {
      index += 1
      lhs = .or(lhs, try parseAnd())
    }
    return lhs
  }

  private mutating func parseAnd() throws(Diagnostic) -> Expr {
    var lhs = try parseComparison()
    while current.isWord("and") {
      index += 1
      lhs = .and(lhs, try parseComparison())
    }
    return lhs
  }

  private mutating func parseComparison() throws(Diagnostic) -> Expr {
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

  private mutating func parseAdditive() throws(Diagnostic) -> Expr {
    var lhs = try parseMultiplicative()
    while current.is("+") || current.is("-") {
      let token = advance()
      lhs = .binary(token.is("+") ? .add : .subtract, lhs, try parseMultiplicative(), token.range)
    }
    return lhs
  }

  private mutating func parseMultiplicative() throws(Diagnostic) -> Expr {
    var lhs = try parseUnary()
    while current.is("*") || current.is("/") || current.is("%") {
      let token = advance()
      let op: BinaryOperator = token.is("*") ? .multiply : (token.is("/") ? .divide : .modulo)
      lhs = .binary(op, lhs, try parseUnary(), token.range)
    }
    return lhs
  }

  private mutating func parseUnary() throws(Diagnostic) -> Expr {
    var signs: [SourceRange] = []
    while current.is("-") { signs.append(advance().range) }
    var expr = try parsePostfix()
    while let sign = signs.popLast() { expr = .negate(expr, sign) }
    return expr
  }

  /// A term with its suffixes (`.a`, `[i]`, `[]`, `[a:b]`, `?`) and an optional `as` binding.
  private mutating func parsePostfix() throws(Diagnostic) -> Expr {
    var term = try parseTerm()
    while true {
      if case .field(let name) = current.kind {
        let range = advance().range
        term = .index(term, .literal(.string(name)), range)
      } else if current.is("."), case .string = nextToken.kind, !nextToken.spaceBefore {
        let range = advance().range
        let key = try parseStringLiteral(format: nil)
        term = .index(term, key, range)
      } else if current.is(".") && nextToken.is("[") && !nextToken.spaceBefore {
        index += 1  // `.a.[0]` (jq 1.7+)
      } else if current.is("[") {
        term = try parseBracketSuffix(term)
      } else if current.is("?") {
        index += 1
        term = .tryCatch(term, nil)
      } else {
        break
      }
    }
    return term
  }

  private mutating func parseBracketSuffix(_ term: Expr) throws(Diagnostic) -> Expr {
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

  private mutating func parseTerm() throws(Diagnostic) -> Expr {
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
      let literal = Double(text).map { _ in text }
      return .literal(
        .number(Number(value, literal: text.contains(where: { !$0.isNumber }) || text.count > 15 ? literal : nil)))
    case .string:
      return try parseStringLiteral(format: nil)
    case .format(let name):
      index += 1
      if case .string = current.kind { return try parseStringLiteral(format: name) }
      return .format(name, token.range)
    case .variable(let name):
      index += 1
      if name == "__loc__" {
        let (line, _) = source.lineAndColumn(of: token.range.start)
        return .literal(.object(JSONObject([("file", .string("<top-level>")), ("line", .number(line))])))
      }
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
      case "def":
        let definition = try parseFunctionDefinition()
        return .functionDefinition(definition, try parsePipe(allowCommandStages: false))
      case "label":
        return try parsePipe(allowCommandStages: false)
      case "break":
        index += 1
        guard case .variable(let label) = current.kind else { throw unexpected("expected $name after 'break'") }
        let range = advance().range
        return .breakLabel(label, token.range.through(range))
      case "true", "false", "null":
        index += 1
        return .literal(name == "null" ? .null : .bool(name == "true"))
      case "import", "include":
        throw Diagnostic(.syntax, "modules ('\(name)') are not supported", at: token.range)
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

  /// The body of `try`/`catch`: binds tighter than any binary operator.
  private mutating func parsePostTry() throws(Diagnostic) -> Expr {
    if current.is("-") {
      let token = advance()
      return .negate(try parsePostTry(), token.range)
    }
    return try parsePostfix()
  }

  private mutating func parseIf() throws(Diagnostic) -> Expr {
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

  private mutating func parseFunctionDefinition() throws(Diagnostic) -> FunctionDefinition {
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

  private mutating func parseObject() throws(Diagnostic) -> Expr {
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
        shorthand =
          name == "__loc__"
          ? .literal(
            .object(
              JSONObject([
                ("file", .string("<top-level>")), ("line", .number(source.lineAndColumn(of: token.range.start).line)),
              ])))
          : .variable(name, token.range)
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
        continue
      }
      try expect("}", "to close the object")
      return .object(entries)
    }
  }

  /// An object value: terms joined by `|`, no bare `,` (it separates entries).
  private mutating func parseObjectValue() throws(Diagnostic) -> Expr {
    let lhs = try parseAlternative()
    if current.is("|") {
      index += 1
      return .pipe(lhs, try parseObjectValue())
    }
    return lhs
  }

  private mutating func parseStringLiteral(format: String?) throws(Diagnostic) -> Expr {
    guard case .string(let parts) = current.kind else { throw unexpected("expected a string") }
    index += 1
    var segments: [StringSegment] = []
    for part in parts {
      switch part {
      case .text(let text): segments.append(.text(text))
      case .interpolation(let innerTokens):
        var inner = Parser(tokens: innerTokens, source: source, commands: CommandTable())
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

  private mutating func parsePattern() throws(Diagnostic) -> Pattern {
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

  private mutating func parsePatternValue() throws(Diagnostic) -> Pattern {
    try expect(":", "after a key in an object pattern")
    return try parsePattern()
  }
}

/// Names of jq builtins, so that a bare builtin is not mistaken for a mistyped command.
enum JQBuiltinNames {
  static func contains(_ name: String) -> Bool { Builtins.isBuiltinName(name) }
}
