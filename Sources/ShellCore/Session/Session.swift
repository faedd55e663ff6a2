import Foundation

/// Runs nwsh programs: parses statements, keeps `let` bindings, `def`s and settings between
/// them, and runs pipelines of registered commands from an input to an output.
///
/// This is the type a program embeds:
///
/// ```swift
/// let session = Session(output: OutputSink(fileDescriptor: 1))
/// session.register(myCommand)
/// let status = session.run("read | where .ok | emit", name: "<example>")
/// ```
public final class Session: @unchecked Sendable {
  // Threading: one run at a time, on the thread `run` starts; between runs the owner's thread.
  // Other threads may only use `interruption` (atomic) and `output` (locked).
  /// Evaluates expressions; embedders may add native functions to it.
  public let interpreter: Interpreter
  /// Where results go.
  public var output: OutputSink
  /// Where diagnostics and progress go (stderr by default).
  public var diagnostics: (String) -> Void
  /// Produces standard input for `read`.
  public var standardInput: () -> any ByteSource
  /// The directory relative paths (`open`, `source`, `save`) start from.
  public var workingDirectory: String
  /// nwsh's state directory (`$XDG_STATE_HOME/nwsh`), where `save` remembers the files it
  /// wrote (so it may replace them); nil: it remembers nothing, and replaces only with --force.
  public var stateDirectory: String?

  private var commands: [String: CommandDefinition] = [:]
  private var commandAliases: [String: String] = [:]
  private var functionDocs: [String: String] = [:]
  private var settingDefinitions: [String: SettingDefinition] = [:]
  private var settingValues: [String: String] = [:]
  private let scope = Bindings()
  private var definedFunctions: Set<String> = []
  private var boundVariables: Set<String> = []

  /// Field names seen in the rows of the last pipeline (for completion).
  public private(set) var recentFields: Set<String> = []
  /// Counts of result statuses in the current run.
  public private(set) var tally = Tally()
  /// How many times ``run(_:name:)`` has started (1 during the first): commands that keep a
  /// journal name their runs with it.
  public private(set) var runNumber = 0
  /// An exit status a command forces (e.g. authentication failure), if any.
  public var forcedStatus: ExitStatus?
  /// The least severe exit status the run may end with (see ``escalate(to:)``).
  public private(set) var floorStatus: ExitStatus = .success
  private var runEndHandlers: [(ExitStatus) -> Void] = []
  private var checkpointHandlers: [ObjectIdentifier: () throws -> Void] = [:]
  /// Set from a signal handler to stop the running pipeline at the next row.
  public let interruption = Interruption()

  /// Statuses counted for the summary and the exit status.
  public struct Tally: Sendable {
    /// Rows written without a status (data rows).
    public var rows = 0
    /// Result records by `status`.
    public var statuses: [RowStatus: Int] = [:]
    /// Nothing counted yet.
    public init() {}
    /// The exit status these counts call for: the most severe any counted status calls for (so
    /// in-doubt rows, which need a deliberate look before any re-run, outrank failures).
    public var exitStatus: ExitStatus {
      statuses.keys.map(\.exitStatus).max { $0.severity < $1.severity } ?? .success
    }
  }

  /// A session writing to `output`, with the data commands; its programs see
  /// `processEnvironment` (by default this process's) as `$ENV`.
  public init(
    output: OutputSink = OutputSink(fileDescriptor: 1), diagnostics: ((String) -> Void)? = nil,
    processEnvironment: [String: String]? = nil
  ) {
    self.interpreter = Interpreter(processEnvironment: processEnvironment ?? ProcessInfo.processInfo.environment)
    self.output = output
    self.diagnostics = diagnostics ?? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    let interruption = self.interruption
    self.standardInput = { FileDescriptorSource(fileDescriptor: 0) { interruption.isSet } }
    self.workingDirectory = FileManager.default.currentDirectoryPath
    let variables = processEnvironment ?? ProcessInfo.processInfo.environment
    if let state = variables["XDG_STATE_HOME"], state.hasPrefix("/") {
      stateDirectory = state + "/nwsh"
    } else if let home = variables["HOME"], home.hasPrefix("/") {
      stateDirectory = home + "/.local/state/nwsh"
    }
    interpreter.debugOutput = { [weak self] text in self?.diagnostics(text) }
    interpreter.interruption = interruption
    DataCommands.register(in: self)
    SessionCommands.register(in: self)
    for setting in CoreSettings.all { define(setting) }
  }

