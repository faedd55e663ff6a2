import Foundation
public import JQ

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
/// Sendable because one run at a time uses it, on the thread `run` starts (between runs, the
/// owner's); other threads touch only `interruption` (atomic) and `output` (locked).
public final class Session: @unchecked Sendable {
  // Threading: one run at a time, on the thread `run` starts; between runs the owner's thread.
  // Other threads may only use `interruption` (atomic) and `output` (locked).
  /// The jq engine's scope, where expressions compile and run (``SessionScope``'s); embedders add
  /// functions with ``define(_:)-(JQFunction)``.
  package var jq: JQScope { scope.jq }
  /// Where results go.
  public var output: OutputSink
  /// Where diagnostics and progress go (stderr by default).
  public var diagnostics: (String) -> Void
  /// Produces standard input for `read`.
  public var standardInput: () -> any ByteSource
  /// What `read` reads instead of standard input, and how (jq's file arguments, `-R`, `-s`,
  /// `--stream`).
  public var readInput = ReadInput()
  /// The directory relative paths (`open`, `source`, `save`) start from, and what `.` means in
  /// a `-c` program's `import` (`get_prog_origin`).
  public var workingDirectory: String {
    didSet { jq.workingDirectory = workingDirectory }
  }
  /// Whether a program that is a jq expression alone — no command, not even `read` — runs once
  /// for each value of its input (``readInput``'s files, else standard input), as jq runs a
  /// program without `-n`: `.email` over a file of rows prints each row's email. Off (the
  /// default, and jq's `-n`), every program starts on null, and rows come from `read`.
  public var runsOnEachInput = false
  /// nwsh's state directory (`$XDG_STATE_HOME/nwsh`), where `save` remembers the files it
  /// wrote (so it may replace them); nil: it remembers nothing, and replaces only with --force.
  public var stateDirectory: String?
  /// The world the session was made in: its variables (as `$ENV` shows them), working
  /// directory and terminals.
  public let environment: HostEnvironment

  /// The commands, settings and function help (each run keeps the one it started with).
  package private(set) var registry = Registry()
  private var settingValues: [String: any Sendable] = [:]
  /// What programs defined for the ones after them.
  package let scope: SessionScope

  /// Field names seen in the rows of the last pipeline (for completion).
  package internal(set) var recentFields: Set<String> = []
  /// The columns of the rows the last run that read any read (`open`, `read`: for completion,
  /// even when what the run printed were results).
  package private(set) var recentInputColumns: [String] = []
  /// How many times ``run(_:name:)`` has started (1 during the first).
  package private(set) var runNumber = 0
  /// The run in progress, if one is.
  private(set) var currentRun: RunContext?
  /// The run in progress, if one is (for a native function that must stop it).
  public var runInProgress: RunContext? { currentRun }
  /// Set from a signal handler to stop the running pipeline at the next row.
  public let interruption = Interruption()

  /// A session writing to `output`, with the data commands, in `environment` (by default this
  /// process's): its programs see its variables as `$ENV`, relative paths start from its working
  /// directory, and `save` keeps its ledger in its state directory.
  public init(
    output: OutputSink = OutputSink(fileDescriptor: 1), diagnostics: ((String) -> Void)? = nil,
    environment: HostEnvironment = .current()
  ) {
    self.environment = environment
    self.scope = SessionScope(
      JQScope(JQOptions(environment: environment.variables, workingDirectory: environment.workingDirectory)))
    self.output = output
    self.diagnostics = diagnostics ?? { StandardError.write($0 + "\n") }
    let interruption = self.interruption
    self.standardInput = { FileDescriptorSource(fileDescriptor: 0, interruption: interruption) }
    self.workingDirectory = environment.workingDirectory
    stateDirectory = environment.stateDirectory
    jq.messages = { [weak self] text in self?.diagnostics(text) }
    jq.interruption = interruption
    DataCommands.register(in: self)
    SessionCommands.register(in: self)
    for setting in CoreSettings.all { define(setting) }
  }

