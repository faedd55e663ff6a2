import ArgumentParser
import Foundation
import Interactive
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

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
    let wiring = try Wiring.make(connection.settings)
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
    var flags: [String: String] = [:]
    flags["run"] = runID
    flags["status"] = status
    let call = CommandCall("journal", flags: flags, switches: runs ? ["runs"] : [])
    throw ExitCode(try runCommand(call, connection).rawValue)
  }
}

struct ReconcileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile", abstract: "Settle invitees left in doubt by an earlier run (see `help reconcile`).")

  @OptionGroup var connection: ConnectionOptions
  @Flag(help: "List what would be checked; send nothing.") var dryRun = false
  @Option(help: "A file of {email, password} rows for direct adds that were sent with a password.")
  var passwords: String?

  func run() throws {
    var flags: [String: String] = [:]
    flags["passwords"] = passwords
    let call = CommandCall("reconcile", flags: flags, switches: dryRun ? ["dry-run"] : [])
    throw ExitCode(try runCommand(call, connection).rawValue)
  }
}

/// Runs one command in a fresh session wired for `options`, through the library's API (its
/// values are never turned into program text).
func runCommand(_ call: CommandCall, _ options: ConnectionOptions) throws -> ExitStatus {
  let wiring = try Wiring.make(options.settings)
  defer { wiring.simulator?.shutdown() }
  let session = wiring.makeSession(output: OutputSink(fileDescriptor: 1))
  wiring.register(in: session)
  return withInterruptHandling(session) { session.run(call) }
}
