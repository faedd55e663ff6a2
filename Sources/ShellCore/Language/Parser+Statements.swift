package import JQ

/// nwsh's statements and pipelines: jq's parser, hosting commands.
extension Parser {
  /// A parser for a program of statements; `commands` says which names are commands.
  package init(_ source: Source, commands: CommandTable) throws(Diagnostic) {
    try self.init(source, host: commands)
  }

  var commands: CommandTable { host as? CommandTable ?? CommandTable() }

  /// Parses a whole program into statements.
  package mutating func parseProgram() throws(Diagnostic) -> [Statement] {
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

  // MARK: Statements

  mutating func parseStatement() throws(Diagnostic) -> Statement {
    let start = current.range
    if atModuleDirective {
      let directive = try parseModuleDirective(statement: true)
      if directive.kind == .include { includesHere = true }
      return .module(directive)
    }
    if current.isWord("module"), nextToken.is("{") {
      index += 1
      let metadata = try parsePipe(allowCommandStages: false)
      return .metadata(try metadataObject(metadata, at: start.through(tokens[index - 1].range)))
    }
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
      definedHere.insert(definition.name)
      if current.kind == .newline || current.kind == .end || current.is(";") { return .definition(definition) }
      // `def f: …; expression` — the definition scopes over what follows.
      let rest = try parsePipe(allowCommandStages: true)
      return try pipelineStatement(first: .functionDefinition(definition, rest), range: start)
    }
    return .pipeline(try parseStages())
  }

  mutating func parseStages() throws(Diagnostic) -> [StageSyntax] {
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

  mutating func pipelineStatement(first: Expr, range: SourceRange) throws(Diagnostic) -> Statement {
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

  mutating func parseStage(first: Bool) throws(Diagnostic) -> StageSyntax {
    if let (signature, width) = command(at: index) {
      return .command(try parseCommand(signature, nameWidth: width))
    }
    let start = current.range
    if case .identifier(let name) = current.kind, !Parser.keywords.contains(name),
      !first || nextToken.kind == .newline
        || nextToken.kind == .end || nextToken.is("|")
    {
      // Probably a mistyped command: suggest the nearest one (unless the name is a function
      // the session or this program defines, or one an `include` before it may bring).
      if commands[name] == nil, !commands.functions.contains(name), !definedHere.contains(name), !includesHere,
        let suggestion = nearestName(to: name, in: commands.names), !JQBuiltinNames.contains(name)
      {
        throw Diagnostic(.usage, "unknown command '\(name)'", at: current.range, hint: "did you mean '\(suggestion)'?")
      }
    }
    // An expression stage runs as in jq up to the next command: `.x as $v | {v: $v}`,
    // `def f: …; f`, `.a | .b` are one stage.
    let expr = try parsePipe(allowCommandStages: true)
    return .expression(expr, start.through(tokens[max(0, index - 1)].range))
  }

  mutating func parseCommand(_ signature: CommandSignature, nameWidth: Int = 1) throws(Diagnostic)
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

  mutating func parseCommandRest(
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
      let repeating = signature.parameters.last?.repeats == true
      guard parameterIndex < signature.parameters.count || repeating else {
        throw Diagnostic(
          .usage, "too many arguments for '\(signature.name)'", at: current.range, hint: "usage: \(signature.usage)")
      }
      let parameter = signature.parameters[min(parameterIndex, signature.parameters.count - 1)]
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

  mutating func parseArgumentValue(_ kind: CommandSignature.ValueKind, for name: String) throws(Diagnostic)
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
}
