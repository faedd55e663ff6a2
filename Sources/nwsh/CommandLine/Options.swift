/// nwsh's subcommands. `run` is the default: `nwsh -c …`, `nwsh SCRIPT`, `nwsh` alone.
enum Subcommand: String, CaseIterable, Sendable {
  case run, sandbox, login, whoami, journal, reconcile, report, pending, funnel, state, help

  /// One line for help and the man page.
  var abstract: String {
    switch self {
    case .run: "Run a program from -c, a script file or standard input, or the interactive shell on a terminal."
    case .sandbox: "Run the local Networked API simulator until interrupted."
    case .login: "Store an API key for a profile (read without echo; 0600 under ~/.config/nwsh)."
    case .whoami: "Show the profile, the API's base URL and the key in use (masked)."
    case .journal: "List what invite and add did with this key, as JSON lines (see `help journal`)."
    case .reconcile: "Settle invitees left in doubt by an earlier run (see `help reconcile`)."
    case .report:
      "Summarise results: result files, a run from the journal (--run ID), standard input, or the funnel (--funnel)."
    case .pending:
      "Who was invited and has not joined (--older-than 7d: invited at least that long ago), as JSON lines."
    case .funnel: "The invitation funnel: invited, joined, pending, conversion and days to join, by role and run."
    case .state: "Check where the rate budget and the journal are kept: nwsh state check."
    case .help: "Help for a pipeline command, a function or a subcommand: nwsh help NAME."
    }
  }

  /// More, after the options, in `nwsh COMMAND --help` and the man page.
  var discussion: String? {
    switch self {
    case .sandbox:
      """
      Prints one JSON line with the URL and the demo API key, then serves until Ctrl-C:
        {"url":"http://127.0.0.1:PORT","apiKey":"sandbox-demo-key"}
      Point nwsh at it with --base-url and NETWORKED_API_KEY, or use curl. It serves the same
      community --sandbox runs use, kept in $XDG_STATE_HOME/nwsh/sandbox.json (--fresh for a new
      one in memory; --reset to forget it and the sandbox's journal).
      """
    case .login: "printf %s \"$KEY\" | nwsh login --profile work   (from a pipe, without a prompt)"
    case .report:
      """
      nwsh report results.jsonl …   counts by status, op, reason or error code, and role
      nwsh report --run ID          the same for a run, from the journal
      nwsh report --funnel          invited, joined, pending, conversion and days to join, by role and run
      With no file, --run or --funnel it reads result lines from standard input. On a terminal it
      prints aligned tables; in a pipe, one JSON object.
      """
    case .state:
      """
      nwsh state check opens the state (creating or migrating its schema) and prints one JSON line:
        {"state":"postgres://nwsh@db.internal:5432/nwsh","kind":"postgresql","schema":4,"server":"PostgreSQL 15…","ms":4.1}
      Exit 0 when it is usable; 69 with {"error":…} when it cannot be reached or is newer than this nwsh.
      """
    default: nil
    }
  }
}

/// Every option nwsh reads, declared once: the reader, help, the man page and shell completion
/// all come from here.
///
/// An option means the same wherever it stands before `--`: before or after a script name,
/// before or after a subcommand. Where it does not apply it is refused (exit 64), never passed
/// on as an argument.
enum Option: String, CaseIterable, Sendable {
  // Running a program.
  case program = "-c"
  case strict = "--strict"
  case dryRun = "--dry-run"
  case color = "--color"
  case norc = "--norc"
  case noPager = "--no-pager"
  // Where the API is and which key to use.
  case sandbox = "--sandbox"
  case baseURL = "--base-url"
  case profile = "--profile"
  case apiKeyFile = "--api-key-file"
  case trace = "--trace"
  case state = "--state"
  // jq's.
  case arg = "--arg"
  case argjson = "--argjson"
  case rawfile = "--rawfile"
  case slurpfile = "--slurpfile"
  case args = "--args"
  case jsonargs = "--jsonargs"
  case rawOutput = "--raw-output"
  case joinOutput = "--join-output"
  case rawOutput0 = "--raw-output0"
  case nullInput = "--null-input"
  case rawInput = "--raw-input"
  case slurp = "--slurp"
  case stream = "--stream"
  case fromFile = "--from-file"
  case exitStatus = "--exit-status"
  case sortKeys = "--sort-keys"
  case colorOutput = "--color-output"
  case monochrome = "--monochrome-output"
  case asciiOutput = "--ascii-output"
  case compactOutput = "--compact-output"
  case tab = "--tab"
  case indent = "--indent"
  case seq = "--seq"
  case libraryPath = "--library-path"
  // Subcommands'.
  case run = "--run"
  case status = "--status"
  case runs = "--runs"
  case results = "--results"
  case passwords = "--passwords"
  case again = "--again"
  case funnel = "--funnel"
  case olderThan = "--older-than"
  case table = "--table"
  case noVerify = "--no-verify"
  case port = "--port"
  case rateLimits = "--rate-limits"
  case noLimits = "--no-limits"
  case fresh = "--fresh"
  case reset = "--reset"
  case advance = "--advance"
  case acceptRate = "--accept-rate"
  case acceptAfter = "--accept-after"
  // Anywhere.
  case help = "--help"
  case version = "--version"
  // For packagers and the completion scripts: each stands alone on the command line.
  case generateManual = "--generate-manual"
  case generateCompletionScript = "--generate-completion-script"
  case complete = "--complete"

