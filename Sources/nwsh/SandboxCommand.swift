import ArgumentParser
import Dispatch
import Foundation
import NetworkedCommands
import NetworkedSimulator
import Synchronization

/// `nwsh sandbox`: the Networked API simulator, standalone.
struct Sandbox: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the local Networked API simulator until interrupted.",
    discussion: """
      Prints one JSON line with the URL and the demo API key, then serves until Ctrl-C:
        {"url":"http://127.0.0.1:PORT","apiKey":"sandbox-demo-key"}
      Point nwsh at it with --base-url and NETWORKED_API_KEY, or use curl. It serves the same
      community --sandbox runs use, kept in $XDG_STATE_HOME/nwsh/sandbox.json (--fresh for a new
      one in memory; --reset to forget it and the sandbox's journal).
      """)

  @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
  var port = 0

  @Option(
    help: "Rate windows, LIMIT/SPAN,… (e.g. 4/2s,10/10s; none for none; default: the documented 10/1m,50/10m,120/1h).")
  var rateLimits: String?

  @Flag(help: "Serve without rate windows (as --rate-limits none).")
  var noLimits = false

  @Flag(help: "Serve a new community in memory, forgotten at exit.")
  var fresh = false

  @Flag(help: "Forget the sandbox's community and its journal, then exit.")
  var reset = false

  /// Where the sandbox's community is kept.
  static func communityFile(_ variables: [String: String]) -> String {
    ((SQLiteStateStore.defaultPath(environment: variables) as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent("sandbox.json")
  }

  /// The name the sandbox's budget and journal are kept under (its port changes every run).
  static let scopeName = "sandbox"

  func run() async throws {
    let variables = ProcessInfo.processInfo.environment
    if reset {
      NetworkedSimulator.reset(communityFile: Self.communityFile(variables))
      // The sandbox's journal, wherever this user's state lives (NWSH_STATE, else the file).
      let state = try StateWiring.resolve(argument: nil, variables: variables, profile: nil)
      var forgotten = 0
      let exists: Bool
      if case .file(let path) = state.location {
        exists = FileManager.default.fileExists(atPath: path)
      } else {
        exists = true
      }
      if exists {
        let scope = Fingerprint.of(key: NetworkedSimulator.demoKey, baseURL: Self.scopeName)
        forgotten = try StateWiring.opener(password: state.password)(state.location).forget(scope: scope)
      }
      FileHandle.standardError.write(
        Data(
          "nwsh sandbox: forgot the sandbox's community and \(forgotten) journal entr\(forgotten == 1 ? "y" : "ies")\n"
            .utf8))
      return
    }
    var configuration = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
    if !fresh { configuration.communityFile = Self.communityFile(variables) }
    if noLimits { configuration.rateWindows = [] }
    if let rateLimits {
      do {
        configuration.rateWindows = try RateLimit.parseList(rateLimits).map {
          RateWindow(limit: $0.limit, seconds: max(1, Int($0.seconds.rounded(.up))))
        }
      } catch {
        throw ValidationError("--rate-limits: \(error)")
      }
    }
    if let clock = variables["NWSH_TEST_CLOCK"].flatMap(ScaledClock.init(specification:)) {
      // Only a scaled clock can be shared with other processes; a virtual one cannot.
      configuration.now = { Int64((clock.now * 1000).rounded(.down)) }
    }
    let simulator = NetworkedSimulator(configuration)
    do {
      try simulator.start(port: port)
    } catch {
      throw ValidationError("\(error)")
    }
    FileHandle.standardOutput.write(
      Data(#"{"url":"\#(simulator.baseURL)","apiKey":"\#(NetworkedSimulator.demoKey)"}"#.utf8 + [0x0A]))
    FileHandle.standardError.write(Data("nwsh sandbox: serving on \(simulator.baseURL); Ctrl-C stops it\n".utf8))
    await waitForTermination()
    simulator.shutdown()
  }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTermination() async {
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .main) }
  await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
    let once = OnceFlag()
    for source in sources {
      source.setEventHandler { if once.take() { continuation.resume() } }
      source.resume()
    }
  }
  for source in sources { source.cancel() }
}

/// True the first time `take()` is called.
final class OnceFlag: Sendable {
  private let taken = Atomic<Bool>(false)
  func take() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}