  // MARK: Registration

  /// Adds a command (replacing one of the same name).
  public func register(_ command: CommandDefinition) {
    commands[command.signature.name] = command
  }

  /// The command named `name`.
  public func command(named name: String) -> CommandDefinition? { commands[name] }

  /// Every command, by name.
  public var commandNames: [String] { commands.keys.sorted() }

  /// Documents a function an embedder defined (`help role`): `summary` says what it takes and
  /// gives, e.g. `role(name): the tagId of the role with that name`.
  public func document(function name: String, _ summary: String) {
    functionDocs[name] = summary
  }

  /// The help an embedder gave for function `name`.
  func functionHelp(_ name: String) -> String? { functionDocs[name].map { $0 + "\n" } }

  /// Functions an embedder documented, by name.
  var documentedFunctions: [String] { functionDocs.keys.sorted() }

  /// Lets `name` stand for the command `target` where a flag follows it (a name kept for
  /// compatibility that is also a jq builtin: `add --method direct` for `add-users`).
  public func alias(_ name: String, to target: String) {
    commandAliases[name] = target
  }

  /// The parser's view of the commands.
  public var commandTable: CommandTable {
    var table = CommandTable()
    for command in commands.values { table.add(command.signature) }
    for (name, target) in commandAliases { table.alias(name, to: target) }
    return table
  }

  /// Declares a setting.
  public func define(_ setting: SettingDefinition) {
    settingDefinitions[setting.name] = setting
  }

  /// Every setting, by name.
  public var settings: [SettingDefinition] { settingDefinitions.values.sorted { $0.name < $1.name } }

  /// The current value of setting `name`.
  public func setting(_ name: String) -> String? { settingValues[name] ?? settingDefinitions[name]?.defaultValue }

  /// Whether toggle setting `name` is on.
  public func isOn(_ name: String) -> Bool { setting(name) == "on" }

  /// Changes a setting, validating the value.
  public func set(_ name: String, to value: String) throws {
    guard let definition = settingDefinitions[name] else {
      let hint = nearestName(to: name, in: settingDefinitions.keys).map { " (did you mean \($0)?)" } ?? ""
      throw SettingError(
        "no setting '\(name)'\(hint); settings: \(settingDefinitions.keys.sorted().joined(separator: ", "))")
    }
    settingValues[name] = try definition.validate(value)
  }

  /// Binds `$name` for the rest of the session.
  public func bind(_ name: String, to value: Value) {
    scope.bind(value, to: name)
    boundVariables.insert(name)
  }

  /// The scope expressions run in: `let` bindings and `def`s.
  public var bindings: Bindings { scope }

  /// Names of bound variables (for completion).
  public var variableNames: [String] { boundVariables.sorted() }

  /// The limits for reading input, from the settings.
  public var inputLimits: InputLimits {
    var limits = InputLimits()
    limits.maxDepth = Int(setting("max-depth") ?? "") ?? limits.maxDepth
    limits.maxValueBytes = Int(setting("max-value-bytes") ?? "") ?? limits.maxValueBytes
    return limits
  }

