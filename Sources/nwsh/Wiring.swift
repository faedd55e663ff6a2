import ArgumentParser
import Foundation
import Interactive
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

/// Where the API commands go: the real API (key from a key file, `NETWORKED_API_KEY` or a
/// profile) or, with `--sandbox`, a simulator started in this process.
struct Wiring {
  var environment: NetworkedEnvironment
  var keySource: KeySource
  var simulator: NetworkedSimulator?

  /// `sandbox` or the API's host, for the prompt.
  var label: String { simulator != nil ? "sandbox" : environment.baseURL.host }

  static func configDirectory(_ variables: [String: String]) -> String {
    if let config = variables["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/nwsh" }
    return (variables["HOME"] ?? NSHomeDirectory()) + "/.config/nwsh"
  }

  static func make(_ options: ConnectionOptions) throws -> Wiring {
    let variables = ProcessInfo.processInfo.environment
    // Tests and benchmarks run hours of rate windows on a virtual or sped-up clock.
    let clock: any PacingClock = testClock(variables["NWSH_TEST_CLOCK"]) ?? SystemClock()
    if options.sandbox {
      if options.baseURL != nil { throw ValidationError("give either --sandbox or --base-url, not both") }
      var configuration = SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey)
      configuration.now = { Int64((clock.now * 1000).rounded(.down)) }
      // The sandbox remembers its community between runs, like the real API: a re-run skips
      // those invited before, and reconcile has something to check against.
      configuration.communityFile = Sandbox.communityFile(variables)
      let simulator = NetworkedSimulator(configuration)
      do {
        try simulator.start()
      } catch {
        throw ValidationError("cannot start the sandbox: \(error)")
      }
      let key = APIKey(NetworkedSimulator.demoKey)
      var environment = NetworkedEnvironment(
        baseURL: try BaseURL(simulator.baseURL), key: key, keySource: "sandbox", clock: clock)
      environment.scopeName = Sandbox.scopeName
      if options.trace { environment.transport = Self.traced(environment.transport, key: key?.secret) }
      return Wiring(
        environment: environment,
        keySource: KeySource(key: key, baseURL: simulator.baseURL, origin: "sandbox", profile: "sandbox"),
        simulator: simulator)
    }
    let source: KeySource
    do {
      source = try Credentials.resolve(environment: variables, profile: options.profile, apiKeyFile: options.apiKeyFile)
    } catch {
      throw ValidationError("\(error)")
    }
    let url: BaseURL
    do {
      url =
        try (options.baseURL ?? variables["NETWORKED_BASE_URL"] ?? source.baseURL).map { try BaseURL($0) }
        ?? .production
    } catch {
      throw ValidationError("\(error)")
    }
    var environment = NetworkedEnvironment(baseURL: url, key: source.key, keySource: source.origin, clock: clock)
    if options.trace { environment.transport = Self.traced(environment.transport, key: source.key?.secret) }
    return Wiring(environment: environment, keySource: source, simulator: nil)
  }

  static func traced(_ transport: any HTTPTransport, key: String?) -> any HTTPTransport {
    TracingTransport(transport, key: key) { text in FileHandle.standardError.write(Data(("nwsh trace " + text).utf8)) }
  }

  /// A session writing results to `output`, that never shows the key: `$ENV` and `env` see
  /// secret variables as `<redacted>`, and every diagnostic is scrubbed of the key in any form.
  func makeSession(output: OutputSink) -> Session {
    let secrets = keySource.key.map { [$0.secret] } ?? []
    let session = Session(
      output: output, environment: Secrets.publicEnvironment(ProcessInfo.processInfo.environment, secrets: secrets))
    guardSecrets(of: session)
    return session
  }

  /// Scrubs the key in use from everything `session` prints on stderr.
  func guardSecrets(of session: Session) {
    let redactor = Redactor(secrets: keySource.key.map { [$0.secret] } ?? [])
    session.diagnostics = { text in FileHandle.standardError.write(Data((redactor.scrub(text) + "\n").utf8)) }
  }

  /// Adds the API commands and `whoami` to `session`.
  func register(in session: Session) {
    NetworkedCommands.register(in: session, environment: environment)
    let info = whoami
    session.register(
      CommandDefinition(
        CommandSignature(
          "whoami", summary: "The profile, the API's base URL and the key in use (masked), and where it came from."),
        role: .source
      ) { context in WhoamiSource(value: info, next: context.next) })
  }

  /// `{profile, baseURL, key, source}` with the key masked.
  var whoami: Value {
    .object(
      JSONObject([
        ("profile", .string(keySource.profile)), ("baseURL", .string(environment.baseURL.string)),
        ("key", keySource.key.map { .string($0.masked) } ?? .null), ("source", .string(keySource.origin)),
      ]))
  }
}

/// Emits one row.
final class WhoamiSource: SourceStage {
  let value: Value
  let next: any Stage
  init(value: Value, next: any Stage) {
    self.value = value
    self.next = next
  }
  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }
  func run() throws {
    try next.push(.row(Row(value: value, number: 1, origin: Origin(source: "whoami", line: 0))))
    try next.finish()
  }
}

