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

/// How an option's value is completed in a shell.
enum ValueCompletion: Sendable {
  case none, file, directory
  case choices([String])
  case journalStates
  /// The profiles in the credentials file.
  case profiles
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

  /// Other spellings (`-r` for `--raw-output`).
  var aliases: [String] {
    switch self {
    case .rawOutput: ["-r"]
    case .joinOutput: ["-j"]
    case .nullInput: ["-n"]
    case .rawInput: ["-R"]
    case .slurp: ["-s"]
    case .fromFile: ["-f"]
    case .exitStatus: ["-e"]
    case .sortKeys: ["-S"]
    case .colorOutput: ["-C"]
    case .monochrome: ["-M"]
    case .asciiOutput: ["-a"]
    case .help: ["-h"]
    case .libraryPath: ["-L"]
    default: []
    }
  }

  /// The names of the values it takes, in order; empty for a switch.
  var valueNames: [String] {
    switch self {
    case .program: ["program"]
    case .color: ["when"]
    case .baseURL: ["url"]
    case .profile: ["name"]
    case .apiKeyFile, .passwords: ["file"]
    case .state: ["path-or-url"]
    case .arg: ["NAME", "VALUE"]
    case .argjson: ["NAME", "JSON"]
    case .rawfile, .slurpfile: ["NAME", "FILE"]
    case .fromFile: ["file"]
    case .indent: ["n"]
    case .libraryPath: ["dir"]
    case .run: ["id"]
    case .status: ["state"]
    case .port: ["port"]
    case .rateLimits: ["windows"]
    case .acceptRate: ["rate"]
    case .acceptAfter, .advance, .olderThan: ["duration"]
    default: []
    }
  }

  /// Whether giving it twice is meaningful (`--arg a 1 --arg b 2`).
  var repeatable: Bool {
    switch self {
    case .arg, .argjson, .rawfile, .slurpfile, .args, .jsonargs, .libraryPath: true
    default: false
    }
  }

  /// The subcommands it applies to.
  var subcommands: Set<Subcommand> {
    switch self {
    case .program, .strict, .color, .norc, .noPager, .arg, .argjson, .rawfile, .slurpfile, .args, .jsonargs, .rawOutput,
      .joinOutput, .rawOutput0, .nullInput, .rawInput, .slurp, .stream, .fromFile, .exitStatus, .sortKeys, .colorOutput,
      .monochrome, .asciiOutput, .compactOutput, .tab, .indent, .seq, .libraryPath:
      [.run]
    case .dryRun: [.run, .reconcile]
    case .sandbox, .apiKeyFile, .trace, .state:
      [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state]
    case .baseURL, .profile: [.run, .whoami, .journal, .reconcile, .report, .pending, .funnel, .state, .login]
    case .run: [.journal, .report]
    case .status, .runs, .results: [.journal]
    case .funnel: [.report]
    case .olderThan: [.pending]
    case .table: [.report, .funnel]
    case .acceptRate, .acceptAfter: [.sandbox, .run, .report]
    case .passwords, .again: [.reconcile]
    case .noVerify: [.login]
    case .port, .rateLimits, .noLimits, .fresh, .reset, .advance: [.sandbox]
    case .help, .version: Set(Subcommand.allCases)
    }
  }

