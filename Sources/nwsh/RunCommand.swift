import Dispatch
import Foundation
import Interactive
import JQ
import LineEditor
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore
import Synchronization

extension RunRequest {
  /// Runs it; returns the exit status.
  func execute() throws -> Int32 {
    let interactive = program == nil && script == nil && isatty(0) == 1
    let (text, name): (String, String)
    if let program {
      (text, name) = (program, programName)
    } else if let script {
      guard let contents = try? String(contentsOfFile: script, encoding: .utf8) else {
        throw UsageError(FileProblem.message("cannot read the script", script))
      }
      (text, name) = (Script.strippingShebang(contents), script)
    } else if !interactive {
      (text, name) = (String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), "<stdin>")
      // An empty program does nothing: almost always a script's name or -c lost (an empty
      // variable before it took it as an option's value), which must not look like success.
      if text.allSatisfy(\.isWhitespace) {
        throw UsageError(
          "no program: standard input was empty, and no -c PROGRAM or script was given",
          hint: "nwsh -c PROGRAM, nwsh SCRIPT, or a program on standard input")
      }
    } else {
      (text, name) = ("", "<repl>")
    }
    var wiring = try Wiring.make(connection)
    try wiring.start()
    defer { wiring.stop() }
    let session = wiring.makeSession(output: OutputSink(fileDescriptor: 1, style: outputStyle()))
    session.output.flushesEachValue = connection.environment.terminals.output
    wiring.register(in: session)
    session.readInput = jq.input
    // As jq: a -c or -f program with input (files, or standard input that is not a terminal)
    // runs on each value, unless -n.
    session.runsOnEachInput =
      program != nil && !jq.nullInput && (!jq.input.files.isEmpty || !connection.environment.terminals.input)
    session.libraryPaths = jq.libraryPaths
    if let problem = session.includeHomeLibrary() {
      FileHandle.standardError.write(Data("nwsh: ~/.jq is not loaded: \(problem)\n".utf8))
    }
    if strict { session.set(CoreSettings.strict, to: true) }
    if dryRun { session.set(NetworkedSettings.dryRun, to: true) }
    // $ARGS as in jq: the script's arguments (or --args/--jsonargs ones), and --arg & co by name.
    for (name, value) in jq.named { session.bind(name, to: value) }
    session.bind(
      "ARGS", to: .object(JSONObject([("positional", .array(positional)), ("named", .object(JSONObject(jq.named)))])))
    if interactive { return runShell(session, wiring).rawValue }
    if program == nil && script == nil {
      // The program came from stdin, so there is no data to read there.
      session.standardInput = { BytesSource([]) }
    }
    let status = withInterruptHandling(session) { session.run(text, name: name) }
    // jq's -e: when the run went well, the last value written decides.
    if jq.exitStatus && status == .success {
      switch session.output.lastWasTruthy {
      case nil: return 4
      case false?: return 1
      case true?: return 0
      }
    }
    return status.rawValue
  }

  /// The interactive shell: libedit on a terminal (plain lines when `TERM=dumb`), history,
  /// completion, the startup file, `login`.
  private func runShell(_ session: Session, _ wiring: Wiring) -> ExitStatus {
    let environment = connection.environment
    let reader: any LineReading
    if environment.variable("TERM") == "dumb" {
      reader = PlainLineReader()
    } else {
      let editor = LineEditor(program: "nwsh")
      let completer = Completer(session: session)
      editor.complete = { completer.complete($0) }
      reader = editor
    }
    let state = WiringState(wiring)
    let repl = REPL(
      session: session, reader: reader, history: HistoryStore(path: HistoryStore.defaultPath(environment: environment)),
      label: wiring.label, currentKey: { state.wiring.keySource.key?.secret })
    if !noPager && environment.terminals.output && environment.variable("TERM") != "dumb" {
      repl.pagerCommand = REPL.pagerCommand(from: environment.variable("PAGER"))
    }
    repl.login = { profile in
      guard let updated = Login.interactive(profile: profile ?? state.wiring.keySource.profile, wiring: state.wiring)
      else { return }
      state.wiring = updated
      updated.register(in: session)
      updated.guardSecrets(of: session)
      repl.label = updated.label
    }
    if !norc {
      let path = environment.configDirectory + "/init.nw"
      if let text = try? String(contentsOfFile: path, encoding: .utf8) {
        session.run(Script.strippingShebang(text), name: path)
      }
    }
    if isatty(2) == 1 {
      FileHandle.standardError.write(
        Data("nwsh \(NetworkedClient.version) · \(wiring.label) · help for commands, Ctrl-D to leave\n".utf8))
    }
    return repl.run()
  }

  private func outputStyle() -> OutputSink.Style {
    let terminal = connection.environment.terminals.output
    // NO_COLOR, or a terminal that says it shows none (TERM=dumb), turns color off.
    let noColor =
      (connection.environment.variable("NO_COLOR").map { !$0.isEmpty } ?? false)
      || connection.environment.variable("TERM") == "dumb"
    var style: OutputSink.Style
    switch color {
    case .always: style = OutputSink.Style(indent: terminal ? 2 : 0, color: true)
    case .never: style = OutputSink.Style(indent: terminal ? 2 : 0, color: false)
    case .auto: style = terminal ? OutputSink.Style(indent: 2, color: !noColor) : .lines
    }
    // jq's layout options hold in a pipe too.
    if let indent = jq.indent { style.indent = indent }
    if jq.tab {
      style.indent = 1
      style.tabs = true
    }
    if jq.compact { style.indent = 0 }
    style.sortKeys = jq.sortKeys
    style.asciiOnly = jq.ascii
    style.recordSeparator = jq.seq
    style.raw = jq.raw
    style.newline = !jq.join
    style.nulAfterEach = jq.nul
    return style
  }

}

/// Holds the current wiring so `login` can replace it.
final class WiringState {
  var wiring: Wiring
  init(_ wiring: Wiring) { self.wiring = wiring }
}

/// Runs `body` with SIGINT/SIGTERM asking the session to stop; a second signal exits at once.
func withInterruptHandling<T>(_ session: Session, _ body: () -> T) -> T {
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let queue = DispatchQueue(label: "nwsh.signals")
  let count = SignalCount()
  let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
  for source in sources {
    source.setEventHandler {
      if count.increment() == 1 {
        session.interruption.set()
        // On a terminal, wipe the half-drawn progress line rather than leave it behind.
        let start = isatty(2) == 1 ? "\r\u{1B}[2K" : "\n"
        FileHandle.standardError.write(
          Data((start + "nwsh: interrupted; finishing the rows already read (again to quit now)\n").utf8))
      } else {
        session.output.flush()  // keep the results already computed
        exit(ExitStatus.interrupted.rawValue)
      }
    }
    source.resume()
  }
  defer { for source in sources { source.cancel() } }
  return body()
}

/// How many interrupt signals arrived.
final class SignalCount: Sendable {
  private let value = Atomic<Int>(0)
  func increment() -> Int { value.add(1, ordering: .acquiringAndReleasing).newValue }
}
