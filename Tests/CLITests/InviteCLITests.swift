import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The built binary doing the main job, as users run it.
@Suite("nwsh invite (binary)")
struct InviteCLITests {
  static func rows(_ range: Range<Int>) -> String {
    range.map { #"{"name":"P \#($0)","email":"p\#($0)@example.net","tagId":"69baa36beddb9f0012fdf101"}"# }
      .joined(separator: "\n") + "\n"
  }

  /// `GET /_sandbox/requests` from a running sandbox.
  static func serverLog(_ sandbox: SandboxProcess) throws -> (refused: Int, times: [Int64], posts: Int) {
    let output = try Binary.run(
      ["-s", "-H", "x-api-key: \(sandbox.key)", sandbox.url + "/_sandbox/requests"], executable: "/usr/bin/curl")
    let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as! [String: Any]
    let data = object["data"] as! [String: Any]
    let received = data["received"] as! [[String: Any]]
    return (
      data["refusedByWindows"] as! Int, received.map { ($0["receivedAt"] as! NSNumber).int64Value },
      received.filter { ($0["method"] as! String) == "POST" }.count
    )
  }

  @Test("two processes sharing a key stay within the windows together (one sped-up clock, one state database)")
  func twoProcessesShareTheBudget() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    // 30 simulated seconds per real second for the sandbox and both clients alike.
    let clock = "scaled:\(Date().timeIntervalSince1970):30"
    let sandbox = try SandboxProcess([], environment: ["NWSH_TEST_CLOCK": clock])
    defer { _ = sandbox.stop() }
    let environment = ["NWSH_TEST_CLOCK": clock, "XDG_STATE_HOME": state, "NETWORKED_API_KEY": sandbox.key]
    let inputs = [Self.rows(0..<150), Self.rows(150..<300)]
    let url = sandbox.url
    let outputs = Locked<[Int: Binary.Output]>([:])
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      let output = try? Binary.run(
        ["--base-url", url, "-c", "read | invite --batch-size 10"], stdin: inputs[index], environment: environment)
      outputs.withLock { $0[index] = output }
    }
    for index in 0..<2 {
      let output = try #require(outputs.withLock { $0[index] })
      #expect(output.status == 0, "\(output.stderr)")
      #expect(output.stdout.split(separator: "\n").filter { $0.contains(#""status":"invited""#) }.count == 150)
    }
    let log = try Self.serverLog(sandbox)
    // 30 requests between them: never refused, and only possible in two minutes, so neither
    // process spent budget the other had used.
    #expect(log.refused == 0)
    #expect(log.posts == 30)
    let sorted = log.times.sorted()
    for (limit, span) in [(10, Int64(60_000)), (50, 600_000), (120, 3_600_000)] {
      for end in sorted.indices where end >= limit {
        #expect(sorted[end] - sorted[end - limit] >= span, "\(limit + 1) requests within \(span) ms")
      }
    }
    #expect(sorted.last! - sorted.first! >= 120_000)
    // The state database holds the log under a fingerprint, never the key.
    let database = try Data(contentsOf: URL(fileURLWithPath: state + "/nwsh/state.sqlite"))
    #expect(database.range(of: Data(sandbox.key.utf8)) == nil)
  }

  @Test("the example script invites the sample export on the built-in simulator, one result per row it keeps")
  func exampleScript() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let root = URL(fileURLWithPath: repositoryRoot)
    let csv = try String(contentsOf: root.appendingPathComponent("examples/summit-attendees.csv"), encoding: .utf8)
    let consenting = csv.split(separator: "\r\n").dropFirst().filter { $0.hasSuffix(",Yes") }.count
    let output = try Binary.run(
      [
        "--sandbox", root.appendingPathComponent("examples/onboard.nw").path,
        root.appendingPathComponent("examples/summit-attendees.csv").path,
      ],
      environment: ["XDG_STATE_HOME": state])
    let results = output.stdout.split(separator: "\n")
    #expect(results.count == consenting)
    let rows = results.compactMap { line -> Int? in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
      return (object["row"] as? NSNumber)?.intValue
    }
    #expect(Set(rows).count == consenting)
    // The sample has an invalid email and a missing name (exit 1: rows to fix), a member (skipped:
    // settled, already_member) and a duplicate (skipped). 50 to send at batch 25: 2 requests.
    #expect(output.status == 1)
    #expect(output.stderr.contains("53 rows (49 invited, 2 skipped, 2 invalid) in 2 requests"), "\(output.stderr)")
    // Again: everyone settled is skipped before batching, so not one request is spent.
    let again = try Binary.run(
      [
        "--sandbox", root.appendingPathComponent("examples/onboard.nw").path,
        root.appendingPathComponent("examples/summit-attendees.csv").path,
      ],
      environment: ["XDG_STATE_HOME": state])
    #expect(
      again.stderr.contains("53 rows (51 skipped, 2 invalid)") && !again.stderr.contains("request"), "\(again.stderr)")
    #expect(again.status == 1)  // the two rows to fix are still there to fix
    // With those two rows fixed (here: left out), both runs exit 0: settled is not a failure.
    let fixed = state + "/fixed.csv"
    let kept = csv.components(separatedBy: "\r\n").filter {
      !$0.contains("not-an-email") && !$0.contains("noah.nunez12")
    }
    try Data(kept.joined(separator: "\r\n").utf8).write(to: URL(fileURLWithPath: fixed))
    let fresh = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: fresh) }
    for round in 1...2 {
      let output = try Binary.run(
        ["--sandbox", root.appendingPathComponent("examples/onboard.nw").path, fixed],
        environment: ["XDG_STATE_HOME": fresh])
      #expect(output.status == 0, "round \(round): \(output.stderr)")
      if round == 2 { #expect(output.stderr.contains("51 rows (51 skipped), nothing to send"), "\(output.stderr)") }
    }
  }

  @Test("exit codes: 0 all done, 1 some failed, 64 usage, 77 no key or a refused key; dry run sends nothing")
  func exitCodes() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let env = ["XDG_STATE_HOME": state, "NETWORKED_API_KEY": ""]
    #expect(
      try Binary.run(["--sandbox", "-c", "read | invite"], stdin: Self.rows(0..<3), environment: env).status == 0)
    // A member is settled (exit 0); a role the server does not know fails (exit 1).
    let member = #"{"name":"G","email":"grace@example.com","tagId":"69baa36beddb9f0012fdf101"}"#
    #expect(try Binary.run(["--sandbox", "-c", "read | invite"], stdin: member, environment: env).status == 0)
    let failed = #"{"name":"G","email":"g@example.org","tagId":"000000000000000000000000"}"#
    #expect(try Binary.run(["--sandbox", "-c", "read | invite"], stdin: failed, environment: env).status == 1)
    let usage = try Binary.run(["--sandbox", "-c", "read | invite --batch-size 0"], stdin: "", environment: env)
    #expect(usage.status == 64 && usage.stderr.contains("--batch-size must be from 1 to 1000"))
    let noKey = try Binary.run(["-c", "read | invite"], stdin: Self.rows(0..<1), environment: env)
    #expect(noKey.status == 77 && noKey.stderr.contains("no API key"))
    let sandbox = try SandboxProcess()
    defer { _ = sandbox.stop() }
    let refused = try Binary.run(
      ["--base-url", sandbox.url, "-c", "read | invite"], stdin: Self.rows(0..<2),
      environment: ["XDG_STATE_HOME": state, "NETWORKED_API_KEY": "not-the-key-0000"])
    #expect(refused.status == 77)
    #expect(!refused.stdout.contains("not-the-key") && !refused.stderr.contains("not-the-key"))
    let postsBefore = try Self.serverLog(sandbox).posts
    let dry = try Binary.run(
      ["--base-url", sandbox.url, "--dry-run", "-c", "read | invite"], stdin: Self.rows(0..<250),
      environment: ["XDG_STATE_HOME": state, "NETWORKED_API_KEY": sandbox.key])
    #expect(dry.status == 0)
    #expect(dry.stdout.split(separator: "\n").count == 250)
    #expect(dry.stderr.contains("dry run: would take 3 requests"))
    #expect(try Self.serverLog(sandbox).posts == postsBefore)
  }
}

