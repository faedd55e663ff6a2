import Foundation
import Interactive
import JQ
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

/// Where the API commands go: the real API (key from a key file, `NETWORKED_API_KEY` or a
/// profile) or, with `--sandbox`, a simulator started in this process.
struct Wiring {
  var configuration: NetworkedConfiguration
  var keySource: KeySource
  /// With `--sandbox`: the simulator to start (``start()``), then the one running.
  var sandbox: SimulatorConfiguration?
  var simulator: NetworkedSimulator?
  /// The state database's password, kept out of every output like the key.
  var stateSecret: String?
  /// The process's world the wiring was made in.
  var environment: HostEnvironment
  /// What ``start()`` tells the person before anything runs (``make(_:)`` only collects it).
  var notices: [String] = []

  /// Every secret this process holds: the key, the database's password.
  var secrets: [String] { (keySource.key.map { [$0.secret] } ?? []) + (stateSecret.map { [$0] } ?? []) }

  /// `sandbox` or the API's host, for the prompt.
  var label: String { sandbox != nil ? "sandbox" : configuration.baseURL.host }

  /// The wiring `options` ask for, resolved without side effects: no server is started, no file
  /// is created and nothing is written (the state is opened on first use; the sandbox starts,
  /// and ``notices`` are shown, in ``start()``).
  static func make(_ options: ConnectionOptions) throws -> Wiring {
    let variables = options.environment.variables
    if options.sandbox {
      if options.baseURL != nil { throw UsageError("give either --sandbox or --base-url, not both") }
      let hooks = TestHooks(variables, apiIsLocal: true)
      let key = APIKey(NetworkedSimulator.demoKey)
      // The sandbox's clock, moved on as `nwsh sandbox --advance` moved it ("a week later").
      let community = SandboxCommand.communityFile(options.environment)
      let offset = Double(NetworkedSimulator.clockOffset(communityFile: community)) / 1000
      let clock: any PacingClock = OffsetClock(hooks.clock ?? SystemClock(), offset: offset)
      // The base URL is the simulator's, known once it listens (start()).
      var configuration = NetworkedConfiguration(
        baseURL: try! BaseURL("http://127.0.0.1"), key: key, keySource: "sandbox", clock: clock)
      configuration.scopeName = SandboxCommand.scopeName
      configuration.testHooks = hooks
      if options.trace { configuration.transport = Self.traced(configuration.transport, key: key?.secret) }
      let state = try StateWiring.resolve(argument: options.state, environment: options.environment, profile: nil)
      configuration.state = state.location
      configuration.openState = StateWiring.opener(environment: options.environment)
      var simulator = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
      simulator.now = { Int64((clock.now * 1000).rounded(.down)) }
      // The sandbox remembers its community between runs, like the real API: a re-run skips
      // those invited before, and reconcile has something to check against.
      simulator.communityFile = community
      simulator.acceptance = options.acceptance
      return Wiring(
        configuration: configuration,
        keySource: KeySource(key: key, baseURL: nil, origin: "sandbox", profile: "sandbox"),
        sandbox: simulator, stateSecret: state.password, environment: options.environment)
    }
    if options.acceptance != nil {
      throw UsageError("--accept-rate and --accept-after rehearse the funnel on the sandbox: add --sandbox")
    }
    let source: KeySource
    do {
      source = try Credentials.resolve(
        environment: options.environment, profile: options.profile, apiKeyFile: options.apiKeyFile)
    } catch {
      throw UsageError("\(error)")
    }
    let url: BaseURL
    do {
      url =
        try (options.baseURL ?? variables["NETWORKED_BASE_URL"] ?? source.baseURL).map { try BaseURL($0) }
        ?? .production
    } catch {
      throw UsageError("\(error)")
    }
    let hooks = TestHooks(variables, apiIsLocal: url.isLoopback)
    var configuration = NetworkedConfiguration(
      baseURL: url, key: source.key, keySource: source.origin, clock: hooks.clock ?? SystemClock())
    configuration.testHooks = hooks
    if options.trace { configuration.transport = Self.traced(configuration.transport, key: source.key?.secret) }
    let state = try StateWiring.resolve(
      argument: options.state, environment: options.environment, profile: source.state)
    configuration.state = state.location
    configuration.openState = StateWiring.opener(environment: options.environment)
    var wiring = Wiring(
      configuration: configuration, keySource: source, sandbox: nil, stateSecret: state.password,
      environment: options.environment)
    if !hooks.ignored.isEmpty {
      wiring.notices.append(
        "nwsh: ignoring \(hooks.ignored.joined(separator: " and ")): test hooks act on a local simulator only")
    }
    return wiring
  }