  /// Resolves `path` against the working directory.
  public func resolvePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + path.dropFirst() }
    return (workingDirectory as NSString).appendingPathComponent(path)
  }

  // MARK: Running

  /// Makes the run end with at least `status`'s severity (success < some failed < some in
  /// doubt), whatever the counted results say: a command that skipped a row it could not settle
  /// reports it so.
  public func escalate(to status: ExitStatus) {
    if status.severity > floorStatus.severity { floorStatus = status }
  }

  /// Calls `body` with the run's exit status at the end of every run, however it ends (a
  /// command releasing what it holds, or saying where its results can be found again).
  public func atEndOfEveryRun(_ body: @escaping (ExitStatus) -> Void) {
    runEndHandlers.append(body)
  }

  /// Writes out every result produced so far: the output's buffer and files being saved to.
  ///
  /// Commands call it after each fact that must survive a `kill -9` (an API response whose
  /// outcome is journalled); when stdout is not a terminal results are otherwise written in
  /// large blocks.
  public func checkpoint() throws {
    for handler in checkpointHandlers.values { try handler() }
    output.flush()
    try checkOutput()
  }

  /// Throws when the output could not be written: nothing more may happen that nobody sees.
  public func checkOutput() throws {
    if let failure = output.failure { throw failure }
  }

  /// Registers `body` to run at each ``checkpoint()`` while `owner` is alive in this run.
  public func onCheckpoint(_ owner: AnyObject, _ body: @escaping () throws -> Void) {
    checkpointHandlers[ObjectIdentifier(owner)] = body
  }

  /// Stops calling the checkpoint handler of `owner`.
  public func removeCheckpoint(_ owner: AnyObject) {
    checkpointHandlers[ObjectIdentifier(owner)] = nil
  }

  /// Parses and runs `text`; reports problems on `diagnostics`; returns the exit status.
  ///
  /// A syntax or usage error, or a runtime error outside per-row processing, stops the program
  /// (status 64). Row-level problems become result records and are counted.
  @discardableResult
  public func run(_ text: String, name: String) -> ExitStatus {
    runProgram { try runStatements(text, name: name) }
  }

  /// Runs one registered command as a whole program, built in Swift rather than parsed: what
  /// `nwsh journal --run R` does. The call's words reach the command as they are, never as
  /// program text, so no value can change the program. Results, diagnostics and the exit
  /// status are as for ``run(_:name:)``.
  @discardableResult
  public func run(_ call: CommandCall) -> ExitStatus {
    runProgram {
      guard let definition = commands[call.name] else {
        throw Diagnostic(.usage, "unknown command '\(call.name)'", at: call.range)
      }
      let known = Set(definition.signature.flags.map(\.name))
      if let unknown = call.flags.keys.sorted().first(where: { !known.contains($0) }) {
        throw Diagnostic(.usage, "'\(call.name)' has no flag --\(unknown)", at: call.range)
      }
      try execute(.pipeline([.command(call)]))
    }
  }

  private func runProgram(_ body: () throws -> Void) -> ExitStatus {
    tally = Tally()
    runNumber += 1
    forcedStatus = nil
    floorStatus = .success
    checkpointHandlers = [:]
    interruption.reset()
    var status: ExitStatus =
      onEvaluationThread {
        do {
          try body()
          return nil
        } catch is EvaluationInterrupted {
          return .interrupted
        } catch let failure as OutputFailure {
          return outputStopped(failure)
        } catch let stop as PipelineStop {
          diagnostics(stop.message)
          return stop.status
        } catch let diagnostic as Diagnostic {
          diagnostics(diagnostic.description)
          return .usage
        } catch let error as JQError {
          diagnostics(error.diagnostic.description)
          return .usage
        } catch let halt as HaltSignal {
          if let message = halt.message {
            if case .string(let text) = message { diagnostics(text) } else { diagnostics(JSONWriter.compact(message)) }
          }
          return ExitStatus(rawValue: halt.status) ?? (halt.status == 0 ? .success : .someFailed)
        } catch {
          diagnostics("nwsh: \(error)")
          return .usage
        }
      }
      ?? (interruption.isSet
        ? .interrupted
        : (forcedStatus ?? (floorStatus.severity > tally.exitStatus.severity ? floorStatus : tally.exitStatus)))
    output.flush()
    if let failure = output.failure, status != .outputFailed, status != .outputClosed {
      status = outputStopped(failure)
    }
    for handler in runEndHandlers { handler(status) }
    return status
  }

  /// The end of a run whose output could not be written: quietly when the reader went away
  /// (`| head`), else with a message.
  private func outputStopped(_ failure: OutputFailure) -> ExitStatus {
    if failure.readerClosed { return .outputClosed }
    diagnostics("nwsh: cannot write the results (\(failure)); stopped, nothing more is done")
    return .outputFailed
  }

  /// Runs `text` within the current run (used by `source`), raising errors to the caller.
  func runStatements(_ text: String, name: String) throws {
    let source = Source(name: name, text: text)
    var parser = try Parser(source, commands: commandTable)
    for statement in try parser.parseProgram() {
      if interruption.isSet { return }
      try execute(statement)
      output.flush()
      try checkOutput()
    }
  }

  private func check(_ expr: Expr) throws {
    try Checker(variables: boundVariables, functions: definedFunctions, natives: Set(interpreter.natives.keys)).check(
      expr)
  }

  /// Runs one statement.
  public func execute(_ statement: Statement) throws {
    switch statement {
    case .binding(let name, let expr, let range):
      try check(expr)
      var values: [Value] = []
      do {
        try interpreter.evaluate(expr, .null, scope) { values.append($0) }
      } catch var error as JQError {
        if error.range == nil { error.range = range }
        throw error
      }
      guard values.count == 1 else {
        throw Diagnostic(
          .runtime, "let \(name) needs exactly one value, got \(values.count)", at: range,
          hint: values.isEmpty
            ? nil
            : "to bind all of them as an array, write let \(name) = [\(range.text.components(separatedBy: "=").dropFirst().joined(separator: "=").trimmingCharacters(in: .whitespaces))]"
        )
      }
      bind(name, to: values[0])
    case .definition(let definition):
      try check(.functionDefinition(definition, .identity))
      try interpreter.define(definition, in: scope)
      definedFunctions.insert(definition.key)
    case .pipeline(let stages):
      try runPipeline(stages, into: Terminal(session: self))
    case .pipelineBinding(let name, let stages, _):
      let collector = Collector(reports: Terminal(session: self))
      try runPipeline(stages, into: collector)
      bind(name, to: .array(collector.values))
    }
  }

  private func runPipeline(_ stages: [StageSyntax], into terminal: any Stage) throws {
    recentFields = []
    // Build back to front: each stage gets the one after it.
    var next: any Stage = terminal
    var built: [any Stage] = []
    for (position, syntax) in stages.enumerated().reversed() {
      switch syntax {
      case .command(let call):
        guard let definition = commands[call.name] else {
          throw Diagnostic(.usage, "unknown command '\(call.name)'", at: call.range)
        }
        if definition.role == .source && position > 0 {
          throw Diagnostic(
            .usage, "'\(call.name)' produces rows, so it must start the pipeline", at: call.range,
            hint: "write it first: \(call.name) … | …")
        }
        for argument in call.arguments {
          if case .expression(let expr, _) = argument { try check(expr) }
        }
        for argument in call.flags.values {
          if case .expression(let expr, _) = argument { try check(expr) }
        }
        next = try definition.make(CommandContext(call: call, session: self, next: next))
      case .expression(let expr, let range):
        try check(expr)
        next =
          position == 0
          ? try ExpressionSource(session: self, expr: expr, range: range, next: next)
          : try MapStage(
            session: self, expr: expr, range: range, hint: Self.pipeHint(after: stages[position - 1], range), next: next
          )
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

  /// When an expression stage follows a command whose last argument is an expression
  /// (`where .x | test("a")`), the `|` ended that argument, which a jq habit may not expect:
  /// a failure of the stage says how to write the longer argument.
  static func pipeHint(after previous: StageSyntax, _ range: SourceRange) -> String? {
    guard case .command(let call) = previous, let last = call.arguments.last, case .expression(_, let argument) = last
    else {
      return nil
    }
    return
      "the | after `\(call.name) \(argument.text)` ended its argument, so `\(range.text)` ran on each row as a stage of its own;"
      + " to make it part of the argument, write: \(call.name) (\(argument.text) | \(range.text))"
  }

  /// Notes the keys of a row's value for completion (cheaply: objects only, first 1000 keys).
  func noteFields(of value: Value) {
    guard tally.rows <= 64, recentFields.count < 1000, case .object(let object) = value else { return }
    for key in object.orderedKeys where recentFields.count < 1000 { recentFields.insert(key) }
  }

  /// Counts a result record (an API command's result row, or a report) toward the exit status;
  /// under `set strict on`, an `invalid` one stops the program (exit 65).
  ///
  /// A command that produces results calls it for each, whatever later stages do with them, so
  /// the exit status reflects every row even when `where` filters results out.
  public func countResult(_ value: Value) throws {
    guard let status = RowStatus(of: value) else { return }
    tally.statuses[status, default: 0] += 1
    if status == .invalid && isOn("strict") {
      let detail = value["error"].map(JSONWriter.compact) ?? ""
      throw PipelineStop(
        status: .dataError,
        message: "nwsh: stopped at invalid row \(value["row"].map(JSONWriter.compact) ?? "?") (--strict): \(detail)")
    }
  }

  func countRow() { tally.rows += 1 }
}

/// A request to stop the program with a status and a message (e.g. `--strict`).
public struct PipelineStop: Error, Sendable {
  /// The exit status.
  public var status: ExitStatus
  /// What to tell the user.
  public var message: String
  /// Creates the request.
  public init(status: ExitStatus, message: String) {
    self.status = status
    self.message = message
  }
}
