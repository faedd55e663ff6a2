import Foundation
import NetworkedAPI
import NetworkedCommands
import ShellCore

/// `nwsh --generate-manual`: the man page `nwsh.1`, in roff, generated from what the program
/// itself declares, so it never drifts: the command line from the option table
/// (``Option``, ``Subcommand``), the pipeline commands from their signatures, the
/// exit statuses from ``ExitStatus``.
enum ManualPage {
  static func render() -> String {
    var page = Roff()
    page.line(".TH NWSH 1 \"\" \"nwsh \(Roff.escape(NetworkedClient.version))\" \"User Commands\"")
    page.section("NAME")
    page.line("nwsh \\- " + Roff.escape(HelpText.abstract))

    page.section("SYNOPSIS")
    for (form, _) in HelpText.synopsis {
      page.line(".br")
      page.text(form)
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
    page.text("An option means the same wherever it stands before --; everything after -- is an argument.")
    for group in HelpText.runGroups {
      if !group.title.isEmpty {
        page.line(".PP")
        page.text(group.title + ":")
      }
      page.options(group.options)
    }

    page.section("SUBCOMMANDS")
    for command in Subcommand.allCases where command != .run {
      page.line(".SS \(Roff.escape("nwsh " + command.rawValue))")
      page.text(command.abstract)
      page.options(Option.allCases.filter { $0.subcommands.contains(command) && $0 != .help && $0 != .version })
      if let discussion = command.discussion {
        page.line(".PP")
        page.text(discussion)
      }
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
    for status in NetworkedCommands.exitStatuses {
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

  /// One `.TP` entry per option: its names and values, then what it does.
  mutating func options(_ options: [Option]) {
    for option in options {
      line(".TP")
      line(".B " + Roff.escape(option.label))
      text(option.help)
    }
  }

  /// Text safe in roff: backslashes doubled, hyphens literal, no line read as a request.
  static func escape(_ text: String) -> String {
    var escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
    if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
    return escaped
  }
}
