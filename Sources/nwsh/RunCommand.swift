import ArgumentParser
import Dispatch
import Foundation
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

/// `nwsh [-c PROGRAM | FILE [ARGS…]]`: runs a program (from -c, a file, or stdin).
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a program from -c, a script file, or standard input.",
    discussion: """
      nwsh -c 'read | where .consent == "yes" | map {email}' < export.jsonl
      nwsh onboard.nw attendees.csv        (also as a #!/usr/bin/env nwsh script; $ARGS holds the arguments)
      echo 'read | count' | nwsh            (a program on stdin when it is not a terminal)
      """)

  @Option(name: .customShort("c"), help: "Run PROGRAM (then standard input is data for read).")
  var program: String?

  @Flag(help: "Stop at the first invalid row (exit 65) instead of reporting it and going on.")
  var strict = false

  @Option(help: "Color results: auto, always or never (NO_COLOR also turns it off).")
  var color: ColorChoice = .auto

  @Flag(help: "Talk to a built-in simulator of the API (demo key, documented rate windows) instead of Networked.")
  var sandbox = false

  @Option(help: "The API's base URL (default: $NETWORKED_BASE_URL, else https://backend.networked.co).")
  var baseURL: String?

  @Flag(help: "Plan every invite and add without sending (same as `set dry-run on`).")
  var dryRun = false

  @Argument(help: "A script file, then its arguments.")
  var script: String?

  @Argument(parsing: .captureForPassthrough, help: .hidden)
  var arguments: [String] = []

  enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

  func run() throws {
    let (text, name): (String, String)
    if let program {
      (text, name) = (program, "<command line>")
      if let script { throw ValidationError("give either -c PROGRAM or a script file, not both (got \(script))") }
    } else if let script {
      guard let contents = try? String(contentsOfFile: script, encoding: .utf8) else {
        throw ValidationError("cannot read script \(script)")
      }
      (text, name) = (Script.strippingShebang(contents), script)
    } else if isatty(0) == 0 {
      (text, name) = (String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), "<stdin>")
    } else {
      throw ValidationError("the interactive shell is not built yet: use -c PROGRAM or a script file")
    }
    let session = Session(output: OutputSink(fileDescriptor: 1, style: outputStyle()))
    let connection = try Connection.make(sandbox: sandbox, baseURL: baseURL)
    defer { connection.simulator?.shutdown() }
    NetworkedCommands.register(in: session, environment: connection.environment)
    if strict { try session.set("strict", to: "on") }
    if dryRun { try session.set("dry-run", to: "on") }
    let positional = (script == nil ? [] : arguments).map(Value.string)
    session.bind("ARGS", to: .object(JSONObject([("positional", .array(positional)), ("named", .object(JSONObject()))])))
    if program == nil && script == nil {
      // The program came from stdin, so there is no data to read there.
      session.standardInput = { BytesSource([]) }
    }
    let status = withInterruptHandling(session) { session.run(text, name: name) }
    throw ExitCode(status.rawValue)
  }

  private func outputStyle() -> OutputSink.Style {
    let terminal = isatty(1) != 0
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
    switch color {
    case .always: return OutputSink.Style(indent: terminal ? 2 : 0, color: true)
    case .never: return OutputSink.Style(indent: terminal ? 2 : 0, color: false)
    case .auto: return terminal ? OutputSink.Style(indent: 2, color: !noColor) : .lines
    }
  }
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
        FileHandle.standardError.write(Data("\nnwsh: interrupted; finishing the rows already read (again to quit now)\n".utf8))
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

final class SignalCount: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func increment() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}

/// Where the API commands go: the real API (key from `NETWORKED_API_KEY`) or, with
/// `--sandbox`, a simulator started in this process.
struct Connection {
  var environment: NetworkedEnvironment
  var simulator: NetworkedSimulator?

  static func make(sandbox: Bool, baseURL: String?) throws -> Connection {
    let variables = ProcessInfo.processInfo.environment
    // Tests run several processes through hours of rate windows on one sped-up clock.
    let clock: any PacingClock = testClock(variables["NWSH_TEST_CLOCK"]) ?? SystemClock()
    if sandbox {
      if baseURL != nil { throw ValidationError("give either --sandbox or --base-url, not both") }
      var configuration = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
      configuration.now = { Int64((clock.now * 1000).rounded(.down)) }
      let simulator = NetworkedSimulator(configuration)
      do {
        try simulator.start()
      } catch {
        throw ValidationError("cannot start the sandbox: \(error)")
      }
      let environment = NetworkedEnvironment(
        baseURL: try BaseURL(simulator.baseURL), key: APIKey(NetworkedSimulator.demoKey), keySource: "sandbox",
        clock: clock)
      return Connection(environment: environment, simulator: simulator)
    }
    let url: BaseURL
    do {
      url = try (baseURL ?? variables["NETWORKED_BASE_URL"]).map { try BaseURL($0) } ?? .production
    } catch {
      throw ValidationError("\(error)")
    }
    let key = variables["NETWORKED_API_KEY"].flatMap(APIKey.init)
    return Connection(environment: NetworkedEnvironment(baseURL: url, key: key, clock: clock), simulator: nil)
  }
}