  /// What it does, for help and the man page.
  var help: String {
    switch self {
    case .program: "Run PROGRAM; files named after it are read's input (else standard input)."
    case .strict: "Stop at the first invalid row (exit 65) instead of reporting it and going on."
    case .dryRun: "Plan every invite and add without sending (same as `set dry-run on`); reconcile: send nothing."
    case .color: "Color results: auto, always or never (NO_COLOR also turns it off)."
    case .norc: "Do not run the startup file (~/.config/nwsh/init.nw) in the interactive shell."
    case .noPager: "In the interactive shell, print long results straight to the terminal, not through $PAGER."
    case .sandbox:
      "Talk to a built-in simulator of the API (demo key, documented rate windows) instead of Networked."
    case .baseURL:
      "The API's base URL (default: $NETWORKED_BASE_URL, the profile's, else https://backend.networked.co)."
    case .profile: "The credentials profile to use (default: $NWSH_PROFILE, else default)."
    case .apiKeyFile: "Read the API key from this file (it must not be readable by group or others)."
    case .trace: "Show every HTTP exchange on stderr (the key and passwords redacted)."
    case .state:
      "Keep the rate budget and the journal here: a SQLite file, or postgres://user@host:port/db to share them "
        + "between machines (default: $NWSH_STATE, the profile's, else $XDG_STATE_HOME/nwsh/state.sqlite)."
    case .arg: "Bind $NAME to the string VALUE (jq's --arg)."
    case .argjson: "Bind $NAME to the JSON value (jq's --argjson)."
    case .rawfile: "Bind $NAME to FILE's text (jq's --rawfile)."
    case .slurpfile: "Bind $NAME to an array of FILE's JSON values (jq's --slurpfile)."
    case .args: "The remaining arguments are $ARGS.positional strings (jq's --args)."
    case .jsonargs: "The remaining arguments are $ARGS.positional JSON values (jq's --jsonargs)."
    case .rawOutput: "Write strings as their text, not as JSON (jq's -r)."
    case .joinOutput: "As -r, with no newline after each value (jq's -j)."
    case .rawOutput0: "As -r, with a NUL after each value (jq's --raw-output0)."
    case .nullInput:
      "Start on null (jq's -n): a program that is a jq expression alone otherwise runs on each input value, as in jq."
    case .rawInput: "read gives each line as a string, not JSON (jq's -R); with -s, the whole input as one string."
    case .slurp: "read gives all the values as one array (jq's -s)."
    case .stream: "read gives each value as its stream events, [path, leaf] and [path] (jq's --stream)."
    case .fromFile: "Run the program in FILE; the words after it are input files for read (jq's -f)."
    case .exitStatus: "Exit 1 if the last value written was false or null, 4 if none was (jq's -e)."
    case .sortKeys: "Write object keys sorted (jq's -S)."
    case .colorOutput: "Color the output even in a pipe (jq's -C; as --color always)."
    case .monochrome: "Never color the output (jq's -M; as --color never)."
    case .asciiOutput: "Escape every character outside ASCII as \\uXXXX (jq's -a)."
    case .compactOutput: "One value per line even on a terminal (jq's -c; nwsh's -c is the program)."
    case .tab: "Indent with a tab per level, in a pipe too (jq's --tab)."
    case .indent: "Indent N spaces per level (0 to 7), in a pipe too (jq's --indent N)."
    case .seq:
      "Write an ASCII record separator before each value, and read input as such records (jq's --seq)."
    case .libraryPath:
      "Look for modules (import, include) in DIR; repeatable, also -LDIR (jq's -L; default: ~/.jq, "
        + "$ORIGIN/../lib/jq, $ORIGIN/../lib)."
    case .run: "Only this run (report: that run's results, from the journal)."
    case .funnel: "The invitation funnel: invited, joined, pending, conversion and median days to join."
    case .olderThan: "Only those whose latest invite is at least this old: 7d, 36h, 90m."
    case .table: "Aligned tables, in a pipe too (the default on a terminal)."
    case .acceptRate:
      "Sandbox: the share of invitees (0 to 1, decided by email) who join by themselves, to rehearse the funnel."
    case .acceptAfter: "Sandbox: how long after their invite they join (e.g. 2d, 36h; default 0: at once)."
    case .status: "Only entries in this state."
    case .runs: "One line per run with its counts."
    case .results: "With --run: that run's results again (one line per person it sent)."
    case .passwords: "A file of {email, password} rows for direct adds that were sent with a password."
    case .again: "Re-send people a reconcile already re-sent once without a clear answer."
    case .noVerify: "Store the key without checking it against the API."
    case .port: "Port on 127.0.0.1 (0 picks a free one)."
    case .rateLimits:
      "Rate windows, LIMIT/SPAN,… (e.g. 4/2s,10/10s; none for none; default: the documented 10/1m,50/10m,120/1h)."
    case .noLimits: "Serve without rate windows (as --rate-limits none)."
    case .fresh: "Serve a new community in memory, forgotten at exit."
    case .reset: "Forget the sandbox's community and its journal, then exit."
    case .advance:
      "Move the sandbox's own clock on by DURATION (e.g. 8d) and exit: every later --sandbox run sees it (a week later, rehearsed)."
    case .help: "Show help."
    case .version: "Show the version."
    }
  }

  /// How a shell completes its value.
  var completion: ValueCompletion {
    switch self {
    case .apiKeyFile, .passwords, .state, .rawfile, .slurpfile, .fromFile: .file
    case .libraryPath: .directory
    case .color: .choices(["auto", "always", "never"])
    case .status: .journalStates
    case .profile: .profiles
    default: .none
    }
  }

  /// `--state <path-or-url>`, `--arg NAME VALUE`, `-r, --raw-output`.
  var label: String {
    let names = ([rawValue] + aliases).sorted { $0.count < $1.count }.joined(separator: ", ")
    let values = valueNames.map { $0.uppercased() == $0 ? $0 : "<\($0)>" }
    return ([names] + values).joined(separator: " ")
  }

  /// The option spelled `name` (`--state`, `-r`).
  static func named(_ name: String) -> Option? {
    Option(rawValue: name) ?? allCases.first { $0.aliases.contains(name) }
  }

  /// Every spelling, for suggestions and completion.
  static var spellings: [String] { allCases.flatMap { [$0.rawValue] + $0.aliases } }
}
