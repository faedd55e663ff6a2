import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What nwsh reads from the process it runs in: its environment variables, working directory,
/// home directory and which of its standard streams are terminals.
///
/// Read once, where the program starts (``current()``: the only place nwsh reads environment
/// variables), and passed down to whatever needs a part of it; tests and embedders pass a world
/// of their own. (Whether a descriptor is a terminal is still asked where it is about to be
/// written to: the progress line, the pager's screen size.)
public struct HostEnvironment: Sendable {
  /// The environment variables.
  public var variables: [String: String]
  /// The working directory: where relative paths start.
  public var workingDirectory: String
  /// Whether standard input, output and error are terminals.
  public var terminals: (input: Bool, output: Bool, error: Bool)
  /// The home directory: `$HOME` when it is an absolute path, else the user's (``current()``
  /// asks the system); nil when there is none.
  public var home: String?

  /// An environment of the given parts (nothing is read from the process).
  public init(
    variables: [String: String] = [:], workingDirectory: String = "/",
    terminals: (input: Bool, output: Bool, error: Bool) = (false, false, false), home: String? = nil
  ) {
    self.home = home ?? variables["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
    self.variables = variables
    self.workingDirectory = workingDirectory
    self.terminals = terminals
  }

  /// The process's own: its variables, working directory and terminals, as they are now.
  public static func current() -> HostEnvironment {
    let variables = ProcessInfo.processInfo.environment
    return HostEnvironment(
      variables: variables, workingDirectory: FileManager.default.currentDirectoryPath,
      terminals: (isatty(0) == 1, isatty(1) == 1, isatty(2) == 1),
      home: variables["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory())
  }

  /// The variable `name`, if set.
  public func variable(_ name: String) -> String? { variables[name] }

  /// `path` with a leading `~/` made the home directory's.
  public func expandingTilde(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/"), let home else { return path }
    return home + path.dropFirst()
  }

  /// nwsh's state directory: `$XDG_STATE_HOME/nwsh`, else `~/.local/state/nwsh`; nil without
  /// either.
  public var stateDirectory: String? {
    if let state = variables["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/nwsh" }
    return home.map { $0 + "/.local/state/nwsh" }
  }

  /// nwsh's configuration directory: `$XDG_CONFIG_HOME/nwsh`, else `~/.config/nwsh`.
  public var configDirectory: String {
    if let config = variables["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/nwsh" }
    return (home ?? "") + "/.config/nwsh"
  }
}
