import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// An option means the same wherever the user writes it: before or after a script name,
/// before or after a subcommand. It is honoured where it applies and refused (exit 64) where it
/// does not; it never becomes an argument.
@Suite("options mean what they say, wherever they stand (binary)")
struct OptionsTests {
  /// Every spelling of every option the binary knows, from its own table (through the
  /// completion it offers), so a new option is swept without editing this test.
  static func allOptions() throws -> [String] {
    var all: Set<String> = []
    for command in ["", "sandbox", "login", "whoami", "journal", "reconcile", "state", "help"] {
      let words = command.isEmpty ? ["0", "-"] : ["1", command, "-"]
      let output = try Binary.run(["--complete"] + words)
      all.formUnion(output.stdout.split(separator: "\n").map(String.init))
    }
    return all.sorted()
  }

  /// The words an option takes in the sweep (harmless values).
  static func values(for option: String, script: String, home: String) -> [String] {
    switch option {
    case "-c": ["$ARGS.positional"]
    case "--color": ["never"]
    case "--base-url": ["http://127.0.0.1:9"]
    case "--profile": ["sweep"]
    case "--api-key-file", "--passwords": [home + "/missing"]
    case "--state": [home + "/state.sqlite"]
    case "--arg": ["x", "1"]
    case "--argjson": ["x", "1"]
    case "--rawfile", "--slurpfile": ["x", script]
    case "--run": ["no-such-run"]
    case "--status": ["invited"]
    case "--port": ["0"]
    case "--rate-limits": ["none"]
    case "-f", "--from-file": [script]
    case "-L", "--library-path": [home]
    case "--indent": ["2"]
    case "--accept-rate": ["0.5"]
    case "--accept-after": ["1d"]
    default: []
    }
  }

  @Test("every option before and after a script name and a subcommand: honoured or refused, never an argument")
  func sweep() throws {
    let home = temporaryDirectory("sweep")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let script = home + "/show.nw"
    try "$ARGS.positional\n".write(toFile: script, atomically: true, encoding: .utf8)
    let options = try Self.allOptions()
    #expect(options.count >= 30, "\(options)")
    #expect(options.contains("--dry-run") && options.contains("--sandbox") && options.contains("--state"))
    let environment = [
      "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config", "NETWORKED_API_KEY": "",
      "NWSH_STATE": "",
    ]
    // Each form: the words before the option's place, between, and after.
    let forms: [(name: String, head: [String], tail: [String])] = [
      ("script", [script], ["plain"]),
      ("program", ["-c", "$ARGS.positional", "--args"], ["plain"]),
      ("sandbox", ["sandbox", "--reset"], []),
      ("login", ["login", "--no-verify"], []),
      ("whoami", ["whoami"], []),
      ("journal", ["journal", "--sandbox"], []),
      ("reconcile", ["reconcile", "--sandbox", "--dry-run"], []),
      ("state", ["state", "check"], []),
    ]
    var runs: [(label: String, arguments: [String], option: String)] = []
    for option in options {
      let words = [option] + Self.values(for: option, script: script, home: home)
      for form in forms {
        runs.append(("\(option) before \(form.name)", words + form.head + form.tail, option))
        runs.append(("\(option) after \(form.name)", form.head + words + form.tail, option))
      }
    }
    let outputs = Locked<[Int: Binary.Output]>([:])
    let argumentLists = runs.map(\.arguments)
    DispatchQueue.concurrentPerform(iterations: runs.count) { index in
      let output = try? Binary.run(argumentLists[index], stdin: "", environment: environment)
      outputs.withLock { $0[index] = output }
    }
    for (index, run) in runs.enumerated() {
      let output = try #require(outputs.withLock { $0[index] }, "\(run.label)")
      // Never an argument: not in $ARGS.positional, not refused as a word.
      #expect(!output.stdout.contains("\"\(run.option)\""), "\(run.label): \(output.stdout)")
      #expect(!output.stderr.contains("takes no argument \(run.option)"), "\(run.label): \(output.stderr)")
      #expect(!output.stderr.contains("cannot read script"), "\(run.label): \(output.stderr)")
      #expect(!output.stderr.contains("unknown option"), "\(run.label): \(output.stderr)")
      // Refused where it does not apply: a usage error that says so.
      if output.stderr.contains("does not apply to") {
        #expect(output.status == 64, "\(run.label)")
      }
    }
  }

