import Foundation
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore
import Synchronization

/// A simulator on loopback sharing a ``VirtualClock`` with nwsh sessions that talk to it over
/// real HTTP; the pacer's waits move the clock, so hours of rate windows pass in milliseconds.
struct Harness {
  static let key = "test-key-commands-7f3a9c"
  let simulator: NetworkedSimulator
  let clock: VirtualClock
  let statePath: String

  /// Runs `body` against a fresh simulator and state database; both go away afterwards.
  static func run<T>(
    configure: (inout SimulatorConfiguration) -> Void = { _ in }, _ body: (Harness) async throws -> T
  ) async throws -> T {
    let clock = VirtualClock()
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.now = { clock.milliseconds }
    configure(&configuration)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-test-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await NetworkedSimulator.with(configuration) { simulator in
      try await body(Harness(simulator: simulator, clock: clock, statePath: directory + "/state.sqlite"))
    }
  }

  /// What one program printed and how it ended.
  struct Outcome {
    var status: ShellCore.ExitStatus
    var stdout: String
    var stderr: String
    var progress: String
    /// stdout parsed, one value per line.
    var results: [Value]

    /// The results with `status == s`.
    func with(status s: String) -> [Value] { results.filter { $0["status"]?.stringValue == s } }
    /// Result statuses by row number.
    var statusByRow: [Int: String] {
      var map: [Int: String] = [:]
      for result in results {
        if let row = result["row"]?.doubleValue, let status = result["status"]?.stringValue { map[Int(row)] = status }
      }
      return map
    }
  }

  /// A session wired to this simulator, with output captured.
  final class Run: @unchecked Sendable {
    let session: Session
    let connection: NetworkedConnection
    private let out = Locked<[UInt8]>([])
    private let err = Locked<String>("")
    private let prog = Locked<String>("")

    init(
      harness: Harness, key: String, stdin: String, clock: (any PacingClock)?, retryPolicy: RetryPolicy,
      timeout: Double = 10, openState: StateOpener? = nil
    ) throws {
      let out = self.out
      let err = self.err
      let prog = self.prog
      session = Session(
        output: OutputSink(style: .lines) { bytes in out.withLock { $0 += bytes } },
        diagnostics: { text in err.withLock { $0 += text + "\n" } }, processEnvironment: [:])
      let bytes = Array(stdin.utf8)
      session.standardInput = { BytesSource(bytes) }
      var environment = NetworkedConfiguration(
        baseURL: try BaseURL(harness.simulator.baseURL), key: APIKey(key), keySource: "test",
        clock: clock ?? harness.clock, state: .file(harness.statePath),
        transport: HTTPClientTransport(timeout: timeout),
        retryPolicy: retryPolicy, jitter: { 0.5 },
        progress: ProgressOutput(isTerminal: false) { text in prog.withLock { $0 += text } })
      if let openState { environment.openState = openState }
      connection = NetworkedCommands.register(in: session, configuration: environment)
    }

    /// Runs `program` on its own thread (it blocks while requests run) and collects the output.
    func run(_ program: String) async -> Outcome {
      out.withLock { $0 = [] }
      err.withLock { $0 = "" }
      let session = self.session
      let status: ShellCore.ExitStatus = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: session.run(program, name: "<test>")) }.start()
      }
      let stdout = String(decoding: out.withLock { $0 }, as: UTF8.self)
      let results = stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
      return Outcome(
        status: status, stdout: stdout, stderr: err.withLock { $0 }, progress: prog.withLock { $0 }, results: results)
    }
  }

  /// A session for `key` (the test key by default) reading `stdin`.
  func session(
    key: String = Harness.key, stdin: String = "", clock: (any PacingClock)? = nil,
    retryPolicy: RetryPolicy = RetryPolicy(),
    timeout: Double = 10, openState: StateOpener? = nil
  ) throws -> Run {
    try Run(
      harness: self, key: key, stdin: stdin, clock: clock, retryPolicy: retryPolicy, timeout: timeout,
      openState: openState)
  }

  /// Runs one program in a fresh session.
  func run(_ program: String, stdin: String = "", key: String = Harness.key) async throws -> Outcome {
    let run = try session(key: key, stdin: stdin)
    return await run.run(program)
  }
}

/// `count` invite rows as JSON lines: `person0@example.org` … with the Member role's id.
func inviteRows(_ count: Int, from start: Int = 0, tagId: String = Roles.member, domain: String = "example.org")
  -> String
{
  (start..<(start + count)).map { i in
    #"{"name":"Person \#(i)","email":"person\#(i)@\#(domain)","tagId":"\#(tagId)"}"#
  }.joined(separator: "\n") + "\n"
}

enum Roles {
  static let member = "69baa36beddb9f0012fdf101"
  static let moderator = "67959032bc6bea0012fdc676"
  static let architect = "68739cdd8bf6c100121117f2"
}

/// Checks admitted request times (ms) against windows; returns the first violation, if any.
func windowViolation(_ times: [Int64], _ limits: [RateLimit]) -> String? {
  let sorted = times.sorted()
  for limit in limits {
    let span = Int64(limit.seconds * 1000)
    var start = 0
    for end in sorted.indices {
      while sorted[start] <= sorted[end] - span { start += 1 }
      if end - start + 1 > limit.limit {
        return "\(end - start + 1) requests within \(limit) ending at \(sorted[end])"
      }
    }
  }
  return nil
}

/// A value several threads append to.
final class Locked<T: Sendable>: Sendable {
  private let value: Mutex<T>
  init(_ initial: T) { value = Mutex(initial) }
  func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}
