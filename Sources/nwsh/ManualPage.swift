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

    page.section("THE LANGUAGE")
    for paragraph in Self.language {
      page.line(".PP")
      page.text(paragraph)
    }

    page.section("MODULES")
    page.line(".nf")
    page.text(session.helpText(for: "modules") ?? "")
    page.line(".fi")

    page.section("ROLES AND PLANS")
    for name in ["role", "plan"] {
      guard let text = session.helpText(for: name) else { continue }
      page.line(".TP")
      page.line(".B " + Roff.escape(name + "(name)"))
      page.text(text)
    }

    page.section("RESULTS")
    page.text(
      """
      One JSON object per input row on standard output: row, op, status, then email, what was \
      sent (name, tagId or roleId, role, note, planIds), error {code, message, retryable} or \
      reason, and where it came from (source, line, run). The statuses:
      """)
    for status in NetworkedCommands.statuses {
      page.line(".TP")
      page.line(".B " + Roff.escape(status.name))
      page.text(status.meaning)
    }

    page.section("ERROR CODES")
    page.text("Each error.code, its status, what it means, and whether sending the same row again may work.")
    for entry in ErrorCatalog.entries {
      page.line(".TP")
      page.line(".B " + Roff.escape(entry.code.rawValue))
      page.text("(\(entry.status.name)) \(entry.meaning). Send again: \(entry.advice.rawValue).")
    }

    page.section("EXAMPLES")
    for name in ["read", "invite", "report", "pending"] {
      for example in session.command(named: name)?.signature.examples ?? [] {
        page.line(".PP")
        page.line(".nf")
        page.text("nwsh -c '\(example)'")
        page.line(".fi")
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

extension ManualPage {
  /// The language in a few paragraphs (the README's "The language" says more).
  static let language = [
    """
    A program is statements separated by newlines or ;. A statement is a pipeline of stages \
    joined by |, let NAME = …, or def name(args): body;. # starts a comment.
    """,
    """
    A stage is a command (read, where, invite, …) or a jq expression. An expression stage maps \
    each row to its outputs exactly as jq would; as the first stage it is evaluated once on null \
    and its outputs are the rows. Expressions are jq 1.8's: paths, construction, \
    interpolation, reduce, foreach, try/catch, def, assignment, $ENV, $__loc__ and the builtins \
    (help NAME tells what each does).
    """,
    """
    collect turns all rows into one array row; let NAME = PIPELINE binds the array of a \
    pipeline's rows (let members = members | .email). join ARRAY --on EXPR matches rows against \
    an array by key (hashed once): --anti keeps rows with no match, --semi those with one, \
    --left attaches the match.
    """,
    """
    Results are rows: the API commands' results flow to the next stage like any row, and the \
    exit status still counts every one. A row that never became data (a malformed line, an \
    expression that failed on it) gets its own result; every input row ends in one line.
    """,
    """
    Unlike jq, an error on one row makes that row invalid and the program goes on (--strict \
    stops, as jq does); read unpacks an input that is one array into its elements (jq's -s \
    and --stream keep it whole); and a program starts on null (as jq -n): rows come from read, \
    input or inputs.
    """,
  ]
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
