import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// The `nwsh` executable: reads the command line (``Invocation``) and hands it to the
/// subcommand. The logic lives in the libraries; this target reads options and wires them.
///
/// `main` is synchronous on purpose: a run's stages execute on their own thread
/// (`onEvaluationThread`, from the JQ library) while the main thread waits for it, so no thread of
/// Swift's cooperative pool is ever blocked for the length of a run.
@main
enum Main {
  static func main() {
    // A parent may have blocked SIGINT and SIGTERM (a test runner, a job control quirk); the
    // shell's Ctrl-C must work whatever it inherited. Threads made from here on inherit this.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    // A reader that goes away (`| head`) is an EPIPE to handle, not a death mid-run.
    signal(SIGPIPE, SIG_IGN)
    let status = run(Array(CommandLine.arguments.dropFirst()), in: .current())
    exit(status)
  }

  /// Runs one command line; returns the exit status.
  static func run(_ arguments: [String], in environment: HostEnvironment) -> Int32 {
    do {
      let invocation = try Invocation.read(arguments, environment: environment)
      if invocation.options.has(.generateManual) { return emit(ManualPage.render()) }
      if let shell = invocation.options.value(.generateCompletionScript) {
        guard let script = Completion.script(for: shell) else {
          throw UsageError("--generate-completion-script takes one of bash, zsh, fish (got \(shell))")
        }
        return emit(script)
      }
      if let index = invocation.options.value(.complete) {
        // Shell completion: the candidates for word INDEX of the words after it.
        let candidates = Completion.candidates([index] + invocation.words.map(\.text), environment: environment)
        return emit(candidates.map { $0 + "\n" }.joined())
      }
      if invocation.options.has(.version) {
        print(NetworkedClient.version)
        return 0
      }
      if invocation.options.has(.help) {
        print(HelpText.subcommand(invocation.subcommand), terminator: "")
        return 0
      }
      switch invocation.subcommand {
      case .run: return try RunRequest(invocation).execute()
      case .help: return try HelpCommand.run(invocation.words.map(\.text))
      case .sandbox: return try SandboxCommand.run(invocation)
      case .login: return try LoginCommand.run(invocation)
      case .whoami: return try WhoamiCommand.run(invocation)
      case .journal: return try JournalCommand.run(invocation)
      case .reconcile: return try ReconcileCommand.run(invocation)
      case .report: return try ReportCommand.run(invocation)
      case .pending:
        return try runAsShellCommand("pending", invocation, flags: [.olderThan], switches: [])
      case .funnel:
        try invocation.noWords()
        let table = invocation.environment.terminals.output || invocation.options.has(.table) ? ["table"] : []
        return try runCommand(CommandCall("funnel", switches: table), invocation.connectionOptions()).rawValue
      case .state: return try StateCommand.run(invocation)
      }
    } catch let error as UsageError {
      return report(error, in: environment)
    } catch let failure as CommandFailure {
      say("nwsh: \(failure.message)\n", in: environment)
      return failure.status.rawValue
    } catch {
      say("nwsh: \(error)\n", in: environment)
      return 1
    }
  }

  /// Writes `text` to standard output for a packager or a completion script: 0, or 74 with a
  /// message when it could not be written (a full disk must not leave an empty man page behind
  /// a success).
  static func emit(_ text: String) -> Int32 {
    do {
      try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
      return 0
    } catch {
      FileHandle.standardError.write(Data("nwsh: cannot write the output: \(error.localizedDescription)\n".utf8))
      return ExitStatus.outputFailed.rawValue
    }
  }

  /// Prints a usage error; exit 64.
  static func report(_ error: UsageError, in environment: HostEnvironment = HostEnvironment()) -> Int32 {
    say("nwsh: \(error)\nSee nwsh --help.\n", in: environment)
    return ExitStatus.usage.rawValue
  }

  /// Writes `text` to standard error without the secrets `environment` holds: a message that
  /// echoes what the user typed (a URL, a value) may hold one by accident (`lease=` followed by
  /// the database's password).
  static func say(_ text: String, in environment: HostEnvironment) {
    let secrets = ["NETWORKED_API_KEY", "PGPASSWORD"].compactMap { environment.variable($0) }.filter { !$0.isEmpty }
    FileHandle.standardError.write(Data(Redactor(secrets: secrets).scrub(text).utf8))
  }
}

/// `nwsh help [NAME]`: the program's help, a subcommand's, or the shell's `help NAME` for a
/// pipeline command or a function; an unknown name is an error naming the nearest.
enum HelpCommand {
  static func run(_ names: [String]) throws(UsageError) -> Int32 {
    guard let name = names.first else {
      print(
        HelpText.top + "\nPIPELINE COMMANDS (nwsh help NAME for more)\n" + Wiring.describingSession().commandListing)
      return 0
    }
    guard names.count == 1 else { throw UsageError("help takes one name (got \(names.joined(separator: " ")))") }
    if let command = Subcommand(rawValue: name) {
      print(HelpText.subcommand(command), terminator: "")
      return 0
    }
    let session = Wiring.describingSession()
    if let text = session.helpText(for: name) {
      print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
      return 0
    }
    let known = session.helpNames + Subcommand.allCases.map(\.rawValue)
    let nearest = Diagnostic.suggestion(for: name, among: known)
    throw UsageError(
      "no command, function or subcommand named \(name)" + (nearest.map { " (did you mean \($0)?)" } ?? ""),
      hint: "nwsh -c help lists the pipeline commands; nwsh -c builtins lists jq's functions")
  }
}

/// A command that failed with an exit status of its own (a refused key: 77) and a message.
struct CommandFailure: Error {
  var status: ExitStatus
  var message: String
}
