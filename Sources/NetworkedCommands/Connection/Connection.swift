import Foundation
public import JQ
public import NetworkedAPI
public import ShellCore
import Synchronization

/// Where and how the Networked commands talk to the API: given by the program that embeds them
/// (nwsh's command line, or a test).
public struct NetworkedConfiguration: Sendable {
  /// The API's base URL.
  public var baseURL: BaseURL
  /// The key, if one was found; commands that call the API fail with exit 77 without it.
  public var key: APIKey?
  /// Where it came from, for messages (`NETWORKED_API_KEY`, `sandbox`…). Never the key.
  public var keySource: String
  /// The clock the pacer reads and waits on.
  public var clock: any PacingClock
  /// Where the rate budget and the journal are kept (`--state`); nil: the default SQLite file
  /// in the session's environment (``StateLocation/defaultPath(environment:)``).
  public var state: StateLocation?
  /// Opens the store at a location (its waits cut short by the interruption given):
  /// ``StateStore/open(_:environment:interruption:)`` with an empty environment by default;
  /// nwsh passes its own.
  public var openState: StateOpener
  /// How requests go out.
  public var transport: any HTTPTransport
  /// Retry limits.
  public var retryPolicy: RetryPolicy
  /// A number in `0..<1` for back-off jitter.
  public var jitter: @Sendable () -> Double
  /// Where the progress line goes, and whether it is a terminal (live line) or not (occasional
  /// plain lines).
  public var progress: ProgressOutput
  /// The name the key's rate budget and journal are kept under with the key; nil: the base
  /// URL. The sandbox, served on a new port each run, is always `sandbox`.
  public var scopeName: String?
  /// What a test may change from outside (``TestHooks``); none by default.
  public var testHooks = TestHooks()

  /// The scope (key and place fingerprinted) this configuration's state is kept under.
  public var scope: String? {
    key.map { Fingerprint.of(key: $0.secret, baseURL: scopeName ?? baseURL.identity) }
  }

  /// A configuration for `baseURL` with the system clock, the default state database and the
  /// AsyncHTTPClient transport.
  public init(
    baseURL: BaseURL, key: APIKey?, keySource: String = "NETWORKED_API_KEY",
    clock: any PacingClock = SystemClock(), state: StateLocation? = nil,
    openState: @escaping StateOpener = { location, interruption in
      try StateStore.open(location, interruption: interruption)
    },
    transport: any HTTPTransport = HTTPClientTransport(), retryPolicy: RetryPolicy = RetryPolicy(),
    jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
    progress: ProgressOutput = .standardError
  ) {
    self.baseURL = baseURL
    self.key = key
    self.keySource = keySource
    self.clock = clock
    self.state = state
    self.openState = openState
    self.transport = transport
    self.retryPolicy = retryPolicy
    self.jitter = jitter
    self.progress = progress
  }
}

/// Opens the state at a location; waits for a database that is away end when the
/// `Interruption` is set.
public typealias StateOpener = @Sendable (StateLocation, Interruption?) throws -> StateStore

/// A session's link to the API: the paced client, the role cache and the run's counters.
/// Made by ``NetworkedCommands/register(in:configuration:)``; the client and the state database
/// are opened on first use, so programs that never call the API need neither a key nor a disk.
/// Sendable because it is confined to its session's evaluation thread; the request tasks it starts
/// touch only `requestDeadline` and `budget` (locked), the lease keeper only the store (Sendable).
public final class NetworkedConnection: @unchecked Sendable {
  // Threading: confined to its session's evaluation thread (stages and commands run there);
  // request tasks it starts touch only `requestDeadline` (a Locked box) and `budget` (locked),
  // and the lease keeper's thread only the store (Sendable).
  /// Where and how.
  public let configuration: NetworkedConfiguration
  /// The run in progress in the session it was registered in (a lookup function, called by
  /// jq, has no run of its own to say).
  private let currentRun: () -> RunContext?
  /// The world of that session: where the state file is by default.
  private let environment: HostEnvironment
  /// The session's `rate-limits` now (a run's stages apply its own as they are made).
  private let rateLimits: () -> [RateLimit]
  /// Ctrl-C and SIGTERM: every wait of a request, a window or the database ends when it is set.
  let interruption: Interruption
  private var opened: (client: NetworkedClient, pacer: Pacer)?
  /// Renews the leases on what this process holds while it lives (started with the state).
  private var leaseKeeper: LeaseKeeper?
  private var cachedRoles: [Role]?
  private var cachedPlans: [Plan]?
  let budget: RetryBudget
  let progress: ProgressReporter
  /// `set request-deadline`, as the last pipeline started with it (read from request tasks).
  private let requestDeadline = Locked<Double?>(nil)
  /// The largest invites call the server accepted after a 413 (nil until one happened).
  var learnedInviteLimit: Int?
  /// Names this session's runs: start time and a random tag.
  private let processStamp: String
  /// A refused key, an API that cannot be reached: what stops runs from sending.
  let stops = Stops()