  /// Starts what the wiring needs running: the sandbox's simulator, whose address becomes the
  /// base URL. Nothing to do against a real API.
  mutating func start() throws {
    for notice in notices { FileHandle.standardError.write(Data((notice + "\n").utf8)) }
    notices = []
    guard let sandbox, simulator == nil else { return }
    let simulator = NetworkedSimulator(sandbox)
    do {
      try simulator.start()
    } catch {
      throw UsageError("cannot start the sandbox: \(error)")
    }
    self.simulator = simulator
    configuration.baseURL = try BaseURL(simulator.baseURL)
    keySource = KeySource(key: keySource.key, baseURL: simulator.baseURL, origin: "sandbox", profile: "sandbox")
  }

  /// Stops what ``start()`` started.
  func stop() { simulator?.shutdown() }

  static func traced(_ transport: any HTTPTransport, key: String?) -> any HTTPTransport {
    TracingTransport(transport, key: key) { text in FileHandle.standardError.write(Data(("nwsh trace " + text).utf8)) }
  }

  /// A session writing results to `output`, that never shows the key: `$ENV` and `env` see
  /// secret variables as `<redacted>`, and every diagnostic is scrubbed of the key in any form.
  func makeSession(output: OutputSink) -> Session {
    var environment = self.environment
    environment.variables = Secrets.publicEnvironment(environment.variables, secrets: secrets)
    let session = Session(output: output, environment: environment)
    guardSecrets(of: session)
    return session
  }

  /// Scrubs the key in use from everything `session` prints on stderr.
  func guardSecrets(of session: Session) {
    let redactor = Redactor(secrets: secrets)
    session.diagnostics = { text in StandardError.write(redactor.scrub(text) + "\n") }
  }

  /// Adds the API commands and `whoami` to `session`.
  func register(in session: Session) {
    Self.register(in: session, configuration: configuration, whoami: whoami)
  }

  /// Everything an nwsh session knows beyond the language: the API commands and `whoami`
  /// (which shows `whoami`). Help and the man page use it with a configuration that sends nothing.
  static func register(in session: Session, configuration: NetworkedConfiguration, whoami info: Value) {
    NetworkedCommands.register(in: session, configuration: configuration)
    session.register(
      CommandDefinition(
        CommandSignature(
          "whoami", summary: "The profile, the API's base URL and the key in use (masked), and where it came from."),
        role: .source
      ) { context in WhoamiSource(value: info, next: context.next) })
  }

  /// A session with every command registered, for describing them (`help`, the man page): its
  /// configuration has no key, so nothing it could run would reach the API.
  static func describingSession() -> Session {
    let session = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: HostEnvironment())
    register(
      in: session, configuration: NetworkedConfiguration(baseURL: .production, key: nil, progress: .silent),
      whoami: .null)
    return session
  }

  /// `{profile, baseURL, key, source}` with the key masked.
  var whoami: Value {
    .object(
      JSONObject([
        ("profile", .string(keySource.profile)), ("baseURL", .string(configuration.baseURL.string)),
        ("key", keySource.key.map { .string($0.masked) } ?? .null), ("source", .string(keySource.origin)),
      ]))
  }
}