  // MARK: Registration (before a run: a run keeps the registry it started with)

  /// Adds a command (replacing one of the same name).
  public func register(_ command: CommandDefinition) { registry.register(command) }

  /// Registers `commands`, listed by `help` under `group`.
  public func register(_ commands: [CommandDefinition], group: String) {
    for var command in commands {
      command.signature.group = group
      register(command)
    }
  }

  /// The command named `name`.
  public func command(named name: String) -> CommandDefinition? { registry.command(named: name) }

  /// Every command, by name.
  public var commandNames: [String] { registry.commandNames }

  /// Documents a function an embedder defined (`help role`): `summary` says what it takes and
  /// gives, e.g. `role(name): the tagId of the role with that name`.
  public func document(function name: String, _ summary: String) { registry.document(function: name, summary) }

  /// Lets `name` stand for the command `target` where a flag follows it (a name kept for
  /// compatibility that is also a jq builtin: `add --method direct` for `add-users`).
  public func alias(_ name: String, to target: String) { registry.alias(name, to: target) }

  /// The parser's view of the commands (the run's, during a run).
  package var commandTable: CommandTable {
    (currentRun?.registry ?? registry).commandTable(functions: scope.functionNames)
  }

  /// Declares a setting.
  public func define<T>(_ setting: Setting<T>) { define(setting.definition) }

  /// Declares a setting (without its type).
  public func define(_ setting: SettingDefinition) { registry.define(setting) }

  /// Every setting, by name.
  public var settings: [SettingDefinition] { registry.settings }

  /// The value of `setting` now: what `set` gave it, else its default.
  public func value<T>(of setting: Setting<T>) -> T {
    settingValues[setting.name] as? T ?? setting.defaultValue
  }

  /// Setting `name`'s value as `set` shows it, if there is such a setting.
  public func setting(_ name: String) -> String? {
    guard let definition = registry.setting(named: name) else { return nil }
    return definition.describe(settingValues[name] ?? definition.defaultValue)
  }

  /// Gives `setting` a value, as `set` does with its text (the setting must be declared).
  public func set<T>(_ setting: Setting<T>, to value: T) {
    precondition(registry.setting(named: setting.name) != nil, "setting \(setting.name) is not declared")
    settingValues[setting.name] = value
  }

  /// Changes a setting named by the person (`set NAME VALUE`), checking the value.
  public func set(_ name: String, to value: String) throws {
    settingValues[name] = try registry.requireSetting(name).parse(value)
  }

  /// Binds `$name` for the rest of the session.
  public func bind(_ name: String, to value: Value) { scope.bind(name, to: value) }

  /// Makes `function` callable by every program of the session, like a builtin.
  public func define(_ function: JQFunction) { jq.define(function) }

  /// Names of bound variables (for completion).
  package var variableNames: [String] { scope.variableNames }

  /// The limits for reading input, from the settings.
  package var inputLimits: InputLimits {
    var limits = InputLimits()
    limits.maxDepth = value(of: CoreSettings.maxDepth)
    limits.maxValueBytes = value(of: CoreSettings.maxValueBytes)
    return limits
  }