  /// The run in progress in this connection's session, if any.
  var runInProgress: RunContext? { currentRun() }

  /// Whether the run in progress may not send: the key was refused in this session (the run
  /// stops so, if it has not), or the API was found unreachable during this run.
  var sendingForbidden: Bool { stops.forbid(runInProgress, keySource: configuration.keySource) }

  /// The key was refused: later requests fail at once, and the run in progress stops (77).
  func keyRefused(_ error: NetworkedAPIError) {
    stops.keyRefused(error, keySource: configuration.keySource, run: runInProgress)
  }

  /// A connection to the API could not be made; true when the API now counts as unreachable
  /// (the run in progress stops).
  func couldNotConnect(_ error: NetworkedAPIError) -> Bool {
    stops.couldNotConnect(at: configuration.clock.now, error, baseURL: configuration.baseURL, run: runInProgress)
  }

  init(configuration: NetworkedConfiguration, session: Session) {
    self.configuration = configuration
    self.currentRun = { [weak session] in session?.runInProgress }
    self.environment = session.environment
    self.rateLimits = { [weak session] in
      session?.value(of: NetworkedSettings.rateLimits) ?? NetworkedSettings.rateLimits.defaultValue
    }
    self.interruption = session.interruption
    self.budget = RetryBudget(configuration.retryPolicy.budget)
    self.progress = ProgressReporter(output: configuration.progress, clock: configuration.clock)
    // Plain UTC digits: no date formatter, so no ICU data is loaded at start-up.
    processStamp =
      ISO8601.compact(configuration.clock.now) + "-" + String(UInt32.random(in: 0x10_0000...0xFF_FFFF), radix: 16)
  }

  /// The id of `run` (one per program run; each statement in the shell is a run). Every result
  /// of `invite` and `add` carries it, and the journal is grouped by it.
  public func runID(of run: RunContext) -> String { "\(processStamp)-\(run.number)" }

  deinit { leaseKeeper?.stop() }

  /// The state database and this key's scope in it.
  func journal() throws -> (store: StateStore, scope: String) {
    let pacer = try self.pacer()
    return (pacer.store, pacer.scope)
  }

  /// Gives back every claim `run` still holds (called as each run ends, however it ends).
  func releaseClaims(of run: RunContext) {
    guard let opened else { return }
    try? opened.pacer.store.release(owner: .current(run: runID(of: run)), now: configuration.clock.now)
  }

  /// The client (the key on every request; pacing is the ``Sender``'s and ``PacedCall``'s);
  /// throws (exit 77) when there is no key.
  func client() throws -> NetworkedClient {
    try open().client
  }

  /// What this process may still send (the lease keeper's fence); opens the state.
  func fence() throws -> Fence {
    _ = try open()
    return leaseKeeper!.fence
  }

  /// The pacer; opening it needs the state database but not a key.
  public func pacer() throws -> Pacer {
    try open().pacer
  }

  /// Where the state is: the configuration's, else the default file in the session's world.
  private var stateLocation: StateLocation {
    configuration.state ?? .file(StateLocation.defaultPath(environment: environment))
  }

