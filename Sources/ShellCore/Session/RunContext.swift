public import JQ

/// One run of a program (one ``Session/run(_:name:)``): what its stages use while it runs, and
/// the one place its exit status is derived from.
///
/// Stages receive it through their ``CommandContext`` rather than the whole session: they count
/// results with ``count(_:)``, talk to the person with ``diagnose(_:)``, read settings through
/// their declarations (``value(of:)``), make what they wrote durable with ``checkpoint()`` and
/// watch ``interruption``. The exit status is the worst severity of everything counted, unless
/// the run stopped (an error, an interrupt, output that could not be written).
///
/// Threading: confined to the run's evaluation thread, like the stages that use it.
public final class RunContext {
  /// Which run of its session this is (1 for the first): commands that keep a journal name
  /// their runs with it.
  public let number: Int
  /// Ctrl-C or SIGTERM for this run.
  public let interruption: Interruption
  private let session: Session
  /// The commands and settings as they were when the run started.
  package let registry: Registry
  private var worst: ExitStatus = .success
  private var counts: [ResultStatus: Int] = [:]
  private var checkpointHandlers: [(registration: CheckpointRegistration, body: () throws -> Void)] = []
  private var nextRegistration = 0
  private var locals: [ObjectIdentifier: Any] = [:]
  private var endHandlers: [(ExitStatus) -> Void] = []
  /// Data rows written (not result records).
  private(set) var rowsWritten = 0
  /// Who reads the program's input: `read`, or `input`/`inputs` (never both).
  package let input = RunInput()
  /// Why the run stopped before its input ended, when something other than Ctrl-C stopped it.
  public private(set) var stop: RunStop?
  /// The columns (keys) of the first rows `read` or `open` read, in order: a command that finds
  /// a field missing can name the column the user probably meant.
  public private(set) var inputColumns: [String] = []
  private var rowsNoted = 0

  /// How many rows' keys ``noteColumns(of:)`` notes.
  package static let columnsNoted = 16

  /// Notes the keys of a row just read (the first 16 rows', at most 200 keys).
  package func noteColumns(of value: Value) {
    guard rowsNoted < Self.columnsNoted, inputColumns.count < 200, case .object(let object) = value else { return }
    rowsNoted += 1
    for key in object.orderedKeys where !inputColumns.contains(key) && inputColumns.count < 200 {
      inputColumns.append(key)
    }
  }

  init(session: Session, number: Int, registry: Registry) {
    self.session = session
    self.number = number
    self.registry = registry
    self.interruption = session.interruption
  }

  // MARK: What stages use

  /// Where results and reports are written.
  public var output: OutputSink { session.output }

  /// Tells the person (stderr): a problem, progress, a summary.
  public func diagnose(_ text: String) { session.diagnostics(text) }

  /// The value of `setting` now (a `set` earlier in the program counts).
  public func value<T>(of setting: Setting<T>) -> T { session.value(of: setting) }

  /// `path` resolved against the session's working directory.
  public func resolvePath(_ path: String) -> String { session.resolvePath(path) }

  /// Where the session keeps its own files (the ledger of saved files), if anywhere.
  public var stateDirectory: String? { session.stateDirectory }

  /// Counts `record` toward the run's exit status (its severity), and returns its JSON. Every
  /// result is counted once, where it is made (a report when it reaches the end of the
  /// pipeline), whatever later stages do with it. Under `set strict on` an `invalid` record
  /// stops the run (exit 65).
  @discardableResult
  public func count(_ record: ResultRecord) throws -> Value {
    counts[record.status, default: 0] += 1
    worst = ExitStatus.worst(worst, record.severity.exitStatus)
    let json = record.value
    if record.status == .invalid && value(of: CoreSettings.strict) {
      throw PipelineStop(
        status: .dataError,
        message: "nwsh: stopped at invalid row \(record.row) (--strict): "
          + (record["error"].map(JSONWriter.compact) ?? ""))
    }
    return json
  }

  /// Makes the run end with `status` at least (a failure that is not a result record's).
  public func fail(with status: ExitStatus) { worst = ExitStatus.worst(worst, status) }

  /// How many records of each status were counted.
  public var statusCounts: [ResultStatus: Int] { counts }

  /// Writes out every result produced so far (the output's buffer, files being saved to) and
  /// throws when the output cannot be written. Commands call it after each fact that must
  /// survive a `kill -9` (an API answer that is journalled); when stdout is not a terminal
  /// results are otherwise written in large blocks.
  public func checkpoint() throws {
    for handler in checkpointHandlers { try handler.body() }
    output.flush()
    try checkOutput()
  }

  /// Calls `body` at each ``checkpoint()`` of this run, until ``removeCheckpoint(_:)`` is given
  /// what this returns.
  public func onCheckpoint(_ body: @escaping () throws -> Void) -> CheckpointRegistration {
    nextRegistration += 1
    let registration = CheckpointRegistration(id: nextRegistration)
    checkpointHandlers.append((registration, body))
    return registration
  }

  /// Stops calling a checkpoint handler.
  public func removeCheckpoint(_ registration: CheckpointRegistration) {
    checkpointHandlers.removeAll { $0.registration == registration }
  }

  // MARK: What extensions keep in a run

  /// The value an extension keeps in this run under `key` (made by `Key.initial()` the first
  /// time it is read): it lives and ends with the run, as a request's context carries what
  /// middleware put in it.
  public subscript<Key: RunLocal>(_ key: Key.Type) -> Key.Value {
    get { locals[ObjectIdentifier(key)] as? Key.Value ?? Key.initial() }
    set { locals[ObjectIdentifier(key)] = newValue }
  }