  @Test("--dry-run after the script name plans every row and sends nothing")
  func dryRunAfterScript() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let script = home + "/onboard.nw"
    try "open $ARGS.positional[0] | map {name, email, tagId: \"69baa36beddb9f0012fdf101\"} | invite\n".write(
      toFile: script, atomically: true, encoding: .utf8)
    let csv = home + "/export.csv"
    try ("name,email\n" + (0..<30).map { "P \($0),p\($0)@example.org" }.joined(separator: "\n") + "\n").write(
      toFile: csv, atomically: true, encoding: .utf8)
    var configuration = SimulatorConfiguration(apiKey: "options-key-1")
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration) { simulator in
      let environment = ["NETWORKED_API_KEY": "options-key-1", "XDG_STATE_HOME": home]
      for arguments in [
        ["--base-url", simulator.baseURL, script, csv, "--dry-run"],
        [script, "--base-url", simulator.baseURL, csv, "--dry-run"],
        [script, csv, "--dry-run", "--base-url", simulator.baseURL],
      ] {
        let output = try Binary.run(arguments, environment: environment)
        let lines = output.stdout.split(separator: "\n")
        #expect(output.status == 0, "\(arguments): \(output.stderr)")
        #expect(lines.count == 30 && lines.allSatisfy { $0.contains(#""status":"planned""#) }, "\(output.stdout)")
      }
      #expect(simulator.ledger.isEmpty, "nothing was sent")
      // A typo of an option after the script is refused, and nothing is sent either.
      let typo = try Binary.run(["--base-url", simulator.baseURL, script, csv, "--dryrun"], environment: environment)
      #expect(typo.status == 64 && typo.stderr.contains("did you mean --dry-run?"), "\(typo.stderr)")
      #expect(typo.stderr.contains("write it after --"))
      #expect(simulator.ledger.isEmpty)
      // After --, words are the script's, whatever they look like.
      let literal = try Binary.run(
        ["--base-url", simulator.baseURL, "--dry-run", script, csv, "--", "--dry-run"], environment: environment)
      #expect(literal.status == 0 && simulator.ledger.isEmpty, "\(literal.stderr)")
    }
  }

  @Test("global options before a subcommand: nwsh --sandbox journal --runs")
  func optionsBeforeSubcommand() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let environment = ["XDG_STATE_HOME": home, "NWSH_TEST_CLOCK": "virtual", "NETWORKED_API_KEY": ""]
    let invite = try Binary.run(
      ["--sandbox", "-c", #"{name: "Ada", email: "ada@example.org", tagId: role("Member")} | invite"#],
      environment: environment)
    #expect(invite.status == 0 && invite.stdout.contains(#""status":"invited""#), "\(invite.stderr)")
    for arguments in [
      ["--sandbox", "journal", "--runs"], ["journal", "--sandbox", "--runs"], ["journal", "--runs", "--sandbox"],
    ] {
      let output = try Binary.run(arguments, environment: environment)
      #expect(output.status == 0, "\(arguments): \(output.stderr)")
      #expect(output.stdout.contains(#""invited":1"#), "\(arguments): \(output.stdout)")
    }
    let misplaced = try Binary.run(["--strict", "journal"], environment: environment)
    #expect(misplaced.status == 64 && misplaced.stderr.contains("--strict does not apply to nwsh journal"))
  }

  @Test("a state location with a typo is a usage error that names it without the password; nothing is created")
  func stateLocationTypos() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let work = home + "/work"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let password = "Sup3rSecretPW"
    let cases: [(url: String, says: String)] = [
      ("postgres://nwsh:\(password)@127.0.0.1:5543x/postgres", "is not a number"),
      ("postgres://nwsh:\(password)@db@127.0.0.1:5543/postgres", "must be percent-encoded"),
      ("postgres://nwsh:\(password)/x@127.0.0.1:5543/postgres", "must be percent-encoded"),
      ("postgres://nwsh:\(password)@127.0.0.1:5543/postgres?sslmod=require", "unknown parameter sslmod"),
      ("postgres://nwsh:\(password)@127.0.0.1:5543/postgres?lease=soon", "lease=soon"),
      ("postgress://nwsh:\(password)@127.0.0.1:5543/postgres", "unsupported scheme"),
      ("postgres:nwsh:\(password)@127.0.0.1/postgres", "looks like a PostgreSQL URL"),
      ("file://relative/state.sqlite", "file:///"),
      // Attempts at a URL are never file names: a missing colon, a near miss of a scheme, a
      // password and a host without any scheme.
      ("postgres//nwsh:\(password)@127.0.0.1:5432/db", "looks like a PostgreSQL URL"),
      ("postgresql//nwsh:\(password)@127.0.0.1/db", "looks like a PostgreSQL URL"),
      ("postgre:/nwsh:\(password)@127.0.0.1/db", "looks like a PostgreSQL URL"),
      ("postgers://nwsh:\(password)@127.0.0.1/db", "unsupported scheme"),
      ("nwsh:\(password)@127.0.0.1:5432/db", "looks like a PostgreSQL URL"),
      ("file:/tmp/state.sqlite", "looks like a file URL"),
      ("sqlite:/tmp/state.sqlite", "looks like a file URL"),
      ("fiel:///tmp/state.sqlite", "unsupported scheme"),
      // A password's own % must be encoded (%25).
      ("postgres://nwsh:\(password)%@127.0.0.1:5432/db", "% that is not percent-encoded"),
      ("postgres://nwsh:\(password)%zz@127.0.0.1:5432/db", "% that is not percent-encoded"),
    ]
    for (url, says) in cases {
      for command in [["state", "check"], ["-c", "1"], ["journal"]] {
        let output = try runProcess(
          "/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", work, Binary.path] + command,
          environment: ["NWSH_STATE": url, "XDG_STATE_HOME": home + "/state"])
        #expect(output.status == 64, "\(url) \(command): \(output.status) \(output.stderr)")
        #expect(output.stderr.contains(says), "\(url): \(output.stderr)")
        #expect(!(output.stdout + output.stderr).contains(password), "\(url): \(output.stdout) \(output.stderr)")
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "nothing created where nwsh ran")
    #expect(!FileManager.default.fileExists(atPath: home + "/state"), "no state directory either")
    // On the command line a password is refused outright, without being shown.
    let argv = try Binary.run(["--state", "postgres://nwsh:\(password)@127.0.0.1:1/x", "state", "check"])
    #expect(argv.status == 64 && !argv.stderr.contains(password) && argv.stderr.contains("PGPASSWORD"))
  }
}

