import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// The README runs as a test: every fenced block is run (against the sandbox, or the program's
/// own output), compared with the file it shows, or accounted for by name; the lines it shows
/// as output are compared with what nwsh prints, ids and times aside. A block the test does not
/// know fails it, so a README block can never drift from the program unnoticed.
@Suite("the README runs as written (binary, sandbox)")
struct ReadmeTests {
  /// A fenced block of the README: where it starts, its info string, its lines.
  struct Block: CustomStringConvertible {
    var line: Int
    var info: String
    var lines: [String]
    var text: String { lines.joined(separator: "\n") }
    var description: String { "README.md:\(line) (```\(info))" }
  }

  static func blocks() throws -> [Block] {
    let text = try String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)
    var blocks: [Block] = []
    var open: Block?
    for (index, line) in text.components(separatedBy: "\n").enumerated() {
      if line.hasPrefix("```") {
        if let block = open {
          blocks.append(block)
          open = nil
        } else {
          open = Block(line: index + 1, info: String(line.dropFirst(3)), lines: [])
        }
      } else if open != nil {
        open!.lines.append(line)
      }
    }
    return blocks
  }

  /// Text with what changes from run to run (ids, runs, times, ports, durations) made generic.
  static func normalized(_ text: String) -> String {
    var text = text
    let rules: [(String, String)] = [
      (#"\d{8}T\d{6}-[0-9a-f]{6}-\d+"#, "<run>"), (#"\b[0-9a-f]{24}\b"#, "<id>"), (#"\b1\d{12}\b"#, "<ms>"),
      (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, "<time>"), (#"127\.0\.0\.1:\d+"#, "127.0.0.1:<port>"),
      (#""ms":[0-9.]+"#, #""ms":<n>"#), (#"\b\d+h \d\dm\b|\b\d+m \d\ds\b|\b\d+s\b"#, "<duration>"),
    ]
    for (pattern, replacement) in rules {
      text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return text
  }

  /// Whether `shown` (a line the README shows, with `…` for what it leaves out) matches `line`.
  static func matches(_ shown: String, _ line: String) -> Bool {
    let pattern =
      "^"
      + normalized(shown).components(separatedBy: "…").map(NSRegularExpression.escapedPattern(for:)).joined(
        separator: ".*") + "$"
    return normalized(line).range(of: pattern, options: .regularExpression) != nil
  }

  /// The shown lines none of the printed lines match.
  static func unmatched(_ shown: [String], in printed: String) -> [String] {
    let lines = printed.components(separatedBy: "\n")
    return shown.filter { expected in !lines.contains { matches(expected, $0) } }
  }

  /// A place to run the README's commands: a copy of `examples/`, a state and config of its own,
  /// and `nwsh` on the PATH.
  final class Workspace {
    let directory: String
    var environment: [String: String]

    init() throws {
      directory = temporaryDirectory("readme")
      try FileManager.default.copyItem(atPath: repositoryPath("examples"), toPath: directory + "/examples")
      try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(atPath: directory + "/bin/nwsh", withDestinationPath: Binary.path)
      environment = [
        "PATH": directory + "/bin:/usr/bin:/bin", "HOME": directory, "XDG_STATE_HOME": directory + "/state",
        "XDG_CONFIG_HOME": directory + "/config", "NWSH_STATE": "", "NETWORKED_API_KEY": "", "NO_COLOR": "1",
      ]
    }

    /// The same files as `other`, with a state of its own (a sandbox that has seen nobody).
    init(sharing other: Workspace) {
      directory = other.directory
      environment = other.environment
      environment["XDG_STATE_HOME"] = temporaryDirectory("readme-state")
      owns = false
    }

    private var owns = true

    deinit {
      if owns {
        try? FileManager.default.removeItem(atPath: directory)
      } else if let state = environment["XDG_STATE_HOME"] {
        try? FileManager.default.removeItem(atPath: state)
      }
    }

    /// Runs `command` with `sh -c` in the workspace.
    func sh(_ command: String, stdin: String = "") throws -> Captured {
      try runProcess(
        "/bin/sh", ["-c", "cd \"$0\" && " + command, directory], stdin: stdin, environment: environment)
    }
  }

  /// A recipe's program as its file holds it: without the shebang, comments and blank lines.
  static func program(_ path: String) throws -> [String] {
    try String(contentsOfFile: repositoryPath(path), encoding: .utf8).components(separatedBy: "\n").filter {
      !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
    }
  }

  @Test("every block of the README is run, compared or accounted for; shown output matches what nwsh prints")
  func readme() async throws {
    let blocks = try Self.blocks()
    let workspace = try Workspace()
    // Every script in examples/, as the README would show it.
    var programs: [[String]: String] = [:]
    let examples = FileManager.default.enumerator(atPath: repositoryPath("examples"))
    while let name = examples?.nextObject() as? String {
      guard name.hasSuffix(".nw") else { continue }
      programs[try Self.program("examples/" + name)] = "examples/" + name
    }
    var checked: [String] = []
    var outputLines = 0
    var failures: [String] = []
    func check(_ condition: Bool, _ block: Block, _ message: @autoclosure () -> String) {
      if !condition { failures.append("\(block): \(message())") }
    }
    var lastRun: Captured?
    // The README's prose, its lines joined: a summary it quotes must be what nwsh says.
    let prose = try String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)
      .replacingOccurrences(of: "\n", with: " ")
    func says(_ run: Captured, _ summary: String, _ block: Block) {
      check(run.stderr.contains(summary), block, "stderr: \(run.stderr)")
      check(prose.contains(summary), block, "the README does not quote \(summary.debugDescription)")
      outputLines += 1
    }
    for block in blocks {
      let first = block.lines.first ?? ""
      switch (block.info, first) {
      case ("sh", let line) where line.hasPrefix("scripts/demo"):
        // The project's own scripts build and test the project: each named must be there to run.
        for line in block.lines {
          let script = String(line.prefix { $0 != " " })
          check(
            FileManager.default.isExecutableFile(atPath: repositoryPath(script)), block, "\(script) is not executable")
        }
      case ("sh", "swift build -c release"):
        // The binary under test stands for the release build; the sandbox run is the demo's.
        let run = try workspace.sh("nwsh --sandbox examples/onboard.nw")
        check(run.status == 1, block, "onboard.nw exited \(run.status): \(run.stderr)")
        lastRun = run
        says(run, "53 rows (49 invited, 2 skipped, 2 invalid) in 2 requests", block)
        let again = try workspace.sh("nwsh --sandbox examples/onboard.nw")
        says(again, "53 rows (51 skipped, 2 invalid), nothing to send", block)
        check(again.status == 1, block, "the re-run exits 1 (two invalid rows)")
      case ("json", _):
        guard let run = lastRun else {
          failures.append("\(block): no command before it")
          continue
        }
        let missing = Self.unmatched(block.lines, in: run.stdout)
        check(missing.isEmpty, block, "not printed: \(missing)")
        outputLines += block.lines.count
      case ("sh", let line) where line.hasPrefix("nwsh --sandbox examples/onboard.nw examples/summit-attendees.csv"):
        try? FileManager.default.removeItem(atPath: workspace.directory + "/state")
        let run = try workspace.sh(line)
        check(run.status == 1, block, "exit \(run.status): \(run.stderr)")
        let results = try String(contentsOfFile: workspace.directory + "/results.jsonl", encoding: .utf8)
        check(results.split(separator: "\n").count == 53, block, "results.jsonl has a line per row")
      case ("sh", let line) where line.hasPrefix("nwsh --sandbox examples/recipes/retry-failed.nw"):
        let run = try workspace.sh(line)
        check(run.status == 0, block, "exit \(run.status): \(run.stderr)")
        check(run.stdout.isEmpty, block, "nothing failed, so nothing to retry: \(run.stdout)")
      case ("", _) where programs[block.lines] == "examples/recipes/add-with-passwords.nw":
        let run = try workspace.sh(
          "nwsh --sandbox examples/recipes/add-with-passwords.nw examples/staff.csv examples/vault.jsonl")
        check(run.stdout.split(separator: "\n").count == 4, block, "every staff row has its line: \(run.stdout)")
        check(run.stdout.contains("missing_password"), block, run.stdout)
      case ("sh", let line) where line.hasPrefix("nwsh --sandbox --dry-run examples/onboard.nw"):
        // After recipe 1: everyone it settled is skipped, nothing planned.
        let after = try workspace.sh(line)
        check(after.status == 0 && after.stdout.isEmpty, block, "exit \(after.status): \(after.stdout)")
        says(after, "53 rows (51 skipped, 2 invalid); dry run: would take 0 requests", block)
        // On a sandbox that has not seen them (a state of its own, as after sandbox --reset).
        let fresh = Workspace(sharing: workspace)
        let run = try fresh.sh(line)
        check(run.status == 0, block, "exit \(run.status): \(run.stderr)")
        check(run.stdout.split(separator: "\n").count == 50, block, "50 planned rows: \(run.stdout)")
        says(run, "53 rows (50 planned, 1 skipped, 2 invalid); dry run: would take 2 requests", block)
      case ("sh", "nwsh report results.jsonl"):
        let report = try workspace.sh("nwsh report results.jsonl")
        check(report.status == 0 && report.stdout.contains(#""rows":53"#), block, report.stdout + report.stderr)
        let results = try String(contentsOfFile: workspace.directory + "/results.jsonl", encoding: .utf8)
        let run = results.range(of: #"\d{8}T\d{6}-[0-9a-f]{6}-\d+"#, options: .regularExpression).map {
          String(results[$0])
        }
        let fromJournal = try workspace.sh(
          block.lines[1].replacingOccurrences(
            of: #"\d{8}T\d{6}-[0-9a-f]{6}-\d+"#, with: run ?? "", options: .regularExpression))
        check(fromJournal.status == 0 && fromJournal.stdout.contains(#""invited":"#), block, fromJournal.stdout)
      case ("", _) where programs[block.lines] == "examples/recipes/report-by-role.nw":
        let run = try workspace.sh("nwsh examples/recipes/report-by-role.nw results.jsonl")
        check(run.status == 0 && run.stdout.contains(#""role":"Moderator""#), block, run.stdout + run.stderr)
      case ("", "$ nwsh --sandbox"):
        try interactiveShell(block, workspace, check)
        outputLines += 1
      case ("", _) where programs[block.lines] != nil:
        // A script shown as its file holds it (run by RecipesTests and the blocks around it).
        break
      case ("", _):
        failures.append("\(block): shows a program no file in examples/ holds as written")
        continue
      case ("sh", let line) where line.hasPrefix("export NWSH_STATE=postgres://"):
        try sharedState(block, workspace, check)
        outputLines += 1
      case ("sh", "nwsh -c 'read"):
        // The pipe at the front of a line goes on with the line before.
        let program = block.text.drop { $0 != "'" }.dropFirst().prefix { $0 != "'" }
        let export = (0..<4).map { index in
          #"{"first_name":"Ada \#(index)","last_name":"L","email":"ADA\#(index)@example.org","consent":"\#(index == 3 ? "no" : "yes")"}"#
        }.joined(separator: "\n")
        try export.write(toFile: workspace.directory + "/export.jsonl", atomically: true, encoding: .utf8)
        let run = try workspace.sh("nwsh --sandbox -c '\(program)' < export.jsonl")
        check(run.status == 0, block, "exit \(run.status): \(run.stderr)")
        check(run.stdout.components(separatedBy: #""status":"invited""#).count == 4, block, run.stdout)
      case ("sh", let line) where line.hasPrefix("nwsh -c 'PROGRAM'"):
        // Templates (PROGRAM, FILE…) but for the lines that run as written.
        for line in block.lines where line.hasPrefix("echo") || line.hasPrefix("nwsh help") {
          let command = String(line.prefix { $0 != "#" }).trimmingCharacters(in: .whitespaces)
          let run = try workspace.sh(command)
          check(run.status == 0, block, "\(command): \(run.stderr)")
          if line.hasPrefix("echo") { check(run.stdout == "0\n1\n2\n", block, "\(command): \(run.stdout)") }
        }
      case ("sh", "$ nwsh sandbox &"):
        try sandboxTranscript(block, workspace, check)
        outputLines += 1
      case ("swift", _):
        // Compiled by scripts/check-consumer, which builds the README's Swift block by version tag.
        let script = try String(contentsOfFile: repositoryPath("scripts/check-consumer"), encoding: .utf8)
        check(script.contains("README.md"), block, "scripts/check-consumer does not compile it")
      default:
        failures.append("\(block): a block the README test does not know (\(first))")
        continue
      }
      checked.append(block.description)
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    #expect(checked.count == blocks.count && blocks.count >= 19, "\(checked.count) of \(blocks.count) blocks")
    print("README: \(checked.count) blocks checked, \(outputLines) shown output lines compared")
  }

  /// The interactive shell, as the README shows it, on a pseudo-terminal.
  func interactiveShell(
    _ block: Block, _ workspace: Workspace, _ check: (Bool, Block, @autoclosure () -> String) -> Void
  )
    throws
  {
    // The shell starts in this package's directory (the tests' own), where examples/ is.
    // PAGER=cat: whether the results were paged (they came within the pager's patience) or
    // streamed, the screen is the same and nothing waits for a key.
    let terminal = try Terminal(["--sandbox"], environment: workspace.environment.merging(["PAGER": "cat"]) { $1 })
    let banner = block.lines[1]
    try terminal.expect(String(banner.prefix { $0 != "·" }))
    try terminal.waitUntilEditing()
    let typed = block.lines.dropFirst(2).map {
      $0.replacingOccurrences(of: "nwsh sandbox> ", with: "").replacingOccurrences(of: "           …> ", with: "")
    }
    let mark = terminal.screen.endIndex
    terminal.type(typed.joined(separator: "\r") + "\r")
    // (Recipe 1 invited them already: skipped as already_invited.)
    let shown = try terminal.expect(#""source": "examples/summit-attendees.csv""#, after: mark)
    check(shown.contains(#""reason": "already_invited""#), block, shown)
    try terminal.expect("nwsh sandbox> ", after: mark)
    try terminal.waitUntilEditing()
    terminal.type("\u{4}")
    check(try terminal.waitForExit() == 0, block, "the shell did not leave on Ctrl-D")
  }

  /// `nwsh state check` against a real PostgreSQL, as the README's shared-state block shows.
  func sharedState(_ block: Block, _ workspace: Workspace, _ check: (Bool, Block, @autoclosure () -> String) -> Void)
    throws
  {
    let server = try PostgresServer.start()
    defer { server.stop() }
    var environment = workspace.environment.merging(server.environment) { $1 }
    environment["NWSH_STATE"] = server.url()
    let run = try runProcess(Binary.path, ["state", "check"], environment: environment)
    let shown = block.lines[1].components(separatedBy: "# ").last ?? ""
    let keys = ["\"kind\":\"postgresql\"", "\"schema\":", "\"server\":\"PostgreSQL"]
    check(run.status == 0 && keys.allSatisfy(run.stdout.contains), block, run.stdout + run.stderr)
    check(
      shown.contains("\"kind\":\"postgresql\"") && shown.contains("\"schema\":4"), block,
      "the README shows \(shown)")
    check(run.stdout.contains(#""schema":4"#), block, run.stdout)
  }

  /// `nwsh sandbox &` and the docs' curl commands, as the README's simulator block shows them.
  func sandboxTranscript(
    _ block: Block, _ workspace: Workspace, _ check: (Bool, Block, @autoclosure () -> String) -> Void
  ) throws {
    let sandbox = try SandboxProcess(["--fresh"], environment: workspace.environment)
    defer { _ = sandbox.stop() }
    let lines = block.lines
    for (index, line) in lines.enumerated() where line.hasPrefix("$ curl") {
      let command = String(line.dropFirst(2).prefix { $0 != "#" }).replacingOccurrences(
        of: #"http://127\.0\.0\.1:\d+"#, with: sandbox.url, options: .regularExpression)
      let run = try workspace.sh(command)
      check(run.status == 0, block, "\(command): \(run.stderr)")
      if index + 1 < lines.count, !lines[index + 1].hasPrefix("$") {
        check(Self.matches(lines[index + 1], run.stdout.trimmingCharacters(in: .newlines)), block, run.stdout)
      }
    }
    check(Self.matches(lines[1], #"{"url":"\#(sandbox.url)","apiKey":"\#(sandbox.key)"}"#), block, lines[1])
  }
}
