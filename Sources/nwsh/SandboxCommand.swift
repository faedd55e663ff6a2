import ArgumentParser
import Dispatch
import Foundation
import NetworkedCommands
import NetworkedSimulator

/// `nwsh sandbox`: the Networked API simulator, standalone.
struct Sandbox: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the local Networked API simulator until interrupted.",
    discussion: """
      Prints one JSON line with the URL and the demo API key, then serves until Ctrl-C:
        {"url":"http://127.0.0.1:PORT","apiKey":"sandbox-demo-key"}
      Point nwsh at it with --base-url and NETWORKED_API_KEY, or use curl.
      """)

  @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
  var port = 0

  @Flag(help: "Serve without rate windows.")
  var noLimits = false

  func run() async throws {
    var configuration = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
    if noLimits { configuration.rateWindows = [] }
    if let clock = ProcessInfo.processInfo.environment["NWSH_TEST_CLOCK"].flatMap(ScaledClock.init(specification:)) {
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
final class OnceFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var taken = false
  func take() -> Bool {
    lock.lock()
    defer { lock.unlock() }
    if taken { return false }
    taken = true
    return true
  }
}