  /// Resolves `path` against the working directory.
  public func resolvePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    if path.hasPrefix("~/") { return environment.expandingTilde(path) }
    return (workingDirectory as NSString).appendingPathComponent(path)
  }

  // MARK: Running

  /// Parses and runs `text`; reports problems on `diagnostics`; returns the exit status.
  ///
  /// A syntax or usage error, or a runtime error outside per-row processing, stops the program
  /// (status 64). Row-level problems become result records and are counted.
  @discardableResult
  public func run(_ text: String, name: String) -> ExitStatus {
    runProgram { run in try runStatements(text, name: name, in: run) }
  }

  /// Runs one registered command as a whole program, built in Swift rather than parsed: what
  /// `nwsh journal --run R` does. The call's words reach the command as they are, never as
  /// program text, so no value can change the program. Results, diagnostics and the exit
  /// status are as for ``run(_:name:)``.
  @discardableResult
  public func run(_ call: CommandCall) -> ExitStatus {
    runProgram { run in
      guard let definition = registry.command(named: call.name) else {
        throw Diagnostic(.usage, "unknown command '\(call.name)'", at: call.range)
      }
      let known = Set(definition.signature.flags.map(\.name))
      if let unknown = call.flags.keys.sorted().first(where: { !known.contains($0) }) {
        throw Diagnostic(.usage, "'\(call.name)' has no flag --\(unknown)", at: call.range)
      }
      try execute(.pipeline([.command(call)]), in: run)
    }
  }

  private func runProgram(_ body: (RunContext) throws -> Void) -> ExitStatus {
    runNumber += 1
    let run = RunContext(session: self, number: runNumber, registry: registry)
    currentRun = run
    jq.nextInput = { [unowned self] in try self.nextInput(of: run) }
    defer {
      currentRun = nil
      jq.nextInput = nil
      run.input.cursor?.close()
    }
    interruption.reset()
    let stopped: ExitStatus? = onEvaluationThread {
      do {
        try body(run)
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
      } catch let halt as JQHalt {
        if let message = halt.message {
          if case .string(let text) = message { diagnostics(text) } else { diagnostics(JSONWriter.compact(message)) }
        }
        return ExitStatus(rawValue: halt.status)
      } catch {
        diagnostics("nwsh: \(error)")
        return .usage
      }
    }
    output.flush()
    let status = run.exitStatus(stopped: stopped)
    if !run.inputColumns.isEmpty { recentInputColumns = run.inputColumns }
    run.end(with: status)
    return status
  }

  /// The end of a run whose output could not be written: quietly when the reader went away
  /// (`| head`), else with a message.
  func outputStopped(_ failure: OutputFailure) -> ExitStatus {
    if failure.readerClosed { return .outputClosed }
    diagnostics("nwsh: cannot write the results (\(failure)); stopped, nothing more is done")
    return .outputFailed
  }

  /// Runs `text` within `run` (a program, or a `source`d file), raising errors to the caller.
  func runStatements(_ text: String, name: String, in run: RunContext) throws {
    let source = Source(name: name, text: text)
    var parser = try StatementParser(source, commands: commandTable)
    for statement in try parser.parseProgram() {
      if interruption.isSet { return }
      try execute(statement, in: run)
      output.flush()
      try run.checkOutput()
    }
  }

  /// Runs one statement of `run`.
  func execute(_ statement: Statement, in run: RunContext) throws {
    switch statement {
    case .binding(let name, let expr, let range):
      try scope.bind(name, to: expr, at: range)
    case .definition(let definition):
      try scope.define(definition)
    case .module(let directive):
      // `.` in a script's directives is the script's directory, as jq's -f file's.
      let file = directive.range.source.name
      let path = file.hasPrefix("/") ? file : (workingDirectory as NSString).appendingPathComponent(file)
      try scope.link(
        directive, from: SessionScope.isFile(path) ? (path as NSString).deletingLastPathComponent : workingDirectory)
    case .metadata: break
    case .pipeline(let stages):
      try runPipeline(stages, into: Terminal(session: self, run: run), in: run)
    case .pipelineBinding(let name, let stages, _):
      let collector = Collector(reports: Terminal(session: self, run: run))
      try runPipeline(stages, into: collector, in: run)
      bind(name, to: .array(collector.values))
    }
  }

  /// The directories `import` and `include` look for modules in, after the importer's own
  /// (jq's `-L`); nil: jq's defaults, `~/.jq`, `$ORIGIN/../lib/jq`, `$ORIGIN/../lib`.
  public var libraryPaths: [String]? {
    get { jq.libraryPaths }
    set { jq.libraryPaths = newValue }
  }

  /// As jq does: when `~/.jq` is a file, its definitions become the session's. Returns what
  /// went wrong, if anything (the session goes on without them).
  public func includeHomeLibrary() -> String? { jq.includeHomeLibrary() }
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
