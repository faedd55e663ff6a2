import ArgumentParser
import NetworkedAPI
import ShellCore

/// The `nwsh` command line. The logic lives in the libraries; this file only wires them.
@main
struct Nwsh: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nwsh",
    abstract: "A shell for running a Networked community from the command line.",
    version: NetworkedClient.version,
    subcommands: [Run.self, Sandbox.self, LoginCommand.self, WhoamiCommand.self, JournalCommand.self, ReconcileCommand.self],
    defaultSubcommand: Run.self
  )
}