  private func open() throws -> (client: NetworkedClient, pacer: Pacer) {
    if let opened { return opened }
    guard let key = configuration.key else {
      throw PipelineStop(
        status: .authentication,
        message: "nwsh: no API key: set NETWORKED_API_KEY, or try the built-in simulator with --sandbox")
    }
    let store: StateStore
    do {
      store = try configuration.openState(stateLocation, interruption)
    } catch {
      throw PipelineStop(
        status: .usage, message: "nwsh: cannot open the state database \(stateLocation.description): \(error)")
    }
    let pacer = Pacer(
      scope: Fingerprint.of(key: key.secret, baseURL: configuration.scopeName ?? configuration.baseURL.identity),
      store: store,
      clock: configuration.clock, schedule: RateSchedule(limits: rateLimits()))
    pacer.observe { [progress] event in progress.pacer(event) }
    progress.setPlanner { count in pacer.plan(count: count).last }
    let deadline = requestDeadline
    let client = NetworkedClient(
      baseURL: configuration.baseURL, key: key, transport: configuration.transport,
      middleware: [DeadlineMiddleware { deadline.value }])
    leaseKeeper = LeaseKeeper(store: store, clock: configuration.clock)
    opened = (client, pacer)
    return (client, pacer)
  }

  /// When to try a request again (the configuration's policy, this session's budget).
  var retryRule: RetryRule {
    RetryRule(policy: configuration.retryPolicy, budget: budget, jitter: configuration.jitter)
  }

  /// What a run keeps of the connection: whether it joined it, whether it journalled anything,
  /// the connection failures counted in it.
  enum RunState: RunLocal {
    struct Value {
      var joined = false
      var journalled = false
      var connectionFailures: [Double] = []
    }
    static func initial() -> Value { Value() }
  }

  /// Joins `run` (as each of its stages that may call the API is made, and as a lookup function
  /// is first called in it): applies its settings and, the first time, arranges its end.
  func enter(_ run: RunContext) {
    refreshSettings(run)
    guard !run[RunState.self].joined else { return }
    run[RunState.self].joined = true
    run.atEnd { [weak self, unowned run] status in
      guard let self else { return }
      // However the run ended (Ctrl-C included), no live progress line is left for the next
      // statement's results to run into.
      self.progress.clear()
      self.releaseClaims(of: run)
      // Results that could not be written are in the journal: say where.
      if status == .outputFailed || status == .outputClosed, run[RunState.self].journalled {
        run.diagnose(
          "nwsh: every request this run sent is in the journal: nwsh journal --run \(self.runID(of: run)) "
            + "--results prints its results")
      }
    }
  }

  /// Applies `run`'s settings (`rate-limits`, `request-deadline`) to the pacer and the
  /// requests (as each pipeline is built).
  func refreshSettings(_ run: RunContext) {
    opened?.pacer.schedule.limits = run.value(of: NetworkedSettings.rateLimits)
    requestDeadline.value = Double(run.value(of: NetworkedSettings.requestDeadline))
  }

  /// The community's roles, fetched once per session.
  func roles() throws -> [Role] {
    if let cachedRoles { return cachedRoles }
    let roles = try PacedCall.run(self, method: "GET", path: NetworkedClient.Paths.roles) {
      client
        async throws(NetworkedAPIError) in try await client.roles()
    }
    cachedRoles = roles
    return roles
  }

  /// Checks that the API accepts the key with one paced request (the community's roles, which
  /// stay cached); throws the API's error, with every form of the key redacted, when it does not.
  public func checkKey() throws {
    cachedRoles = nil
    _ = try roles()
  }

  /// The community's plans, fetched once per session.
  func plans() throws -> [Plan] {
    if let cachedPlans { return cachedPlans }
    let plans = try PacedCall.run(self, method: "GET", path: NetworkedClient.Paths.plans) {
      client
        async throws(NetworkedAPIError) in try await client.plans()
    }
    cachedPlans = plans
    return plans
  }

  /// The plans if they were already fetched (checks of plan ids use them only then).
  var knownPlans: [Plan]? { cachedPlans }

  /// The roles if they were already fetched (row validation uses them only then).
  var knownRoles: [Role]? { cachedRoles }

  /// Keeps `roles` as the community's (the `roles` command fetched them afresh).
  func remember(roles: [Role]) { cachedRoles = roles }
}

/// A value behind a lock, shareable between threads.
final class Locked<T: Sendable>: Sendable {
  private let storage: Mutex<T>
  init(_ value: T) { storage = Mutex(value) }
  var value: T {
    get { storage.withLock { $0 } }
    set { storage.withLock { $0 = newValue } }
  }
}