  /// Calls `body` when this run ends, however it ends, with its exit status (after the output
  /// is flushed): a command releasing what it holds, or saying where its results can be found.
  public func atEnd(_ body: @escaping (ExitStatus) -> Void) { endHandlers.append(body) }

  /// Runs the handlers ``atEnd(_:)`` gathered, once.
  func end(with status: ExitStatus) {
    let handlers = endHandlers
    endHandlers = []
    for handler in handlers { handler(status) }
  }

  /// Throws when the output could not be written: nothing more may happen that nobody sees.
  public func checkOutput() throws {
    if let failure = output.failure { throw failure }
  }

  func noteRowWritten() { rowsWritten += 1 }

  /// Stops the run as Ctrl-C would — every wait ends, no more rows are read, rows read and not
  /// finished are finished with `stop`'s result — and makes it end with `stop`'s status. The
  /// first stop of a run is the one that counts; its message is said once.
  public func stop(_ stop: RunStop) {
    guard self.stop == nil else { return }
    self.stop = stop
    diagnose(stop.message)
    interruption.set()
  }

  /// The result a row read but not finished gets: the stop's, else `skipped` as interrupted.
  public var unfinishedRowResult: (status: ResultStatus, fields: [(String, Value)]) {
    stop.map { ($0.result, $0.fields) } ?? (.skipped, [Value.reason(.interrupted)])
  }

  // MARK: How it ends

  /// The status the run ends with: `stopped` (an error that ended it) if any, else interrupted
  /// if Ctrl-C came, else the worst severity counted; output that could not be written
  /// overrides them all.
  func exitStatus(stopped: ExitStatus?) -> ExitStatus {
    if let failure = output.failure, stopped != .outputFailed, stopped != .outputClosed {
      return session.outputStopped(failure)
    }
    if let stopped { return stopped }
    if let stop { return ExitStatus.worst(stop.status, worst) }
    return interruption.isSet ? .interrupted : worst
  }
}

/// What the built-in commands read of their session, through the run they are part of: the
/// language in force (a `let` earlier in the program counts), where `read` reads, and the
/// session commands' own business (`help`, `set`, `source`). A command gets its
/// ``CommandContext`` and this, never the session.
extension RunContext {
  /// Evaluates `expression` on `input` in the session's scope now, every output.
  package func evaluateAll(_ expression: JQExpression, input: Value) throws -> [Value] {
    try session.jq.evaluate(expression, input: input)
  }

  /// The session's jq scope (its bindings and definitions as they are now), for a stage that
  /// compiles an expression once and runs it per row.
  package var jqScope: JQScope { session.jq }

  /// How `read` reads (`-R`, `-s`, `--stream`, `--seq`).
  package var readInput: ReadInput { session.readInput }

  /// What `read` reads, in turn: the files given on the command line, else standard input.
  package func readSources() -> [(name: String, make: () throws -> any ByteSource)] { session.readSources(self) }

  /// The reader's limits (the longest line, the deepest value).
  package var inputLimits: InputLimits { session.inputLimits }

  /// Standard input (`open -`).
  package var standardInput: () -> any ByteSource { session.standardInput }

  /// `help NAME`: a command's, a function's or a topic's help; the command listing without a name.
  package func helpText(for name: String?, at range: SourceRange) throws -> String {
    try SessionCommands.helpText(for: name, session: session, range: range)
  }

  /// `set`: every setting with its value and summary.
  package var settingsListing: String {
    session.settings.map { "\($0.name) = \(session.setting($0.name) ?? "")\n    \($0.summary)" }.joined(
      separator: "\n") + "\n"
  }

  /// `set NAME`: the setting's value, if there is such a setting.
  package func setting(_ name: String) -> String? { session.setting(name) }

  /// `set NAME VALUE`: changes it for the rest of the program and the session.
  package func set(_ name: String, to value: String) throws { try session.set(name, to: value) }

  /// `source FILE`: runs a script's statements in this run; its lets and defs stay.
  package func runStatements(_ text: String, name: String) throws {
    try session.runStatements(text, name: name, in: self)
  }
}

/// Why a run stops before its input ends, other than Ctrl-C: a refused key, an API that
/// cannot be reached. Rows read but not finished get ``result`` with ``fields``, and so does
/// every row still to be read (nothing else is done with them), so every input row has its
/// line; the run ends with ``status`` (or a worse one it counted).
public struct RunStop: Sendable {
  /// The exit status.
  public var status: ExitStatus
  /// The status of rows read but not finished.
  public var result: ResultStatus
  /// Their fields (`reason`, or `error`).
  public var fields: [(String, Value)]
  /// What to tell the user, once.
  public var message: String

  /// Creates a stop.
  public init(status: ExitStatus, result: ResultStatus, fields: [(String, Value)], message: String) {
    self.status = status
    self.result = result
    self.fields = fields
    self.message = message
  }
}

/// Who reads a run's input. `read` claims it when its pipeline is built; `input` and `inputs`
/// read it through a cursor made on first use. A program uses one or the other: both would
/// each take some of the values.
package final class RunInput {
  /// A `read` of the input is in the program.
  var claimedByRead = false
  /// The cursor `input` and `inputs` read, once one has.
  var cursor: InputCursor?
}

/// A value an extension keeps in each run (``RunContext/subscript(_:)``), declared by a type:
///
/// ```swift
/// enum RowsSent: RunLocal { static func initial() -> Int { 0 } }
/// context.run[RowsSent.self] += 1
/// ```
public protocol RunLocal {
  /// What is kept.
  associatedtype Value
  /// What a run starts with.
  static func initial() -> Value
}

/// A handler given to ``RunContext/onCheckpoint(_:)``, to take it back.
public struct CheckpointRegistration: Sendable, Hashable {
  let id: Int
}