@Suite("nwsh command line (non-interactive)")
struct CommandLineTests {
  @Test("a shebang script with arguments, a program on stdin, -c; login from a pipe and whoami with a masked key")
  func scriptsAndLogin() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let env = [
      "HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state", "NETWORKED_API_KEY": "",
    ]
    let script = home + "/count.nw"
    try "#!/usr/bin/env nwsh\n# counts its arguments\n$ARGS.positional | length\n".write(
      toFile: script, atomically: true, encoding: .utf8)
    let fromScript = try Binary.run([script, "a", "b", "c"], environment: env)
    #expect(fromScript.stdout == "3\n" && fromScript.status == 0)
    let fromStdin = try Binary.run([], stdin: "range(2) | . * 10\n", environment: env)
    #expect(fromStdin.stdout == "0\n10\n")
    let syntax = try Binary.run(["-c", "read | mapp .a"], environment: env)
    #expect(syntax.status == 64 && syntax.stderr.contains("did you mean 'map'"))

    let sandbox = try SandboxProcess()
    defer { _ = sandbox.stop() }
    let login = try Binary.run(
      ["login", "--profile", "test", "--base-url", sandbox.url], stdin: sandbox.key + "\n", environment: env)
    #expect(login.status == 0, "\(login.stderr)")
    #expect(!login.stdout.contains(sandbox.key) && !login.stderr.contains(sandbox.key))
    let whoami = try Binary.run(["whoami", "--profile", "test"], environment: env)
    #expect(whoami.stdout.contains(#""profile":"test""#) && whoami.stdout.contains(sandbox.url))
    #expect(!whoami.stdout.contains(sandbox.key) && whoami.stdout.contains(String(sandbox.key.suffix(4))))
    // The stored profile carries its base URL: no --base-url needed.
    let roles = try Binary.run(["--profile", "test", "-c", "roles | count"], environment: env)
    #expect(roles.stdout == "7\n")
    let wrong = try Binary.run(
      ["login", "--profile", "bad", "--base-url", sandbox.url], stdin: "not-the-key-000\n", environment: env)
    #expect(wrong.status == 77 && wrong.stderr.contains("refused the key"), "\(wrong.stderr)")
  }

  @Test("the run options in any order and form; a bad choice, -c with a script and a missing value are usage errors")
  func runOptions() throws {
    #expect(try Binary.run(["-n", "--color=never", "-c", "{a:1}"]).stdout == "{\"a\":1}\n")
    #expect(try Binary.run(["-c", "{a:1}", "--color", "never", "-n"]).stdout == "{\"a\":1}\n")
    #expect(try Binary.run(["--strict", "-c", "read"], stdin: "{\"a\":1}\nnot json\n").status == 65)
    let both = try Binary.run(["--sandbox", "--base-url", "http://127.0.0.1:1", "-c", "1"])
    #expect(both.status == 64 && both.stderr.contains("give either --sandbox or --base-url"), "\(both.stderr)")
    let color = try Binary.run(["-c", "1", "--color", "sometimes"])
    #expect(color.status == 64 && color.stderr.contains("sometimes"), "\(color.stderr)")
    let script = try Binary.run(["-c", "1", "extra.nw"])
    #expect(script.status == 64 && script.stderr.contains("input files"), "\(script.stderr)")
    let missing = try Binary.run(["--profile"])
    #expect(missing.status == 64 && missing.stderr.contains("--profile"), "\(missing.stderr)")
  }

  @Test("shell completion: the scripts ask the binary, which completes options, subcommands, help names and values")
  func completionScripts() throws {
    let directory = temporaryDirectory("completion")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for shell in ["bash", "zsh", "fish"] {
      let output = try Binary.run(["--generate-completion-script", shell])
      #expect(output.status == 0 && output.stdout.contains("nwsh --complete"))
      // Each shell reads its script without a syntax error (-n: parse only; scripts/test
      // installs zsh and fish).
      let file = directory + "/nwsh." + shell
      try output.stdout.write(toFile: file, atomically: true, encoding: .utf8)
      let parsed = try Binary.run(["-n", file], executable: "/usr/bin/\(shell)")
      #expect(parsed.status == 0, "\(shell) -n: \(parsed.stderr)")
    }
    func complete(_ words: String...) throws -> [String] {
      try Binary.run(["--complete", String(words.count - 1)] + words).stdout.split(separator: "\n").map(String.init)
    }
    #expect(try complete("--sa") == ["--sandbox"])
    #expect(try complete("--sandbox", "jo") == ["journal", "__files__"])
    #expect(try complete("help", "inv") == ["invite"])
    #expect(try complete("journal", "--status", "").contains("unknown"))
    #expect(try complete("journal", "--st") == ["--state", "--status"])
    #expect(try complete("--color", "a") == ["always", "auto"])
    // A script path: the shell completes file names.
    #expect(try complete("").contains("__files__") && complete("").contains("reconcile"))
    #expect(try complete("--state", "").contains("__files__"))
    #expect(try complete("-L", "").contains("__files__"))
    // The words to complete are taken as they are, options and `--` too.
    #expect(try complete("--", "--sa") == ["__files__"])
    #expect(try complete("--generate-completion-script", "") == ["bash", "fish", "zsh"])
    // The packagers' options are read by the one reader: each stands alone, anywhere else refused.
    for arguments in [
      ["--generate-manual", "-c", "1"], ["-c", "1", "--generate-manual"], ["journal", "--generate-manual"],
      ["--generate-completion-script", "tcsh"], ["--generate-completion-script"], ["--generate-manual", "x.nw"],
      ["x.nw", "--complete", "0", "y"],
    ] {
      let refused = try Binary.run(arguments)
      #expect(refused.status == 64 && refused.stdout.isEmpty, "\(arguments): \(refused.stderr)")
    }
    #expect(try Binary.run(["--", "--generate-manual"]).stderr.contains("cannot read the script"))
    // An index past the words is the empty word after them, however large (no padding to it).
    let huge = try Binary.run(["--complete", "9223372036854775807", "--sandbox"])
    #expect(huge.status == 0 && huge.stdout.contains("journal"), "\(huge.stderr)")
    // What a packager writes must be written: a full disk is exit 74, not an empty man page.
    for options in ["--generate-manual", "--generate-completion-script bash", "--complete 0 --sa"] {
      let full = try Binary.run(["-c", "\"$0\" \(options) > /dev/full", Binary.path], executable: "/bin/sh")
      #expect(full.status == 74 && full.stderr.contains("cannot write"), "\(options): \(full.stderr)")
    }
  }

  @Test("the man page is generated from the program: every option, subcommand, pipeline command and exit status")
  func manualPage() throws {
    let page = try Binary.run(["--generate-manual"])
    #expect(page.status == 0)
    let lines = page.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix(".TH NWSH 1 ") == true)
    for section in [
      "NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "PIPELINE COMMANDS", "THE LANGUAGE", "MODULES", "ROLES AND PLANS",
      "RESULTS",
      "ERROR CODES", "EXAMPLES", "EXIT STATUS", "FILES",
    ] {
      #expect(lines.contains(".SH " + section), "\(section)")
    }
    // Each pipeline command `help` lists, each subcommand, each option of -c's command.
    let listing = try Binary.run(["-c", "help"]).stdout
    let commands = listing.split(separator: "\n").filter { $0.hasPrefix("  ") }
      .compactMap { $0.split(separator: " ").first.map(String.init) }
    #expect(commands.count > 15, "\(listing)")
    #expect(commands.contains("whoami") && commands.contains("invite"))
    for command in commands {
      #expect(lines.contains { $0.hasPrefix(".B " + command.replacingOccurrences(of: "-", with: "\\-")) }, "\(command)")
    }
    for subcommand in ["sandbox", "login", "whoami", "journal", "reconcile"] {
      #expect(lines.contains(".SS nwsh " + subcommand), "\(subcommand)")
    }
    for option in ["\\-c <program>", "\\-\\-sandbox", "\\-\\-dry\\-run", "\\-\\-version"] {
      #expect(lines.contains(".B " + option), "\(option)")
    }
    for status in [0, 1, 2, 64, 65, 77, 130] { #expect(lines.contains(".B \(status)")) }
    // The language, role() and plan(), every result status and every error code the README lists.
    for name in ["role(name)", "plan(name)", "invited", "skipped", "unknown"] {
      #expect(lines.contains(".B " + name), "the man page lacks \(name)")
    }
    let readme = try String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)
    let codes = readme.components(separatedBy: "### Error codes")[1].split(separator: "\n")
      .drop { !$0.hasPrefix("| `") }.prefix { $0.hasPrefix("|") }
      .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
    #expect(codes.count > 30)
    let entries = Set(lines)
    for code in codes { #expect(entries.contains(".B " + code), "the man page lacks the error code \(code)") }
    // Nothing the text says is read as a roff request.
    let requests: Set<String> = [".TH", ".SH", ".SS", ".TP", ".B", ".I", ".br", ".PP", ".RS", ".RE", ".nf", ".fi"]
    for line in lines where line.hasPrefix(".") || line.hasPrefix("'") {
      #expect(requests.contains(String(line.prefix { $0 != " " })), "\(line)")
    }
  }
}
