import Foundation
import Interactive
import JQ
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

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
  static func store(
    profile: String, baseURL: BaseURL, verify: Bool, clock: any PacingClock, environment: HostEnvironment
  ) throws -> APIKey {
    guard let text = SecretPrompt.read("API key for profile \(profile) at \(baseURL.host) (input hidden): "),
      let key = APIKey(text)
    else { throw UsageError("no key entered") }
    if verify {
      let configuration = NetworkedConfiguration(
        baseURL: baseURL, key: key, keySource: "login", clock: clock, progress: .silent)
      let session = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: environment)
      do {
        try NetworkedCommands.register(in: session, configuration: configuration).checkKey()
      } catch let error as NetworkedAPIError where error.code == .unauthorized || error.code == .forbidden {
        throw CommandFailure(
          status: .authentication, message: "the API refused the key (HTTP \(error.status ?? 401)): nothing was stored")
      } catch {
        throw UsageError("the API did not accept the key: \(error)")
      }
    }
    let credentials = Credentials(path: Credentials.defaultPath(environment: environment))
    try credentials.save(Credentials.Profile(baseURL: baseURL.string, key: key.secret), as: profile)
    FileHandle.standardError.write(
      Data("nwsh: saved profile \(profile) (\(baseURL.host), key \(key.masked)) in \(credentials.path)\n".utf8))
    return key
  }

  /// `login` typed in the shell: returns the new wiring, or nil after saying why not.
  static func interactive(profile: String, wiring: Wiring) -> Wiring? {
    if wiring.sandbox != nil {
      FileHandle.standardError.write(Data("nwsh: the sandbox needs no login (its key is the demo key)\n".utf8))
      return nil
    }
    do {
      let key = try store(
        profile: profile, baseURL: wiring.configuration.baseURL, verify: true, clock: wiring.configuration.clock,
        environment: wiring.environment)
      var updated = wiring
      updated.configuration.key = key
      updated.configuration.keySource = "profile \(profile)"
      updated.keySource = KeySource(
        key: key, baseURL: wiring.configuration.baseURL.string, origin: "profile \(profile)", profile: profile)
      return updated
    } catch {
      FileHandle.standardError.write(Data("nwsh: login: \(error)\n".utf8))
      return nil
    }
  }
}