/// Storing a key: `nwsh login` and `login` in the shell.
enum Login {
  /// Reads a key without echo, checks it against the API (one paced GET) unless told not to,
  /// and stores it with `baseURL` as `profile`. Returns a message or throws.
  static func store(profile: String, baseURL: BaseURL, verify: Bool, clock: any PacingClock) throws -> APIKey {
    guard let text = SecretPrompt.read("API key for profile \(profile) at \(baseURL.host) (input hidden): "),
      let key = APIKey(text)
    else { throw ValidationError("no key entered") }
    if verify {
      let environment = NetworkedEnvironment(
        baseURL: baseURL, key: key, keySource: "login", clock: clock, progress: .silent)
      let session = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: [:])
      NetworkedCommands.register(in: session, environment: environment)
      let errors = Captured()
      session.diagnostics = { errors.append($0) }
      let status = session.run("roles | count", name: "<login>")
      guard status == .success else {
        throw ValidationError(
          "the API did not accept the key: \(errors.text.trimmingCharacters(in: .whitespacesAndNewlines))")
      }
    }
    let credentials = Credentials(path: Credentials.defaultPath(environment: ProcessInfo.processInfo.environment))
    try credentials.save(Credentials.Profile(baseURL: baseURL.string, key: key.secret), as: profile)
    FileHandle.standardError.write(
      Data("nwsh: saved profile \(profile) (\(baseURL.host), key \(key.masked)) in \(credentials.path)\n".utf8))
    return key
  }

  /// `login` typed in the shell: returns the new wiring, or nil after saying why not.
  static func interactive(profile: String, wiring: Wiring) -> Wiring? {
    if wiring.simulator != nil {
      FileHandle.standardError.write(Data("nwsh: the sandbox needs no login (its key is the demo key)\n".utf8))
      return nil
    }
    do {
      let key = try store(
        profile: profile, baseURL: wiring.environment.baseURL, verify: true, clock: wiring.environment.clock)
      var updated = wiring
      updated.environment.key = key
      updated.environment.keySource = "profile \(profile)"
      updated.keySource = KeySource(
        key: key, baseURL: wiring.environment.baseURL.string, origin: "profile \(profile)", profile: profile)
      return updated
    } catch {
      FileHandle.standardError.write(Data("nwsh: login: \(error)\n".utf8))
      return nil
    }
  }
}

/// Collects diagnostics text.
final class Captured: @unchecked Sendable {
  private let lock = NSLock()
  private var value = ""
  func append(_ text: String) {
    lock.lock()
    value += text + "\n"
    lock.unlock()
  }
  var text: String {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
}

/// `nwsh login`: stores a key for a profile (read without echo; from stdin when piped).
struct LoginCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "login",
    abstract: "Store an API key for a profile (read without echo; 0600 under ~/.config/nwsh).",
    discussion: "printf %s \"$KEY\" | nwsh login --profile work   (from a pipe, without a prompt)")

  @Option(help: "The profile to store (default: $NWSH_PROFILE, else default).")
  var profile: String?

  @Option(help: "The API's base URL for this profile (default: https://backend.networked.co).")
  var baseURL: String?

  @Flag(help: "Store the key without checking it against the API.")
  var noVerify = false

  func run() throws {
    let variables = ProcessInfo.processInfo.environment
    let url: BaseURL
    do {
      url = try (baseURL ?? variables["NETWORKED_BASE_URL"]).map { try BaseURL($0) } ?? .production
    } catch {
      throw ValidationError("\(error)")
    }
    let clock: any PacingClock = testClock(variables["NWSH_TEST_CLOCK"]) ?? SystemClock()
    _ = try Login.store(
      profile: profile ?? variables["NWSH_PROFILE"] ?? "default", baseURL: url, verify: !noVerify, clock: clock)
  }
}

/// `nwsh whoami`: the profile, base URL, masked key and where the key came from.
struct WhoamiCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whoami", abstract: "Show the profile, the API's base URL and the key in use (masked).")

  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    let wiring = try Wiring.make(connection)
    defer { wiring.simulator?.shutdown() }
    print(JSONWriter.compact(wiring.whoami))
    if wiring.keySource.key == nil { throw ExitCode(ExitStatus.authentication.rawValue) }
  }
}

/// `nwsh journal` and `nwsh reconcile`: the shell commands of the same names, from the command line.
struct JournalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "journal", abstract: "List what invite and add did with this key, as JSON lines (see `help journal`).")

  @OptionGroup var connection: ConnectionOptions
  @Option(name: .customLong("run"), help: "Only this run.") var runID: String?
  @Option(help: "Only entries in this state.") var status: String?
  @Flag(help: "One line per run with its counts.") var runs = false

  func run() throws {
    var statement = "journal"
    if let runID { statement += " --run \(runID)" }
    if let status { statement += " --status \(status)" }
    if runs { statement += " --runs" }
    throw ExitCode(try runStatement(statement, connection).rawValue)
  }
}

struct ReconcileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile", abstract: "Settle invitees left in doubt by an earlier run (see `help reconcile`).")

  @OptionGroup var connection: ConnectionOptions
  @Flag(help: "List what would be checked; send nothing.") var dryRun = false

  func run() throws {
    throw ExitCode(try runStatement(dryRun ? "reconcile --dry-run" : "reconcile", connection).rawValue)
  }
}

/// Runs one statement in a fresh session wired for `options`.
func runStatement(_ statement: String, _ options: ConnectionOptions) throws -> ExitStatus {
  let wiring = try Wiring.make(options)
  defer { wiring.simulator?.shutdown() }
  let session = wiring.makeSession(output: OutputSink(fileDescriptor: 1))
  wiring.register(in: session)
  return withInterruptHandling(session) { session.run(statement, name: "<command line>") }
}
