import Dispatch
import Foundation
import NetworkedCommands
import NetworkedSimulator
import ShellCore
import Synchronization

/// `nwsh sandbox`: the Networked API simulator, standalone.
enum SandboxCommand {
  /// Where the sandbox's community is kept.
  static func communityFile(_ environment: HostEnvironment) -> String {
    ((StateLocation.defaultPath(environment: environment) as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent("sandbox.json")
  }

  /// The name the sandbox's budget and journal are kept under (its port changes every run).
  static let scopeName = "sandbox"

  static func run(_ invocation: Invocation) throws -> Int32 {
    try invocation.noWords()
    let options = invocation.options
    let environment = invocation.environment
    let variables = environment.variables
    if options.has(.reset) { return try reset(environment) }
    if let text = options.value(.advance) { return try advance(text, environment) }
    var configuration = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
    if !options.has(.fresh) { configuration.communityFile = communityFile(environment) }
    if options.has(.noLimits) { configuration.rateWindows = [] }
    configuration.acceptance = try ConnectionOptions.acceptance(options)
    if let rateLimits = options.value(.rateLimits) {
      do {
        configuration.rateWindows = try RateLimit.parseList(rateLimits).map {
          RateWindow(limit: $0.limit, seconds: max(1, Int($0.seconds.rounded(.up))))
        }
      } catch {
        throw UsageError("--rate-limits: \(error)")
      }
    }
    var port = 0
    if let text = options.value(.port) {
      guard let number = Int(text), (0...65535).contains(number) else {
        throw UsageError("--port must be a port number from 0 to 65535 (got \(text))")
      }
      port = number
    }
    // The sandbox's clock: the system's (or a test's shared one), moved on as --advance moved it.
    let base: any PacingClock = TestHooks(variables, apiIsLocal: true).sharedClock ?? SystemClock()
    let offset = configuration.communityFile.map { NetworkedSimulator.clockOffset(communityFile: $0) } ?? 0
    configuration.now = { Int64((base.now * 1000).rounded(.down)) + offset }
    let simulator = NetworkedSimulator(configuration)
    do {
      try simulator.start(port: port)
    } catch {
      throw UsageError("\(error)")
    }
    FileHandle.standardOutput.write(
      Data(#"{"url":"\#(simulator.baseURL)","apiKey":"\#(NetworkedSimulator.demoKey)"}"#.utf8 + [0x0A]))
    FileHandle.standardError.write(Data("nwsh sandbox: serving on \(simulator.baseURL); Ctrl-C stops it\n".utf8))
    waitForTermination()
    simulator.shutdown()
    return 0
  }

  /// `--advance DURATION`: moves the sandbox's own clock on (kept in its community, so every
  /// later `--sandbox` run and `nwsh sandbox` sees it): "a week later", rehearsed.
  private static func advance(_ text: String, _ environment: HostEnvironment) throws -> Int32 {
    guard let seconds = TimeSpan.seconds(text), seconds > 0 else {
      throw UsageError("--advance takes a length of time such as 8d, 36h or 90m (got \(text))")
    }
    let offset = NetworkedSimulator.advanceClock(
      communityFile: communityFile(environment), by: Int64((seconds * 1000).rounded()))
    let now = Date().timeIntervalSince1970 + Double(offset) / 1000
    FileHandle.standardOutput.write(
      Data(
        #"{"advanced":"\#(text)","now":"\#(ISO8601.format(now))","offsetSeconds":\#(offset / 1000)}"#.utf8 + [0x0A]))
    FileHandle.standardError.write(
      Data(
        ("nwsh sandbox: the sandbox's clock is now \(TimeSpan.text(Double(offset / 1000))) ahead; "
          + "every --sandbox run and nwsh sandbox uses it (nwsh sandbox --reset sets it back)\n").utf8))
    return 0
  }

  /// `--reset`: forgets the community and the sandbox's journal, wherever this user's state
  /// lives (NWSH_STATE, else the file).
  private static func reset(_ environment: HostEnvironment) throws -> Int32 {
    NetworkedSimulator.reset(communityFile: communityFile(environment))
    let state = try StateWiring.resolve(argument: nil, environment: environment, profile: nil)
    var forgotten = 0
    if state.location.path.map({ FileManager.default.fileExists(atPath: $0) }) ?? true {
      let scope = Fingerprint.of(key: NetworkedSimulator.demoKey, baseURL: scopeName)
      forgotten = try StateWiring.opener(environment: environment)(state.location, nil)
        .forget(scope: scope)
    }
    FileHandle.standardError.write(
      Data(
        "nwsh sandbox: forgot the sandbox's community and \(forgotten) journal entr\(forgotten == 1 ? "y" : "ies")\n"
          .utf8))
    return 0
  }
}

/// Blocks the calling thread until SIGINT or SIGTERM arrives.
func waitForTermination() {
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let queue = DispatchQueue(label: "nwsh.sandbox.signals")
  let done = DispatchSemaphore(value: 0)
  let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
  for source in sources {
    source.setEventHandler { done.signal() }
    source.resume()
  }
  done.wait()
  for source in sources { source.cancel() }
}
