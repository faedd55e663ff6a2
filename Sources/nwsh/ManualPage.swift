import ArgumentParser
import Foundation
import NetworkedAPI
import NetworkedCommands
import ShellCore

/// `nwsh --generate-manual`: the man page `nwsh.1`, in roff, generated from what the program
/// itself declares, so it never drifts: the command line from the argument parser's own
/// description of its commands and options, the pipeline commands from their signatures, the
/// exit statuses from ``ExitStatus``.
enum ManualPage {
  static func render() -> String {
    var page = Roff()
    page.line(".TH NWSH 1 \"\" \"nwsh \(Roff.escape(NetworkedClient.version))\" \"User Commands\"")
    page.section("NAME")
    page.line("nwsh \\- " + Roff.escape(Nwsh.configuration.abstract))

    let tool = commandInfo()
    page.section("SYNOPSIS")
    for line in Nwsh.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
      .prefix(while: { !$0.isEmpty })
    {
      page.line(".br")
      page.text(String(line.trimmingCharacters(in: .whitespaces)))
    }

    page.section("DESCRIPTION")
    page.text(
      """
      nwsh brings people into a Networked community from event exports, CRMs and spreadsheets: it \
      reads JSON lines, JSON or CSV, reshapes rows with jq expressions, calls the Networked API \
      within its rate limits, and writes one JSON result per input row. It never sends an \
      invitation twice: each person is claimed in a journal before a request can carry them.
      """)

    page.section("OPTIONS")
    // The default subcommand's options are the program's; the root adds --version and --help.
    let run = tool.subcommands.first { $0.name == "run" }?.arguments ?? []
    page.options(run + tool.arguments.filter { root in !run.contains { Roff.label($0) == Roff.label(root) } })
    page.line(".PP")
    page.text(
      """
      jq's options work as in jq, anywhere before --: --arg NAME VALUE, --argjson NAME JSON, \
      --rawfile NAME FILE, --slurpfile NAME FILE, --args and --jsonargs (the remaining \
      arguments are $ARGS.positional), -r (--raw-output), -j (--join-output).
      """)

    page.section("SUBCOMMANDS")
    for command in tool.subcommands where command.name != "run" {
      page.line(".SS \(Roff.escape("nwsh " + command.name))")
      page.text(command.abstract)
      page.options(command.arguments.filter { !["--version", "-h, --help"].contains(Roff.label($0)) })
    }

    page.section("PIPELINE COMMANDS")
    page.text(
      """
      A program is stages joined by |; a stage is one of these commands or a jq expression. \
      help NAME (or nwsh help NAME) shows one command, function or jq builtin with examples.
      """)
    let session = Wiring.describingSession()
    for name in session.commandNames {
      guard let signature = session.command(named: name)?.signature else { continue }
      page.line(".TP")
      page.line(".B " + Roff.escape(signature.usage))
      page.text(signature.summary)
      for flag in signature.flags {
        page.line(".RS")
        page.line(".TP")
        page.line(".B " + Roff.escape("--" + flag.name))
        page.text(flag.summary)
        page.line(".RE")
      }
    }

    page.section("EXIT STATUS")
    for status in ExitStatus.allCases {
      page.line(".TP")
      page.line(".B \(status.rawValue)")
      page.text(status.meaning)
    }

    page.section("ENVIRONMENT")
    for (name, meaning) in [
      ("NETWORKED_API_KEY", "the API key (never shown to programs)"),
      ("NETWORKED_BASE_URL", "the API's base URL"), ("NWSH_PROFILE", "the profile stored by nwsh login"),
      ("XDG_STATE_HOME", "where the journal, the history and the sandbox live"),
      (
        "NWSH_STATE",
        "where the rate budget and the journal live: a SQLite file or a postgres:// URL (may hold its password)"
      ),
      ("PGPASSWORD", "the PostgreSQL password when the state URL has none"),
      ("XDG_CONFIG_HOME", "where credentials and init.nw live"), ("NO_COLOR", "no colours on a terminal"),
    ] {
      page.line(".TP")
      page.line(".B " + name)
      page.text(meaning)
    }

    page.section("FILES")
    for (path, meaning) in [
      (
        "$XDG_STATE_HOME/nwsh/state.sqlite",
        "the journal and the request log (0600), unless --state names another place"
      ),
      ("$XDG_STATE_HOME/nwsh/history", "the shell's history, never a secret (0600)"),
      ("$XDG_CONFIG_HOME/nwsh/credentials", "profiles written by login (0600)"),
      ("$XDG_CONFIG_HOME/nwsh/init.nw", "the shell's startup file (read only)"),
    ] {
      page.line(".TP")
      page.line(".I " + Roff.escape(path))
      page.text(meaning)
    }

    page.section("SEE ALSO")
    page.text("jq(1). The README and docs/architecture.md in nwsh's source.")
    return page.output
  }

  /// A command and its options, as the argument parser describes them.
  struct Command {
    var name: String
    var abstract: String
    var arguments: [[String: Any]]
    var subcommands: [Command]
  }

  /// The argument parser's own description of the command tree (`--experimental-dump-help`).
  static func commandInfo() -> Command {
    let json = try? JSONSerialization.jsonObject(with: Data(Nwsh._dumpHelp().utf8)) as? [String: Any]
    return command(json?["command"] as? [String: Any] ?? [:])
  }

  private static func command(_ info: [String: Any]) -> Command {
    Command(
      name: info["commandName"] as? String ?? "",
      abstract: info["abstract"] as? String ?? "",
      arguments: (info["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true },
      subcommands: (info["subcommands"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true }
        .map(command))
  }
}

/// A roff document being written.
struct Roff {
  private(set) var output = ""

  mutating func line(_ text: String) { output += text + "\n" }

  mutating func section(_ name: String) { line(".SH " + name) }

  /// Text, escaped, as a filled paragraph.
  mutating func text(_ text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      self.line(Roff.escape(String(line)))
    }
  }

  /// One `.TP` entry per option: its names and value, then what it does.
  mutating func options(_ arguments: [[String: Any]]) {
    for argument in arguments {
      line(".TP")
      line(".B " + Roff.escape(Roff.label(argument)))
      text(argument["abstract"] as? String ?? "")
    }
  }

  /// How an option is written: `-c <program>`, `--strict`, `<script>`.
  static func label(_ argument: [String: Any]) -> String {
    let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { name -> String? in
      guard let text = name["name"] as? String else { return nil }
      switch name["kind"] as? String {
      case "short", "longWithSingleDash": return "-" + text
      case "long": return "--" + text
      default: return nil
      }
    }
    let value = (argument["valueName"] as? String).map { "<\($0)>" } ?? ""
    switch argument["kind"] as? String {
    case "positional": return value
    case "option": return names.joined(separator: ", ") + " " + value
    default: return names.joined(separator: ", ")
    }
  }

  /// Text safe in roff: backslashes doubled, hyphens literal, no line read as a request.
  static func escape(_ text: String) -> String {
    var escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
    if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
    return escaped
  }
}