/// No option can swallow another: a value-taking option followed by one of nwsh's options is
/// refused (an empty `$PROFILE` in a script must not turn `--dry-run` into a profile's name and
/// send for real), and so is an option written with a dash a word processor made.
@Suite("options nothing can swallow (binary)")
struct SwallowingTests {
  /// Runs every argument list, two at a time, and returns what each printed.
  static func runAll(_ runs: [[String]], environment: [String: String]) -> [Binary.Output] {
    let outputs = Locked<[Int: Binary.Output]>([:])
    DispatchQueue.concurrentPerform(iterations: 2) { worker in
      for index in stride(from: worker, to: runs.count, by: 2) {
        let output = try? Binary.run(runs[index], environment: environment)
        outputs.withLock { $0[index] = output }
      }
    }
    return runs.indices.map { outputs.withLock { $0 }[$0] ?? Binary.Output(status: -1, stdout: "", stderr: "") }
  }

  @Test(
    "every value-taking option, at each of its values, followed by every option: refused (64), naming both, nothing run"
  )
  func valueOptionsFollowedByOptions() throws {
    let home = temporaryDirectory("swallow")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let script = home + "/show.nw"
    try "$ARGS.positional\n".write(toFile: script, atomically: true, encoding: .utf8)
    let options = try OptionsTests.allOptions()
    // Which spellings take values: the ones the sweep gives values to.
    let valueTaking = options.filter { !OptionsTests.values(for: $0, script: script, home: home).isEmpty }
    #expect(valueTaking.count >= 20, "\(valueTaking)")
    var runs: [[String]] = []
    var cases: [(option: String, next: String)] = []
    for option in valueTaking {
      let values = OptionsTests.values(for: option, script: script, home: home)
      for position in values.indices {
        for next in options {
          runs.append([option] + values.prefix(position) + [next])
          cases.append((option, next))
        }
      }
    }
    let environment = [
      "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config", "NETWORKED_API_KEY": "k",
      "NWSH_STATE": "",
    ]
    let outputs = Self.runAll(runs, environment: environment)
    var wrong: [String] = []
    for ((option, next), output) in zip(cases, outputs) {
      let named = output.stderr.contains(option) && output.stderr.contains("next word is")
      if output.status != 64 || !named || !output.stdout.isEmpty {
        wrong.append("\(option) … \(next): \(output.status) \(output.stderr)")
      }
    }
    #expect(wrong.isEmpty, "\(wrong.count) of \(runs.count): \(wrong.prefix(10).joined(separator: "\n"))")
    #expect(runs.count > 1_000)
    #expect(!FileManager.default.fileExists(atPath: home + "/state"), "nothing was opened")
  }

  @Test("every option written with each lookalike dash (em, en, minus, …): refused (64) with 'did you mean'")
  func lookalikeDashes() throws {
    let options = try OptionsTests.allOptions()
    let dashes = [
      "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}", "\u{2212}", "\u{FE58}", "\u{FE63}",
      "\u{FF0D}",
    ]
    var runs: [[String]] = []
    var meant: [String] = []
    for option in options {
      let name = option.drop { $0 == "-" }
      for dash in dashes {
        // One dash as a word processor makes of two, or the two as two lookalikes; after a
        // script name, as a script's argument would stand.
        let written = option.hasPrefix("--") ? [dash + name, dash + dash + name] : [dash + name]
        for word in written {
          runs.append(["job.nw", "rows.csv", word])
          meant.append(option)
        }
      }
    }
    let outputs = SwallowingTests.runAll(runs, environment: ["NETWORKED_API_KEY": "k"])
    var wrong: [String] = []
    for ((run, option), output) in zip(zip(runs, meant), outputs)
    where output.status != 64 || !output.stderr.contains("did you mean \(option)?") {
      wrong.append("\(run.last!): \(output.status) \(output.stderr)")
    }
    #expect(wrong.isEmpty, "\(wrong.count) of \(runs.count): \(wrong.prefix(10).joined(separator: "\n"))")
    #expect(runs.count >= 1_100)
  }

