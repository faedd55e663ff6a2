import ArgumentParser
import Dispatch
import Foundation
import Interactive
import LineEditor
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore
import Synchronization

/// Options every way of running nwsh shares: where the API is and which key to use.
struct ConnectionOptions: ParsableArguments {
  @Flag(help: "Talk to a built-in simulator of the API (demo key, documented rate windows) instead of Networked.")
  var sandbox = false

  @Option(help: "The API's base URL (default: $NETWORKED_BASE_URL, the profile's, else https://backend.networked.co).")
  var baseURL: String?

  @Option(help: "The credentials profile to use (default: $NWSH_PROFILE, else default).")
  var profile: String?

  @Option(help: "Read the API key from this file (it must not be readable by group or others).")
  var apiKeyFile: String?

  @Flag(help: "Show every HTTP exchange on stderr (the key and passwords redacted).")
  var trace = false

  @Option(
    help: ArgumentHelp(
      "Keep the rate budget and the journal here: a SQLite file, or postgres://user@host:port/db to share them between machines (default: $NWSH_STATE, the profile's, else $XDG_STATE_HOME/nwsh/state.sqlite).",
      valueName: "path-or-url"))
  var state: String?

  /// The parsed values.
  var settings: Connection {
    Connection(
      sandbox: sandbox, baseURL: baseURL, profile: profile, apiKeyFile: apiKeyFile, trace: trace, state: state)
  }
}

/// Where the API is and which key to use, as plain values (see ``ConnectionOptions``).
struct Connection {
  var sandbox = false
  var baseURL: String?
  var profile: String?
  var apiKeyFile: String?
  var trace = false
  var state: String?
}

/// `nwsh [-c PROGRAM | FILE [ARGS…]]`: runs a program (from -c, a file, or stdin), or the
/// interactive shell when stdin is a terminal.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a program from -c, a script file or standard input, or the interactive shell on a terminal.",
    discussion: """
      nwsh                                  (the interactive shell, when stdin is a terminal)
      nwsh -c 'read | where .consent == "yes" | map {email}' < export.jsonl
      nwsh onboard.nw attendees.csv        (also as a #!/usr/bin/env nwsh script; $ARGS holds the arguments)
      echo 'read | count' | nwsh            (a program on stdin when it is not a terminal)
      The API key comes from --api-key-file, NETWORKED_API_KEY, or the profile `nwsh login` saved.
      """)

  @Option(
    name: .customShort("c"),
    help: ArgumentHelp("Run PROGRAM (then standard input is data for read).", valueName: "program"))
  var program: String?

  @Flag(help: "Stop at the first invalid row (exit 65) instead of reporting it and going on.")
  var strict = false

  @Option(help: "Color results: auto, always or never (NO_COLOR also turns it off).")
  var color: ColorChoice = .auto

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Plan every invite and add without sending (same as `set dry-run on`).")
  var dryRun = false

  @Flag(help: "Do not run the startup file (~/.config/nwsh/init.nw) in the interactive shell.")
  var norc = false

  @Argument(help: "A script file, then its arguments.")
  var script: String?

  @Argument(parsing: .captureForPassthrough, help: .hidden)
  var arguments: [String] = []

  enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

  func run() throws {
    let request = RunRequest(
      program: program, strict: strict, color: color, connection: connection.settings, dryRun: dryRun, norc: norc,
      script: script, arguments: arguments)
    throw ExitCode(try request.execute())
  }
}

/// What `nwsh [-c PROGRAM | FILE [ARGS…]]` was asked to do, as plain values: built by ``Run``
/// from the argument parser, or straight from the command line by ``FastArguments`` (which
/// spares the usual invocations the argument parser's start-up cost).
struct RunRequest {
  var program: String?
  var strict = false
  var color: Run.ColorChoice = .auto
  var connection = Connection()
  var dryRun = false
  var norc = false
  var script: String?
  var arguments: [String] = []

  /// Runs it outside the argument parser, reporting a failure the way the parser does
  /// (`Error: …` on stderr, status 64 for a usage error); returns the exit status.
  static func executeReportingErrors(_ request: RunRequest) -> Int32 {
    do {
      return try request.execute()
    } catch let error as ValidationError {
      FileHandle.standardError.write(Data("Error: \(error.message)\nSee 'nwsh --help' for more information.\n".utf8))
      return ExitStatus.usage.rawValue
    } catch let exit as ExitCode {
      return exit.rawValue
    } catch {
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      return 1
    }
  }

  /// ``executeReportingErrors(_:)`` on the cooperative pool.
  nonisolated func executeOffMainThread() async -> Int32 {
    Self.executeReportingErrors(self)
  }

  /// Runs it; returns the exit status.
  func execute() throws -> Int32 {
    let interactive = program == nil && script == nil && isatty(0) == 1
    let (text, name): (String, String)
    if let program {
      (text, name) = (program, "<command line>")
      if let script { throw ValidationError("give either -c PROGRAM or a script file, not both (got \(script))") }
    } else if let script {
      guard let contents = try? String(contentsOfFile: script, encoding: .utf8) else {
        throw ValidationError("cannot read script \(script)")
      }
      (text, name) = (Script.strippingShebang(contents), script)
    } else if !interactive {
      (text, name) = (String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), "<stdin>")
    } else {
      (text, name) = ("", "<repl>")
    }
    let wiring = try Wiring.make(connection)
    defer { wiring.simulator?.shutdown() }
    let session = wiring.makeSession(output: OutputSink(fileDescriptor: 1, style: outputStyle()))
    session.output.flushesEachValue = isatty(1) == 1
    wiring.register(in: session)
    if strict { try session.set("strict", to: "on") }
    if dryRun { try session.set("dry-run", to: "on") }
    // $ARGS as in jq: the script's arguments (or --args/--jsonargs ones), and --arg & co by name.
    let jq = JQArguments.current
    let positional = jq.positional ?? (script == nil ? [] : arguments).map(Value.string)
    for (name, value) in jq.named { session.bind(name, to: value) }
    session.bind(
      "ARGS", to: .object(JSONObject([("positional", .array(positional)), ("named", .object(JSONObject(jq.named)))])))
    if interactive { return runShell(session, wiring).rawValue }
    if program == nil && script == nil {
      // The program came from stdin, so there is no data to read there.
      session.standardInput = { BytesSource([]) }
    }
    let status = withInterruptHandling(session) { session.run(text, name: name) }
    return status.rawValue
  }

  /// The interactive shell: libedit on a terminal (plain lines when `TERM=dumb`), history,
  /// completion, the startup file, `login`.
  private func runShell(_ session: Session, _ wiring: Wiring) -> ExitStatus {
    let environment = ProcessInfo.processInfo.environment
    let reader: any LineReading
    if environment["TERM"] == "dumb" {
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
    repl.login = { profile in
      guard let updated = Login.interactive(profile: profile ?? state.wiring.keySource.profile, wiring: state.wiring)
      else { return }
      state.wiring = updated
      updated.register(in: session)
      updated.guardSecrets(of: session)
      repl.label = updated.label
    }
    if !norc {
      let path = Wiring.configDirectory(environment) + "/init.nw"
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
    let terminal = isatty(1) != 0
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
    let jq = JQArguments.current
    var style: OutputSink.Style
    switch color {
    case .always: style = OutputSink.Style(indent: terminal ? 2 : 0, color: true)
    case .never: style = OutputSink.Style(indent: terminal ? 2 : 0, color: false)
    case .auto: style = terminal ? OutputSink.Style(indent: 2, color: !noColor) : .lines
    }
    style.raw = jq.raw
    style.newline = !jq.join
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
