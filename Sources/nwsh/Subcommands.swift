import Foundation
import Interactive
import JQ
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import ShellCore

/// `nwsh login`: stores a key for a profile (read without echo; from stdin when piped).
enum LoginCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    try invocation.noWords()
    let options = invocation.options
    let variables = invocation.environment.variables
    let url: BaseURL
    do {
      url = try (options.value(.baseURL) ?? variables["NETWORKED_BASE_URL"]).map { try BaseURL($0) } ?? .production
    } catch {
      throw UsageError("\(error)")
    }
    let hooks = TestHooks(variables, apiIsLocal: url.isLoopback)
    _ = try Login.store(
      profile: try Credentials.profileName(option: options.value(.profile), environment: invocation.environment),
      baseURL: url, verify: !options.has(.noVerify), clock: hooks.clock ?? SystemClock(),
      environment: invocation.environment)
    return 0
  }
}

/// `nwsh whoami`: the profile, base URL, masked key and where the key came from.
enum WhoamiCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    try invocation.noWords()
    var wiring = try Wiring.make(try invocation.connectionOptions())
    try wiring.start()
    defer { wiring.stop() }
    print(JSONWriter.compact(wiring.whoami))
    return wiring.keySource.key == nil ? ExitStatus.authentication.rawValue : 0
  }
}

/// `nwsh journal`: the shell command of the same name, from the command line.
enum JournalCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    try runAsShellCommand("journal", invocation, flags: [.run, .status], switches: [.runs, .results])
  }
}

/// `nwsh reconcile`: the shell command of the same name, from the command line.
enum ReconcileCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    try runAsShellCommand("reconcile", invocation, flags: [.passwords], switches: [.dryRun, .again])
  }
}

/// `nwsh report [FILE…] [--run ID] [--funnel]`: the `report` (or `funnel`) command, as aligned
/// tables on a terminal and one JSON object in a pipe; with no file, run or funnel, the results
/// come from standard input.
enum ReportCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    let options = invocation.options
    let table = invocation.environment.terminals.output || options.has(.table) ? ["table"] : []
    let files = invocation.words.map(\.text)
    if options.has(.funnel) {
      try invocation.noWords()
      if options.value(.run) != nil { throw UsageError("give either --funnel or --run, not both") }
      return try runCommand(CommandCall("funnel", switches: table), try invocation.connectionOptions()).rawValue
    }
    var flags: [String: String] = [:]
    flags["run"] = options.value(.run)
    if files.isEmpty && flags.isEmpty {
      // Result lines on standard input: `nwsh -c '…' | nwsh report`.
      return try runProgram("read | report" + (table.isEmpty ? "" : " --table"), try invocation.connectionOptions())
        .rawValue
    }
    return try runCommand(
      CommandCall("report", words: files, flags: flags, switches: table), try invocation.connectionOptions()
    )
    .rawValue
  }
}

/// Runs the shell command `name` with the options in `flags` (with their values) and `switches`
/// that were given, under the same names without their dashes (`--run ID` is `journal --run ID`).
func runAsShellCommand(_ name: String, _ invocation: Invocation, flags: [Option], switches: [Option]) throws
  -> Int32
{
  try invocation.noWords()
  let options = invocation.options
  func word(_ option: Option) -> String { String(option.rawValue.drop { $0 == "-" }) }
  var values: [String: String] = [:]
  for option in flags { values[word(option)] = options.value(option) }
  let given = switches.filter { options.has($0) }.map(word)
  let call = CommandCall(name, flags: values, switches: given)
  return try runCommand(call, try invocation.connectionOptions()).rawValue
}

/// Runs one command in a fresh session wired for `options`, through the library's API (its
/// values are never turned into program text).
func runCommand(_ call: CommandCall, _ options: ConnectionOptions) throws -> ExitStatus {
  try withSession(options) { session in session.run(call) }
}

/// Runs `program`, a fixed text of nwsh's own, in a fresh session wired for `options`.
func runProgram(_ program: String, _ options: ConnectionOptions) throws -> ExitStatus {
  try withSession(options) { session in session.run(program, name: "<nwsh>") }
}

private func withSession(_ options: ConnectionOptions, _ body: (Session) -> ExitStatus) throws -> ExitStatus {
  var wiring = try Wiring.make(options)
  try wiring.start()
  defer { wiring.stop() }
  let session = wiring.makeSession(output: OutputSink(fileDescriptor: 1))
  wiring.register(in: session)
  return withInterruptHandling(session) { body(session) }
}

extension Invocation {
  /// Refuses words a subcommand does not take.
  func noWords() throws(UsageError) {
    if let word = words.first {
      throw UsageError(
        "nwsh \(subcommand.rawValue) takes no argument \(word.text)", hint: "nwsh \(subcommand.rawValue) --help")
    }
  }
}
