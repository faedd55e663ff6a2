import Foundation
public import JQ
import NetworkedAPI
public import NetworkedCommands
public import NetworkedSimulator
public import ShellCore
import Synchronization

/// A Networked API simulator on loopback and nwsh sessions that talk to it over real HTTP,
/// sharing a `VirtualClock`: the pacer's waits move the clock (and the
/// simulator reads it), so hours of rate windows pass in milliseconds.
///
/// What a program that embeds nwsh's commands needs to test them the way nwsh tests itself:
///
/// ```swift
/// try await SimulatorHarness.run { harness in
///   let outcome = try await harness.run("read | invite", stdin: #"{"name":"Ada","email":"ada@example.org","tagId":"69baa36beddb9f0012fdf101"}"#)
///   // outcome.results[0]["status"] is "invited"; harness.simulator.ledger has one entry
/// }
/// ```
public struct SimulatorHarness: Sendable {
  /// The API key the simulator accepts (and sessions use unless told otherwise).
  public static let key = "test-key-commands-7f3a9c"
  /// The simulator.
  public let simulator: NetworkedSimulator
  /// The clock the simulator and every session share.
  public let clock: VirtualClock
  /// The state database (a fresh SQLite file) every session of this harness shares.
  public let statePath: String

  /// Runs `body` against a fresh simulator (its configuration changed by `configure`) and a
  /// fresh state database; both go away afterwards.
  public static func run<T>(
    configure: (inout SimulatorConfiguration) -> Void = { _ in }, _ body: (SimulatorHarness) async throws -> T
  ) async throws -> T {
    let clock = VirtualClock()
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.now = { clock.milliseconds }
    configure(&configuration)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-test-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await NetworkedSimulator.with(configuration) { simulator in
      try await body(SimulatorHarness(simulator: simulator, clock: clock, statePath: directory + "/state.sqlite"))
    }
  }

  /// What one program printed and how it ended.
  public struct Outcome: Sendable {
    /// The exit status.
    public var status: ExitStatus
    /// Everything written to the output.
    public var stdout: String
    /// Every diagnostic, one per line.
    public var stderr: String
    /// What the progress reporter wrote.
    public var progress: String
    /// stdout parsed, one value per line.
    public var results: [Value]

    /// The results with `status == name`.
    public func with(status name: String) -> [Value] { results.filter { $0["status"]?.stringValue == name } }

    /// Result statuses by row number.
    public var statusByRow: [Int: String] {
      var map: [Int: String] = [:]
      for result in results {
        if let row = result["row"]?.doubleValue, let status = result["status"]?.stringValue { map[Int(row)] = status }
      }
      return map
    }
  }

  /// A session with nwsh's commands, wired to the simulator, its output captured.
  ///
  /// Sendable because its captured output is behind mutexes and its session is used by one
  /// run at a time (``run(_:)`` runs it on a thread of its own and waits).
  public final class Run: @unchecked Sendable {
    /// The session.
    public let session: Session
    /// The world a harness session sees: the process's working directory and terminals, and no
    /// environment variables (so `$ENV` holds nothing of the machine running the tests).
    static var world: HostEnvironment {
      var world = HostEnvironment.current()
      world.variables = [:]
      world.home = nil
      return world
    }
    /// The commands' connection (its pacer, its state).
    public let connection: NetworkedConnection
    private let out = Box<[UInt8]>([])
    private let err = Box<String>("")
    private let prog = Box<String>("")

    init(harness: SimulatorHarness, key: String, stdin: String, configure: (inout NetworkedConfiguration) -> Void)
      throws
    {
      let (out, err, prog) = (self.out, self.err, self.prog)
      session = Session(
        output: OutputSink(style: .lines) { bytes in out.withLock { $0 += bytes } },
        diagnostics: { text in err.withLock { $0 += text + "\n" } }, environment: Self.world)
      let bytes = Array(stdin.utf8)
      session.standardInput = { BytesSource(bytes) }
      var configuration = NetworkedConfiguration(
        baseURL: try BaseURL(harness.simulator.baseURL), key: APIKey(key), keySource: "test", clock: harness.clock,
        state: .file(harness.statePath), transport: HTTPClientTransport(timeout: 10), jitter: { 0.5 },
        progress: ProgressOutput(isTerminal: false) { text in prog.withLock { $0 += text } })
      configure(&configuration)
      connection = NetworkedCommands.register(in: session, configuration: configuration)
    }

    /// Runs `program` on a thread of its own (it blocks while requests run) and collects what
    /// it printed.
    public func run(_ program: String) async -> Outcome {
      out.withLock { $0 = [] }
      err.withLock { $0 = "" }
      let session = self.session
      let status: ExitStatus = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: session.run(program, name: "<test>")) }.start()
      }
      let stdout = String(decoding: out.withLock { $0 }, as: UTF8.self)
      let results = stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
      return Outcome(
        status: status, stdout: stdout, stderr: err.withLock { $0 }, progress: prog.withLock { $0 }, results: results)
    }
  }

  /// A session for `key` reading `stdin`; `configure` may change its configuration (another
  /// clock, retry policy, transport, state opener…).
  public func session(
    key: String = SimulatorHarness.key, stdin: String = "", configure: (inout NetworkedConfiguration) -> Void = { _ in }
  ) throws -> Run {
    try Run(harness: self, key: key, stdin: stdin, configure: configure)
  }

  /// Runs one program in a fresh session.
  public func run(_ program: String, stdin: String = "", key: String = SimulatorHarness.key) async throws -> Outcome {
    try await session(key: key, stdin: stdin).run(program)
  }
}

/// A value several threads append to, under a lock.
final class Box<T: Sendable>: Sendable {
  private let value: Mutex<T>
  init(_ initial: T) { value = Mutex(initial) }
  func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}
