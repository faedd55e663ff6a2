package import JQ

/// nwsh's statements and pipelines, around jq's expressions: `let`, `def`, directives, and
/// pipelines whose stages are commands or expressions.
package struct StatementParser {
  /// jq's parser, stopping expressions where a command starts.
  private var jq: JQHostParser
  /// The commands it knows, by name.
  let commands: CommandTable
  /// Functions this program defined at statement level so far, by name.
  private var definedHere: Set<String> = []
  /// Whether this program has an `include` (whose names are known only when it runs).
  private var includesHere = false

  /// A parser for a program of statements; `commands` says which names are commands.
  package init(_ source: Source, commands: CommandTable) throws(Diagnostic) {
    jq = try JQHostParser(source, stages: commands)
    self.commands = commands
  }

  private var current: JQToken { jq.token }
  private var nextToken: JQToken { jq.token(at: jq.position + 1) }

  /// Parses a whole program into statements.
  package mutating func parseProgram() throws(Diagnostic) -> [Statement] {
    var statements: [Statement] = []
    while true {
      while current.isNewline || current.is(";") { jq.advance() }
      if current.isEnd { break }
      statements.append(try parseStatement())
      guard current.isNewline || current.is(";") || current.isEnd else {
        throw jq.unexpected("expected the end of the statement")
      }
    }
    return statements
  }

  // MARK: Statements

  mutating func parseStatement() throws(Diagnostic) -> Statement {
    let start = current.range
    if jq.atModuleDirective {
      let directive = try jq.parseModuleDirective()
      if directive.isInclude { includesHere = true }
      return .module(directive)
    }
    if jq.atModuleMetadata { return .metadata(try jq.parseModuleMetadata()) }
    if current.identifier == "let", let name = nextToken.identifier {
      jq.advance()
      jq.advance()
      try jq.expect("=", "after the name in `let \(name) =`")
      jq.skipNewlines()
      // `let x = EXPR` binds the expression's one value; `let x = COMMAND | …` (a pipeline
      // with a command in it) binds the array of the pipeline's rows.
      let stages = try parseStages()
      let range = start.through(jq.previousRange)
      if stages.count == 1, case .expression(let expr) = stages[0] { return .binding(name, expr, range) }
      return .pipelineBinding(name, stages, range)
    }
    if current.identifier == "def" {
      let definition = try jq.parseDefinition()
      definedHere.insert(definition.name)
      if current.isNewline || current.isEnd || current.is(";") { return .definition(definition) }
      // `def f: …; expression` — the definition scopes over what follows.
      let rest = try jq.parsePipe(stopsAtStages: true)
      return try pipelineStatement(first: JQExpression(definition, scopedOver: rest))
    }
    return .pipeline(try parseStages())
  }

  mutating func parseStages() throws(Diagnostic) -> [StageSyntax] {
    var stages: [StageSyntax] = []
    repeat {
      if !stages.isEmpty { jq.skipNewlines() }
      stages.append(try parseStage(first: stages.isEmpty))
    } while current.is("|")
      && {
        jq.advance()
        return true
      }()
    return stages
  }

  mutating func pipelineStatement(first: JQExpression) throws(Diagnostic) -> Statement {
    var stages: [StageSyntax] = [.expression(first)]
    while current.is("|") {
      jq.advance()
      jq.skipNewlines()
      stages.append(try parseStage(first: false))
    }
    return .pipeline(stages)
  }

  mutating func parseStage(first: Bool) throws(Diagnostic) -> StageSyntax {
    if let (signature, width) = commands.command(at: jq.position, in: jq) {
      return .command(try parseCommand(signature, nameWidth: width))
    }
    let start = current.range
    if let name = current.identifier, !JQLanguage.keywords.contains(name), !["true", "false", "null"].contains(name),
      !first || nextToken.isNewline || nextToken.isEnd || nextToken.is("|")
    {
      // Probably a mistyped command: suggest the nearest one (unless the name is a function
      // the session or this program defines, or one an `include` before it may bring).
      if commands[name] == nil, !commands.functions.contains(name), !definedHere.contains(name), !includesHere,
        let suggestion = Diagnostic.suggestion(for: name, among: commands.names),
        !JQLanguage.builtinNames.contains(name)
      {
        throw Diagnostic(.usage, "unknown command '\(name)'", at: current.range, hint: "did you mean '\(suggestion)'?")
      }
    }
    // An expression stage runs as in jq up to the next command: `.x as $v | {v: $v}`,
    // `def f: …; f`, `.a | .b` are one stage.
    return .expression(try jq.parsePipe(stopsAtStages: true))
  }

  mutating func parseCommand(_ signature: CommandSignature, nameWidth: Int = 1) throws(Diagnostic)
    -> CommandCall
  {
    var nameRange = jq.advance().range
    for _ in 1..<max(1, nameWidth) { nameRange = nameRange.through(jq.advance().range) }
    // `where(.ok)`, `take(1)`: the argument in parentheses, as a jq habit writes it.
    if current.is("(") && !current.spaceBefore && signature.parameters.count == 1
      && signature.parameters[0].kind != .expression
    {
      jq.advance()
      let argument = try parseArgumentValue(signature.parameters[0].kind, for: signature.parameters[0].name)
      try jq.expect(")", "after the argument of '\(signature.name)'")
      return try parseCommandRest(signature, nameRange: nameRange, arguments: [argument])
    }
    return try parseCommandRest(signature, nameRange: nameRange, arguments: [])
  }

  mutating func parseCommandRest(
    _ signature: CommandSignature, nameRange: SourceRange, arguments given: [CommandArgument]
  )
    throws(Diagnostic) -> CommandCall
  {
    var arguments: [CommandArgument] = given
    var flags: [String: CommandArgument] = [:]
    var parameterIndex = given.count
    while !(current.isNewline || current.isEnd || current.is("|") || current.is(";") || current.is(")")) {
      if let flagName = current.flag {
        let flagToken = jq.advance()
        guard let flag = signature.flags.first(where: { $0.name == flagName }) else {
          let hint =
            Diagnostic.suggestion(for: flagName, among: signature.flags.map(\.name)).map { "did you mean '--\($0)'?" }
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
        .usage, "'\(signature.name)' needs \(missing.name) (\(missing.summary))", at: nameRange,
        hint: "usage: \(signature.usage)")
    }
    return CommandCall(name: signature.name, range: nameRange, arguments: arguments, flags: flags)
  }

  mutating func parseArgumentValue(_ kind: CommandSignature.ValueKind, for name: String) throws(Diagnostic)
    -> CommandArgument
  {
    let start = current.range
    switch kind {
    case .expression:
      if current.isNewline || current.isEnd || current.is("|") {
        throw jq.unexpected("expected an expression for \(name)")
      }
      return .expression(try jq.parseArgument())
    case .integer:
      guard let value = current.number, value == value.rounded(), value >= 0 else {
        throw jq.unexpected("expected a whole number for \(name)")
      }
      jq.advance()
      return .word(String(Int(value)), start)
    case .word, .path:
      if current.isVariable {
        // `open $file`, `open $ARGS.positional[0]`: a variable (and what follows it) names it.
        return .expression(try jq.parseSuffixedTerm())
      }
      if let text = current.plainString {
        jq.advance()
        return .word(text, start)
      }
      // A bare word runs until white space: `attendees.csv`, `batch-size`, `../x/y.nw`.
      guard !current.isNewline, !current.isEnd, !current.is("|"), !current.is(";") else {
        throw jq.unexpected("expected a value for \(name)")
      }
      var end = jq.advance().range
      while !current.spaceBefore && !current.isEnd && !current.isNewline && !current.is("|") && !current.is(";") {
        end = jq.advance().range
      }
      let range = start.through(end)
      return .word(range.text, range)
    }
  }
}