  /// Everything about the option, declared in one place: the values it takes (none for a
  /// switch), where it applies, its help, other spellings, whether it repeats and how a shell
  /// completes its value. Every case states the first three; nothing falls to a default.
  var declaration: OptionDeclaration {
    switch self {
    case .program:
      OptionDeclaration(
        takes: ["program"], in: [.run],
        help: "Run PROGRAM; files named after it are read's input (else standard input).")
    case .strict:
      OptionDeclaration(
        takes: [], in: [.run], help: "Stop at the first invalid row (exit 65) instead of reporting it and going on.")
    case .dryRun:
      OptionDeclaration(
        takes: [], in: [.run, .reconcile],
        help: "Plan every invite and add without sending (same as `set dry-run on`); reconcile: send nothing.")
    case .color:
      OptionDeclaration(
        takes: ["when"], in: [.run], help: "Color results: auto, always or never (NO_COLOR also turns it off).",
        completion: .choices(["auto", "always", "never"]))
    case .norc:
      OptionDeclaration(
        takes: [], in: [.run], help: "Do not run the startup file (~/.config/nwsh/init.nw) in the interactive shell.")
    case .noPager:
      OptionDeclaration(
        takes: [], in: [.run],
        help: "In the interactive shell, print long results straight to the terminal, not through $PAGER.")
    case .sandbox:
      OptionDeclaration(
        takes: [], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state],
        help: "Talk to a built-in simulator of the API (demo key, documented rate windows) instead of Networked.")
    case .baseURL:
      OptionDeclaration(
        takes: ["url"], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state, .login],
        help: "The API's base URL (default: $NETWORKED_BASE_URL, the profile's, else https://backend.networked.co).")
    case .profile:
      OptionDeclaration(
        takes: ["name"], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state, .login],
        help: "The credentials profile to use (default: $NWSH_PROFILE, else default).", completion: .profiles)
    case .apiKeyFile:
      OptionDeclaration(
        takes: ["file"], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state],
        help: "Read the API key from this file (it must not be readable by group or others).", completion: .file)
    case .trace:
      OptionDeclaration(
        takes: [], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state],
        help: "Show every HTTP exchange on stderr (the key and passwords redacted).")
    case .state:
      OptionDeclaration(
        takes: ["path-or-url"], in: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state],
        help: "Keep the rate budget and the journal here: a SQLite file, or postgres://user@host:port/db to share them "
          + "between machines (default: $NWSH_STATE, the profile's, else $XDG_STATE_HOME/nwsh/state.sqlite).",
        completion: .file)
    case .arg:
      OptionDeclaration(
        takes: ["NAME", "VALUE"], in: [.run], help: "Bind $NAME to the string VALUE (jq's --arg).", repeatable: true)
    case .argjson:
      OptionDeclaration(
        takes: ["NAME", "JSON"], in: [.run], help: "Bind $NAME to the JSON value (jq's --argjson).", repeatable: true)
    case .rawfile:
      OptionDeclaration(
        takes: ["NAME", "FILE"], in: [.run], help: "Bind $NAME to FILE's text (jq's --rawfile).", repeatable: true,
        completion: .file)
    case .slurpfile:
      OptionDeclaration(
        takes: ["NAME", "FILE"], in: [.run], help: "Bind $NAME to an array of FILE's JSON values (jq's --slurpfile).",
        repeatable: true, completion: .file)
    case .args:
      OptionDeclaration(
        takes: [], in: [.run], help: "The remaining arguments are $ARGS.positional strings (jq's --args).",
        repeatable: true)
    case .jsonargs:
      OptionDeclaration(
        takes: [], in: [.run], help: "The remaining arguments are $ARGS.positional JSON values (jq's --jsonargs).",
        repeatable: true)
    case .rawOutput:
      OptionDeclaration(
        takes: [], in: [.run], help: "Write strings as their text, not as JSON (jq's -r).", aliases: ["-r"])
    case .joinOutput:
      OptionDeclaration(
        takes: [], in: [.run], help: "As -r, with no newline after each value (jq's -j).", aliases: ["-j"])
    case .rawOutput0:
      OptionDeclaration(takes: [], in: [.run], help: "As -r, with a NUL after each value (jq's --raw-output0).")
    case .nullInput:
      OptionDeclaration(
        takes: [], in: [.run],
        help:
          "Start on null (jq's -n): a program that is a jq expression alone otherwise runs on each input value, as in jq.",
        aliases: ["-n"])
    case .rawInput:
      OptionDeclaration(
        takes: [], in: [.run],
        help: "read gives each line as a string, not JSON (jq's -R); with -s, the whole input as one string.",
        aliases: ["-R"])
    case .slurp:
      OptionDeclaration(
        takes: [], in: [.run], help: "read gives all the values as one array (jq's -s).", aliases: ["-s"])
    case .stream:
      OptionDeclaration(
        takes: [], in: [.run],
        help: "read gives each value as its stream events, [path, leaf] and [path] (jq's --stream).")
    case .fromFile:
      OptionDeclaration(
        takes: ["file"], in: [.run],
        help: "Run the program in FILE; the words after it are input files for read (jq's -f).", aliases: ["-f"],
        completion: .file)
    case .exitStatus:
      OptionDeclaration(
        takes: [], in: [.run], help: "Exit 1 if the last value written was false or null, 4 if none was (jq's -e).",
        aliases: ["-e"])
    case .sortKeys:
      OptionDeclaration(takes: [], in: [.run], help: "Write object keys sorted (jq's -S).", aliases: ["-S"])
    case .colorOutput:
      OptionDeclaration(
        takes: [], in: [.run], help: "Color the output even in a pipe (jq's -C; as --color always).", aliases: ["-C"])
    case .monochrome:
      OptionDeclaration(
        takes: [], in: [.run], help: "Never color the output (jq's -M; as --color never).", aliases: ["-M"])
    case .asciiOutput:
      OptionDeclaration(
        takes: [], in: [.run], help: "Escape every character outside ASCII as \\uXXXX (jq's -a).", aliases: ["-a"])
    case .compactOutput:
      OptionDeclaration(
        takes: [], in: [.run], help: "One value per line even on a terminal (jq's -c; nwsh's -c is the program).")
    case .tab:
      OptionDeclaration(takes: [], in: [.run], help: "Indent with a tab per level, in a pipe too (jq's --tab).")
    case .indent:
      OptionDeclaration(
        takes: ["n"], in: [.run], help: "Indent N spaces per level (0 to 7), in a pipe too (jq's --indent N).")
    case .seq:
      OptionDeclaration(
        takes: [], in: [.run],
        help: "Write an ASCII record separator before each value, and read input as such records (jq's --seq).")
    case .libraryPath:
      OptionDeclaration(
        takes: ["dir"], in: [.run],
        help: "Look for modules (import, include) in DIR; repeatable, also -LDIR (jq's -L; default: ~/.jq, "
          + "$ORIGIN/../lib/jq, $ORIGIN/../lib).", aliases: ["-L"], repeatable: true, completion: .directory)
    case .run:
      OptionDeclaration(
        takes: ["id"], in: [.journal, .report], help: "Only this run (report: that run's results, from the journal).")
    case .status:
      OptionDeclaration(
        takes: ["state"], in: [.journal], help: "Only entries in this state.", completion: .journalStates)
    case .runs:
      OptionDeclaration(takes: [], in: [.journal], help: "One line per run with its counts.")
    case .results:
      OptionDeclaration(
        takes: [], in: [.journal], help: "With --run: that run's results again (one line per person it sent).")
    case .passwords:
      OptionDeclaration(
        takes: ["file"], in: [.reconcile],
        help: "A file of {email, password} rows for direct adds that were sent with a password.", completion: .file)
    case .again:
      OptionDeclaration(
        takes: [], in: [.reconcile], help: "Re-send people a reconcile already re-sent once without a clear answer.")
    case .funnel:
      OptionDeclaration(
        takes: [], in: [.report],
        help: "The invitation funnel: invited, joined, pending, conversion and median days to join.")
    case .olderThan:
      OptionDeclaration(
        takes: ["duration"], in: [.pending], help: "Only those whose latest invite is at least this old: 7d, 36h, 90m.")
    case .table:
      OptionDeclaration(
        takes: [], in: [.report, .funnel], help: "Aligned tables, in a pipe too (the default on a terminal).")
    case .noVerify:
      OptionDeclaration(takes: [], in: [.login], help: "Store the key without checking it against the API.")
    case .port:
      OptionDeclaration(takes: ["port"], in: [.sandbox], help: "Port on 127.0.0.1 (0 picks a free one).")
    case .rateLimits:
      OptionDeclaration(
        takes: ["windows"], in: [.sandbox],
        help:
          "Rate windows, LIMIT/SPAN,… (e.g. 4/2s,10/10s; none for none; default: the documented 10/1m,50/10m,120/1h).")
    case .noLimits:
      OptionDeclaration(takes: [], in: [.sandbox], help: "Serve without rate windows (as --rate-limits none).")
    case .fresh:
      OptionDeclaration(takes: [], in: [.sandbox], help: "Serve a new community in memory, forgotten at exit.")
    case .reset:
      OptionDeclaration(takes: [], in: [.sandbox], help: "Forget the sandbox's community and its journal, then exit.")
    case .advance:
      OptionDeclaration(
        takes: ["duration"], in: [.sandbox],
        help:
          "Move the sandbox's own clock on by DURATION (e.g. 8d) and exit: every later --sandbox run sees it (a week later, rehearsed)."
      )
    case .acceptRate:
      OptionDeclaration(
        takes: ["rate"], in: [.sandbox, .run, .report],
        help:
          "Sandbox: the share of invitees (0 to 1, decided by email) who join by themselves, to rehearse the funnel.")
    case .acceptAfter:
      OptionDeclaration(
        takes: ["duration"], in: [.sandbox, .run, .report],
        help: "Sandbox: how long after their invite they join (e.g. 2d, 36h; default 0: at once).")
    case .help:
      OptionDeclaration(takes: [], in: Set(Subcommand.allCases), help: "Show help.", aliases: ["-h"])
    case .version:
      OptionDeclaration(takes: [], in: Set(Subcommand.allCases), help: "Show the version.")
    case .generateManual:
      OptionDeclaration(
        takes: [], in: [.run], help: "Print the man page, nwsh.1 (roff), and exit; scripts/install installs it.",
        standsAlone: true)
    case .generateCompletionScript:
      OptionDeclaration(
        takes: ["shell"], in: [.run], help: "Print the completion script for bash, zsh or fish, and exit.",
        completion: .choices(["bash", "zsh", "fish"]), standsAlone: true)
    case .complete:
      OptionDeclaration(
        takes: ["index"], in: [.run],
        help: "Print the completions of word INDEX (0 is the first after nwsh) of the WORDs after it, one per line "
          + "(what the completion scripts ask).", standsAlone: true, takesTheRest: "WORD")
    }
  }

  /// Other spellings (`-r` for `--raw-output`).
  var aliases: [String] { declaration.aliases }

  /// The names of the values it takes, in order; empty for a switch.
  var valueNames: [String] { declaration.valueNames }

  /// Whether giving it twice is meaningful (`--arg a 1 --arg b 2`).
  var repeatable: Bool { declaration.repeatable }

  /// The subcommands it applies to.
  var subcommands: Set<Subcommand> { declaration.subcommands }

  /// What it does, for help and the man page.
  var help: String { declaration.help }

  /// How a shell completes its value.
  var completion: ValueCompletion { declaration.completion }

  /// Whether nothing else may be on the command line with it (`--generate-manual`).
  var standsAlone: Bool { declaration.standsAlone }

  /// For an option that takes every word after its values, literally (`--complete INDEX
  /// WORD…`): the name of those words.
  var takesTheRest: String? { declaration.takesTheRest }

  /// `--state <path-or-url>`, `--arg NAME VALUE`, `-r, --raw-output`, `--complete <index> WORD…`.
  var label: String {
    let names = ([rawValue] + aliases).sorted { $0.count < $1.count }.joined(separator: ", ")
    let values = valueNames.map { $0.uppercased() == $0 ? $0 : "<\($0)>" }
    return ([names] + values + (takesTheRest.map { ["\($0)…"] } ?? [])).joined(separator: " ")
  }

  /// The option spelled `name` (`--state`, `-r`).
  static func named(_ name: String) -> Option? {
    Option(rawValue: name) ?? allCases.first { $0.aliases.contains(name) }
  }

  /// Every spelling, for suggestions and completion.
  static var spellings: [String] { allCases.flatMap { [$0.rawValue] + $0.aliases } }
}
