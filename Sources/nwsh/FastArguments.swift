/// The command lines nwsh is mostly started with — `nwsh -c PROGRAM`, `nwsh SCRIPT [ARGS…]`,
/// `nwsh` alone, with the run options — read without the argument parser.
///
/// The argument parser finds its commands and options by reflection and protocol-conformance
/// lookups, about half of the instructions a `nwsh -c 1` ran (the dynamic loader was the other
/// half). This reader knows the run options only, and hands anything else — a subcommand,
/// `--help`, a completion request, an unknown or repeated option, `-c` with a script — to the
/// argument parser, so every message and every less common form stays the parser's.
enum FastArguments {
  /// The request `arguments` make, or nil when the argument parser should read them.
  static func request(_ arguments: [String]) -> RunRequest? {
    var request = RunRequest()
    var seen: Set<String> = []
    var index = 0
    func value(inline: String?) -> String? {
      if let inline { return inline }
      index += 1
      return index < arguments.count ? arguments[index] : nil
    }
    while index < arguments.count {
      let argument = arguments[index]
      if !argument.hasPrefix("-") || argument == "-" {
        // The script, then its arguments as they are.
        guard request.program == nil, !subcommands.contains(argument) else { return nil }
        request.script = argument
        request.arguments = Array(arguments[(index + 1)...])
        return request
      }
      let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
      let name = parts[0]
      let inline = parts.count == 2 ? parts[1] : nil
      guard seen.insert(name).inserted else { return nil }
      switch name {
      case "-c":
        guard inline == nil, let program = value(inline: nil), !program.hasPrefix("-") else { return nil }
        request.program = program
      case "--strict", "--dry-run", "--sandbox", "--trace", "--norc":
        guard inline == nil else { return nil }
        switch name {
        case "--strict": request.strict = true
        case "--dry-run": request.dryRun = true
        case "--sandbox": request.connection.sandbox = true
        case "--trace": request.connection.trace = true
        default: request.norc = true
        }
      case "--color":
        guard let text = value(inline: inline), let choice = Run.ColorChoice(rawValue: text) else {
          return nil
        }
        request.color = choice
      case "--base-url", "--profile", "--api-key-file", "--state":
        guard let text = value(inline: inline), !text.hasPrefix("-") else { return nil }
        switch name {
        case "--base-url": request.connection.baseURL = text
        case "--profile": request.connection.profile = text
        case "--state": request.connection.state = text
        default: request.connection.apiKeyFile = text
        }
      default:
        return nil
      }
      index += 1
    }
    return request
  }

  /// Words that name a subcommand rather than a script.
  static let subcommands: Set<String> = ["run", "sandbox", "login", "whoami", "journal", "reconcile", "state", "help"]
}
