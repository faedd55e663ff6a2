import Foundation
import JQ

/// Building and running a pipeline: each stage made by its command (or an expression), back to
/// front, then the first one run; and the program's input, shared by `read`, `input` and a
/// program run on each input.
extension Session {
  /// What `read` reads, in order: the files of ``readInput`` (each opened when its turn comes),
  /// else standard input.
  func readSources(_ run: RunContext) -> [(name: String, make: () throws -> any ByteSource)] {
    guard !readInput.files.isEmpty else {
      let standardInput = self.standardInput
      return [("<stdin>", { standardInput() })]
    }
    let interruption = run.interruption
    let standardInput = self.standardInput
    return readInput.files.map { given in
      if given == "-" { return ("<stdin>", { standardInput() }) }
      let path = resolvePath(given)
      return (
        given,
        {
          guard FileProblem.reading(path) == nil, let file = OpenedFileSource(path: path, interruption: interruption)
          else {
            throw PipelineStop(
              status: .usage, message: "nwsh: read: " + FileProblem.message("cannot open", given, path: path))
          }
          return file
        }
      )
    }
  }

  /// `input`: the next value of the program's input, through the run's cursor.
  func nextInput(of run: RunContext) throws -> Value? {
    try nextValue(of: run)?.value
  }

  /// The next value of the program's input and where it was, through the run's cursor (shared
  /// by `input`, `inputs` and a program run on each input).
  func nextValue(of run: RunContext) throws -> (value: Value, origin: Origin)? {
    if run.input.claimedByRead {
      throw JQError(
        "input and inputs read the program's input, which read is reading in this program: use one or the other "
          + "(read | collect gives every row as one array)")
    }
    if run.input.cursor == nil {
      run.input.cursor = InputCursor(sources: readSources(run), mode: readInput, limits: inputLimits)
    }
    guard let (value, origin) = try run.input.cursor!.next() else { return nil }
    jq.inputOrigin = origin  // input_filename and input_line_number: the value's
    return (value, origin)
  }

  func runPipeline(_ stages: [StageSyntax], into terminal: any Stage, in run: RunContext) throws {
    recentFields = []
    // Build back to front: each stage gets the one after it.
    var next: any Stage = terminal
    var built: [any Stage] = []
    for (position, syntax) in stages.enumerated().reversed() {
      switch syntax {
      case .command(let call):
        guard let definition = run.registry.command(named: call.name) else {
          throw Diagnostic(.usage, "unknown command '\(call.name)'", at: call.range)
        }
        if definition.role == .source && position > 0 {
          throw Diagnostic(
            .usage, "'\(call.name)' produces rows, so it must start the pipeline", at: call.range,
            hint: "write it first: \(call.name) … | …")
        }
        for argument in call.arguments {
          if case .expression(let expression) = argument { try scope.check(expression) }
        }
        for argument in call.flags.values {
          if case .expression(let expression) = argument { try scope.check(expression) }
        }
        next = try definition.make(
          CommandContext(call: call, run: run, next: next, position: position, count: stages.count))
      case .expression(let expression):
        try scope.check(expression)
        if position == 0 {
          let evaluator = try RowEvaluator(scope: jq, run: run, expression: expression)
          next =
            runsOnEachInput && stages.count == 1
            ? EachInputSource(evaluator: evaluator, next: next) { [unowned self] in try self.nextValue(of: run) }
            : ExpressionSource(evaluator: evaluator, next: next)
        } else {
          next = MapStage(evaluator: try mapEvaluator(expression, after: stages[position - 1], in: run), next: next)
        }
      }
      built.append(next)
    }
    guard let first = built.last else { return }
    guard let source = first as? any SourceStage else {
      if case .command(let call) = stages[0] {
        throw Diagnostic(
          .usage, "'\(call.name)' needs rows: start the pipeline with read, open or an expression", at: call.range,
          hint: "read | \(call.name) …")
      }
      return
    }
    do {
      try source.run()
    } catch is StopInput {
      try first.finish()
    } catch is EvaluationInterrupted {
      // Interrupted inside an expression: the stages still finish, so rows already read get
      // their results (the API commands mark what they did not send as interrupted).
      try first.finish()
    }
  }

  /// The evaluator of an expression stage after `previous`, with the hints that may help when it
  /// fails.
  func mapEvaluator(_ expression: JQExpression, after previous: StageSyntax, in run: RunContext)
    throws -> RowEvaluator
  {
    var evaluator = try RowEvaluator(
      scope: jq, run: run, expression: expression, op: "map", hint: Self.pipeHint(after: previous, expression.range))
    // Only read's own way unpacks an array: not with -s, --stream or -R.
    if case .command(let call) = previous, call.name == "read", call.flags.isEmpty, !readInput.slurp,
      !readInput.stream, !readInput.raw
    {
      evaluator.afterRead = true
    }
    return evaluator
  }

  /// When an expression stage follows a command whose last argument is an expression
  /// (`where .x | test("a")`), the `|` ended that argument, which a jq habit may not expect:
  /// a failure of the stage says how to write the longer argument.
  static func pipeHint(after previous: StageSyntax, _ range: SourceRange) -> String? {
    guard case .command(let call) = previous, let last = call.arguments.last, case .expression(let expression) = last
    else {
      return nil
    }
    let argument = expression.range
    return
      "the | after `\(call.name) \(argument.text)` ended its argument, so `\(range.text)` ran on each row as a stage of its own;"
      + " to make it part of the argument, write: \(call.name) (\(argument.text) | \(range.text))"
  }

  /// Notes the keys of a row's value for completion (cheaply: objects only, the first rows'
  /// first 1000 keys).
  func noteFields(of value: Value, row: Int) {
    guard row <= 64, recentFields.count < 1000, case .object(let object) = value else { return }
    for key in object.orderedKeys where recentFields.count < 1000 { recentFields.insert(key) }
  }
}
