import ArgumentParser
import Foundation
import NetworkedAPI
import NetworkedCommands
import ShellCore

/// The `nwsh` command line. The logic lives in the libraries; this file only wires them.
struct Nwsh: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nwsh",
    abstract: "A shell for running a Networked community from the command line.",
    discussion: """
      nwsh                            the interactive shell (on a terminal)
      nwsh -c 'PROGRAM' [ARGS]        run a program; stdin is data for read
      nwsh SCRIPT.nw [ARGS]           run a script ($ARGS.positional)
      nwsh --sandbox ...              against a built-in simulator of the API
      nwsh help NAME                  help for a command or a function

      jq's options work as in jq, anywhere before --:
        --arg NAME VALUE, --argjson NAME JSON, --rawfile NAME FILE,
        --slurpfile NAME FILE, --args / --jsonargs (the rest are
        $ARGS.positional), -r / --raw-output, -j / --join-output.
      """,
    version: NetworkedClient.version,
    subcommands: [
      Run.self, Sandbox.self, LoginCommand.self, WhoamiCommand.self, JournalCommand.self, ReconcileCommand.self,
      StateCommand.self,
    ],
    defaultSubcommand: Run.self
  )
}

@main
enum Main {
  static func main() async {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.count == 2, arguments[0] == "help", let text = HelpCommand.text(for: arguments[1]) {
      print(text)
      exit(0)
    }
    if arguments == ["--generate-manual"] {
      print(ManualPage.render(), terminator: "")
      exit(0)
    }
    if arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
      // The default subcommand's options (-c, --sandbox…) are what people look for first.
      print(Nwsh.helpMessage(for: Nwsh.self))
      let run = Run.helpMessage(for: Run.self)
      print(
        run[(run.range(of: "USAGE:")?.lowerBound ?? run.startIndex)...].replacingOccurrences(
          of: "USAGE: run ", with: "USAGE: nwsh [run] "))
      exit(0)
    }
    do {
      JQArguments.current = try JQArguments.extract(arguments)
    } catch {
      FileHandle.standardError.write(Data("nwsh: \(error)\n".utf8))
      exit(ExitStatus.usage.rawValue)
    }
    if let request = FastArguments.request(JQArguments.current.remaining) {
      // Off the main thread, where the argument parser would run it too: the main thread
      // stays free to drain the main queue.
      exit(await request.executeOffMainThread())
    }
    await Nwsh.main(JQArguments.current.remaining)
  }
}

/// `nwsh help NAME`: the shell's own `help NAME`, for a command or a function.
enum HelpCommand {
  static func text(for name: String) -> String? {
    Wiring.describingSession().helpText(for: name)
  }
}
