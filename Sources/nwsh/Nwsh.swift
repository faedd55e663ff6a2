import ArgumentParser
import NetworkedAPI

/// The `nwsh` command line. The logic lives in the libraries; this file only wires them.
@main
struct Nwsh: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nwsh",
    abstract: "A shell for running a Networked community from the command line.",
    version: NetworkedClient.version,
    subcommands: [Sandbox.self, SendInvites.self]
  )
}