  @Test("an empty variable before --dry-run sends nothing; a deliberate value is written so")
  func emptyVariables() throws {
    try withSandboxHome { home, environment in
      // nwsh --profile $PROFILE --dry-run job.nw, with PROFILE empty (the shell drops the word).
      let swallowed = try Binary.run(["--profile", "--dry-run", "-c", "1"], environment: environment)
      #expect(swallowed.status == 64 && swallowed.stderr.contains("--profile=--dry-run"), "\(swallowed.stderr)")
      let argument = try Binary.run(["-c", "$x", "--arg", "x", "--dry-run"], environment: environment)
      #expect(argument.status == 64 && argument.stderr.contains(#"--argjson x '"--dry-run"'"#), "\(argument.stderr)")
      // Written on purpose, the value is taken.
      let deliberate = try Binary.run(["-n", "-c", "$x", "--argjson", "x", #""--dry-run""#], environment: environment)
      #expect(deliberate.status == 0 && deliberate.stdout == "\"--dry-run\"\n", "\(deliberate.stderr)")
      let inline = try Binary.run(["--profile=--dry-run", "-c", "1"], environment: environment)
      #expect(inline.status == 64 && inline.stderr.contains(#"no profile "--dry-run""#), "\(inline.stderr)")
    }
  }

  @Test("an empty program (a script's name lost to an empty variable) is an error, not a quiet success")
  func emptyProgram() throws {
    try withSandboxHome { home, environment in
      let lost = try Binary.run(["--arg", "x", "./job.nw"], environment: environment)
      #expect(lost.status == 64 && lost.stderr.contains("no program"), "\(lost.stderr)")
    }
  }

  @Test("a state location that is a directory or a file not a database is refused and left as it is")
  func stateLeftAlone() throws {
    try withSandboxHome { home, environment in
      let script = home + "/job.nw"
      try "1\n".write(toFile: script, atomically: true, encoding: .utf8)
      chmod(script, 0o755)
      chmod(home, 0o755)
      for location in [home, home + "/", script, "~", "~/"] {
        var environment = environment
        environment["NETWORKED_API_KEY"] = "a-key-0001"
        let run = try Binary.run(["--state", location, "-c", "journal"], environment: environment)
        #expect(run.status == 64, "\(location): \(run.status) \(run.stderr)")
      }
      let extra = try Binary.run(["state", "check", "x"], environment: environment)
      #expect(extra.status == 64 && extra.stderr.contains("(got check x)"), "\(extra.stderr)")
      let homeMode = try FileManager.default.attributesOfItem(atPath: home)[.posixPermissions] as? Int
      let scriptMode = try FileManager.default.attributesOfItem(atPath: script)[.posixPermissions] as? Int
      #expect(homeMode == 0o755 && scriptMode == 0o755)
      #expect(try String(contentsOfFile: script, encoding: .utf8) == "1\n")
    }
  }

  @Test("a profile named explicitly that does not exist is an error, whatever NETWORKED_API_KEY holds")
  func missingProfile() throws {
    try withSandboxHome { home, environment in
      var environment = environment
      environment["NETWORKED_API_KEY"] = "a-key-that-would-work-0001"
      let named = try Binary.run(["--profile", "wrok", "-c", "roles"], environment: environment)
      #expect(named.status == 64 && named.stderr.contains(#"no profile "wrok" (--profile)"#), "\(named.stderr)")
      #expect(named.stderr.contains("nwsh login --profile wrok"))
      environment["NWSH_PROFILE"] = "wrok"
      let variable = try Binary.run(["whoami"], environment: environment)
      #expect(variable.status == 64 && variable.stderr.contains("(NWSH_PROFILE)"), "\(variable.stderr)")
      // An empty NWSH_PROFILE names none: the default applies.
      environment["NWSH_PROFILE"] = ""
      let unnamed = try Binary.run(["whoami"], environment: environment)
      #expect(unnamed.status == 0, "\(unnamed.stderr)")
    }
  }

  /// A temporary home with config and state directories of its own.
  func withSandboxHome(_ body: (String, [String: String]) throws -> Void) throws {
    let home = temporaryDirectory("profiles")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try body(
      home,
      [
        "HOME": home, "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config", "NWSH_STATE": "",
        "NETWORKED_API_KEY": "",
      ])
  }
}
