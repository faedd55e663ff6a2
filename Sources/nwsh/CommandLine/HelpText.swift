import Foundation
import NetworkedAPI

/// `nwsh --help`, `nwsh COMMAND --help` and `nwsh help COMMAND`: from the option table.
enum HelpText {
  /// What the program is, in one line.
  static let abstract = "A shell for running a Networked community from the command line."

  /// The usual ways in, one per line (the man page's synopsis too).
  static let synopsis = [
    ("nwsh", "the interactive shell (on a terminal)"),
    ("nwsh -c 'PROGRAM' [FILE...]", "run a program; the files (else stdin) are data for read"),
    ("nwsh -f PROGRAM.jq [FILE...]", "the same, the program from a file (jq's -f)"),
    ("nwsh SCRIPT.nw [ARGS]", "run a script ($ARGS.positional)"),
    ("nwsh --sandbox ...", "against a built-in simulator of the API"),
    ("nwsh COMMAND ...", "sandbox, login, whoami, journal, reconcile, report, pending, funnel, state check"),
    ("nwsh help NAME", "help for a pipeline command, a function or a subcommand"),
  ]

  /// The option groups of the default command, as help shows them.
  static let runGroups: [(title: String, options: [Option])] = [
    ("Running a program", [.program, .strict, .dryRun, .color, .norc, .noPager]),
    (
      "Where the API is, which key, where the state lives (also for whoami, journal, reconcile, state)",
      [.sandbox, .baseURL, .profile, .apiKeyFile, .trace, .state]
    ),
    (
      "jq's options, as in jq (for read's input, and for the output)",
      [
        .nullInput, .rawInput, .slurp, .stream, .fromFile, .arg, .argjson, .rawfile, .slurpfile, .args, .jsonargs,
        .rawOutput, .joinOutput, .rawOutput0, .exitStatus, .sortKeys, .colorOutput, .monochrome, .asciiOutput,
        .compactOutput, .tab, .indent, .seq,
      ]
    ),
    ("", [.help, .version]),
    (
      "For packagers and the completion scripts (each alone on the command line)",
      [.generateManual, .generateCompletionScript, .complete]
    ),
  ]

  /// `nwsh --help`.
  static var top: String {
    var text = "nwsh \(NetworkedClient.version): \(abstract)\n\nUSAGE\n"
    let width = synopsis.map(\.0.count).max()!
    for (form, meaning) in synopsis {
      text += "  " + form.padding(toLength: width + 2, withPad: " ", startingAt: 0) + meaning + "\n"
    }
    text += "\nAn option means the same wherever it stands before --; everything after -- is an argument.\n"
    for group in runGroups {
      text += "\n" + (group.title.isEmpty ? "" : group.title.uppercased() + "\n") + options(group.options)
    }
    text += "\nSUBCOMMANDS\n"
    for command in Subcommand.allCases where command != .run {
      text += "  " + command.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + command.abstract + "\n"
    }
    text += "\nnwsh COMMAND --help shows a subcommand's options; `help` in the shell lists the pipeline commands.\n"
    return text
  }

  /// `nwsh COMMAND --help`.
  static func subcommand(_ command: Subcommand) -> String {
    if command == .run { return top }
    let usage =
      switch command {
      case .state: "nwsh state check [OPTIONS]"
      case .help: "nwsh help NAME"
      default: "nwsh \(command.rawValue) [OPTIONS]"
      }
    var text = "\(command.abstract)\n\nUSAGE: \(usage)\n\nOPTIONS\n"
    text += options(Option.allCases.filter { $0.subcommands.contains(command) && $0 != .version })
    if let discussion = command.discussion { text += "\n" + discussion + "\n" }
    return text
  }

  /// One aligned line (or two, for a long label) per option.
  static func options(_ options: [Option]) -> String {
    let indent = String(repeating: " ", count: 30)
    return options.map { option in
      let label = option.label
      let help = wrap(option.help, width: 70).joined(separator: "\n" + indent)
      return label.count < 26
        ? "  " + label.padding(toLength: 28, withPad: " ", startingAt: 0) + help + "\n"
        : "  \(label)\n" + indent + help + "\n"
    }.joined()
  }

  /// `text` in lines of at most `width` characters, broken at spaces.
  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if !line.isEmpty && line.count + 1 + word.count > width {
        lines.append(line)
        line = ""
      }
      line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
  }
}
