import Foundation
import TestSupport
import Testing

/// The interactive shell on a real pseudo-terminal.
@Suite("the interactive shell (pseudo-terminal)", .serialized)
struct TerminalTests {
  static func home() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-home-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// A home of its own; `PAGER=cat`, so that what a test sees does not hang on how fast results
  /// came (the pager's own tests leave PAGER unset: `less`).
  static func environment(_ home: String, pager: String? = "cat") -> [String: String] {
    var environment = ["HOME": home, "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config"]
    environment["PAGER"] = pager
    return environment
  }

  @Test("a multi-line pipeline, recalled with the up arrow; non-ASCII survives; Ctrl-D exits 0")
  func multiLineAndHistory() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home))
    try shell.expect("nwsh sandbox> ")
    var mark = shell.mark
    shell.type("range(2) |\r")
    try shell.expect("…> ", after: mark)
    shell.type("map {n: ., who: \"Zoë Ñúñez\"}\r")
    let output = try shell.expect(inOrder: ["\"n\": 1", "nwsh sandbox> "], after: mark)
    #expect(output.contains("\"n\": 1"))
    #expect(output.contains("\"who\": \"Zoë Ñúñez\""))
    mark = shell.mark
    shell.type("\u{1B}[A")  // up arrow: the statement comes back on one line
    try shell.expect("range(2) | map {n: ., who: \"Zoë Ñúñez\"}", after: mark)
    mark = shell.mark
    shell.type("\r")
    let again = try shell.expect(inOrder: ["\"n\": 1", "nwsh sandbox> "], after: mark)
    #expect(again.contains("\"n\": 1"))
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
    let history = home + "/state/nwsh/history"
    let attributes = try FileManager.default.attributesOfItem(atPath: history)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    #expect(try String(contentsOfFile: history, encoding: .utf8).contains("Zoë Ñúñez"))
  }

  @Test("TAB completes a command, a flag and a field name seen in the last rows")
  func completion() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home))
    try shell.expect("nwsh sandbox> ")
    var mark = shell.mark
    shell.type("{first_name: \"Ada\", last_name: \"Lovelace\"}\r")
    try shell.expect(inOrder: ["Lovelace\"\r\n}", "nwsh sandbox> "], after: mark)
    // A command and a field: `ma⇥` → `map `, `.fi⇥` → `.first_name`; the line then runs.
    mark = shell.mark
    shell.type("{first_name: \"Grace\"} | ma\t.fi\t\r")
    let field = try shell.expect(inOrder: ["\r\n", "nwsh sandbox> "], after: mark)
    #expect(field.contains("\"Grace\""))
    // A flag: `--dr⇥` → `--dry-run `: the invite is only planned.
    mark = shell.mark
    shell.type(#"{name: "A", email: "a@example.org", tagId: "69baa36beddb9f0012fdf101"} | invite --dr"# + "\t\r")
    let flag = try shell.expect(
      inOrder: ["\"status\": \"planned\"", "dry run: would take", "nwsh sandbox> "], after: mark)
    #expect(flag.contains("\"status\": \"planned\""))
    // Several matches: TAB lists them.
    mark = shell.mark
    shell.type("s\t")
    let listing = try shell.expect("source", after: mark)
    #expect(listing.contains("save") && listing.contains("skip"))
    mark = shell.mark
    shell.type("\u{3}")  // cancel the line
    try shell.expect("^C", after: mark)
    try shell.expect("nwsh sandbox> ", after: mark)
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
  }

  @Test("Ctrl-C during a slow pipeline returns to the prompt with the finished rows reported")
  func interruptPipeline() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    // The default pager (less): a run that shows progress streams its results, unpaged.
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home, pager: nil))
    try shell.expect("nwsh sandbox> ")
    let mark = shell.mark
    // Ten requests go at once (the role lookup is one of them); the next must wait a minute.
    shell.type(
      #"range(12) | {name: "P\(.)", email: "p\(.)@example.org", tagId: role("member")} | invite --batch-size 1"# + "\r")
    try shell.expect("waiting for the rate window", after: mark)
    shell.type("\u{3}")
    let output = try shell.expect(inOrder: ["interrupted; the results above", "nwsh sandbox> "], after: mark)
    #expect(output.components(separatedBy: "\"status\": \"invited\"").count - 1 == 9)
    #expect(output.contains("\"reason\": \"interrupted\""))
    #expect(output.contains("interrupted; the results above"))
    // The live progress line is wiped before the next result is written.
    let afterWaiting = output.components(separatedBy: "waiting for the rate window").last ?? ""
    let beforeResult = afterWaiting.prefix { $0 != "{" }
    #expect(beforeResult.contains("\r\u{1B}[2K"), "\(beforeResult.debugDescription)")
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
  }

  @Test("Ctrl-C during `nwsh -c` on a terminal wipes the live progress line before saying so")
  func interruptClearsProgress() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let program =
      #"range(12) | {name: "P\(.)", email: "p\(.)@example.org", tagId: role("member")} | invite --batch-size 1"#
    let shell = try Terminal(["--sandbox", "-c", program], environment: Self.environment(home))
    let mark = shell.mark
    try shell.expect("waiting for the rate window", after: mark)
    shell.type("\u{3}")
    let output = try shell.expect("nwsh: interrupted", after: mark)
    let before = output.components(separatedBy: "nwsh: interrupted")[0]
    #expect(before.hasSuffix("\r\u{1B}[2K"), "\(before.suffix(40).debugDescription)")
    #expect(try shell.waitForExit() == 130)
  }

  @Test("login reads the key without echo, stores it 0600, and neither the key nor the line reaches the history")
  func login() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let sandbox = try SandboxProcess()
    defer { _ = sandbox.stop() }
    let shell = try Terminal(["--base-url", sandbox.url], environment: Self.environment(home))
    try shell.expect("nwsh 127.0.0.1> ")
    var mark = shell.mark
    shell.type("login\r")
    try shell.expect("(input hidden): ", after: mark)
    try shell.waitUntilEchoIsOff()
    mark = shell.mark
    shell.type(sandbox.key + "\r")
    try shell.expect("saved profile default", after: mark)
    try shell.expect("nwsh 127.0.0.1> ", after: mark)
    #expect(!shell.screen.contains(sandbox.key))
    mark = shell.mark
    shell.type("whoami | .source\r")
    try shell.expect(inOrder: ["profile default", "nwsh 127.0.0.1> "], after: mark)
    mark = shell.mark
    shell.type("roles | count\r")
    try shell.expect(inOrder: ["7", "nwsh 127.0.0.1> "], after: mark)
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
    let credentials = home + "/config/nwsh/credentials"
    #expect((try FileManager.default.attributesOfItem(atPath: credentials)[.posixPermissions] as? Int) == 0o600)
    let history = try String(contentsOfFile: home + "/state/nwsh/history", encoding: .utf8)
    #expect(!history.contains(sandbox.key) && !history.contains("login"))
    #expect(history.contains("roles | count"))
    #expect(
      (try FileManager.default.attributesOfItem(atPath: home + "/state/nwsh/history")[.posixPermissions] as? Int)
        == 0o600)
  }

  @Test(
    "results longer than the screen go through less; q returns to the prompt; set pager off and --no-pager print them")
  func pager() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home, pager: nil))
    try shell.expect("nwsh sandbox> ")
    try shell.waitUntilEditing()
    // One value of 62 lines on a 30-row screen: written at once, so paged whatever the timing.
    var mark = shell.mark
    shell.type("[range(60)]\r")
    let paged = try shell.expect("\r\n:", after: mark)
    #expect(paged.contains("27") && !paged.contains("59"), "\(paged)")
    mark = shell.mark
    shell.type("G")  // the end
    try shell.expect("59", after: mark)
    mark = shell.mark
    shell.type("q")
    try shell.expect("nwsh sandbox> ", after: mark)
    try shell.waitUntilEditing()
    // Quitting the pager ends the statement, as | head does: a billion values are not waited for.
    mark = shell.mark
    shell.type("range(1e9)\r")
    try shell.expect("\r\n:", after: mark)
    mark = shell.mark
    shell.type("q")
    try shell.expect("nwsh sandbox> ", after: mark)
    try shell.waitUntilEditing()
    mark = shell.mark
    shell.type("set pager off\r")
    try shell.expect("nwsh sandbox> ", after: mark)
    mark = shell.mark
    shell.type("[range(60)]\r")
    let whole = try shell.expect(inOrder: ["59\r\n]", "nwsh sandbox> "], after: mark)
    #expect(whole.contains("  0,"))
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)

    let unpaged = try Terminal(["--sandbox", "--no-pager"], environment: Self.environment(home, pager: nil))
    try unpaged.expect("nwsh sandbox> ")
    mark = unpaged.mark
    unpaged.type("[range(60)]\r")
    try unpaged.expect(inOrder: ["59\r\n]", "nwsh sandbox> "], after: mark)
    try unpaged.waitUntilEditing()
    unpaged.type("\u{4}")
    #expect(try unpaged.waitForExit() == 0)
  }

  @Test("TAB completes a quoted column name; Ctrl-R searches the history")
  func quotedColumnAndSearch() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home))
    try shell.expect("nwsh sandbox> ")
    var mark = shell.mark
    shell.type("{\"First Name\": \"Ada\", \"Last Name\": \"Lovelace\"}\r")
    try shell.expect(inOrder: ["Lovelace\"\r\n}", "nwsh sandbox> "], after: mark)
    try shell.waitUntilEditing()
    mark = shell.mark
    shell.type("{\"First Name\": \"Grace\"} | .\"Fi\t\r")
    // Completed, the line runs: the value alone (an unclosed `."Fi` would wait for more).
    try shell.expect(inOrder: ["\r\n\"Grace\"\r\n", "nwsh sandbox> "], after: mark)
    try shell.waitUntilEditing()
    mark = shell.mark
    shell.type("\u{12}")  // Ctrl-R
    try shell.expect("(reverse-i-search)", after: mark)
    mark = shell.mark
    shell.type("Grace")
    try shell.expect("First Name", after: mark)
    mark = shell.mark
    shell.type("\r")
    try shell.expect(inOrder: ["\"Grace\"", "nwsh sandbox> "], after: mark)
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
  }

  @Test("TERM=dumb: plain lines, no color, no escape sequences")
  func dumbTerminal() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    var environment = Self.environment(home)
    environment["TERM"] = "dumb"
    environment["NO_COLOR"] = ""
    let shell = try Terminal(["--sandbox"], environment: environment)
    let mark = shell.mark
    shell.type("{a: 1, b: \"x\"}\r")
    let output = try shell.expect("\"b\": \"x\"", after: mark)
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
    #expect(!shell.screen.contains("\u{1B}"), "\(shell.screen.debugDescription)")
    #expect(output.contains("\"a\": 1"))
  }

  @Test("a refused key stops each statement that would send, saying so each time (the REPL goes on)")
  func refusedKeyInTheShell() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let sandbox = try SandboxProcess()
    defer { _ = sandbox.stop() }
    var environment = Self.environment(home)
    environment["NETWORKED_API_KEY"] = "a-wrong-key-0000"
    let shell = try Terminal(["--base-url", sandbox.url], environment: environment)
    try shell.expect("nwsh 127.0.0.1> ")
    try shell.waitUntilEditing()
    var mark = shell.mark
    shell.type("roles | count\r")
    try shell.expect(inOrder: ["refused the key", "nwsh 127.0.0.1> "], after: mark)
    try shell.waitUntilEditing()
    // Later statements send nothing either, and say why: role() makes no request …
    mark = shell.mark
    shell.type(#"range(3) | {name: "P\(.)", email: "p\(.)@example.org", tagId: role("member")} | invite"# + "\r")
    try shell.expect(inOrder: ["refused the key", "nwsh 127.0.0.1> "], after: mark)
    try shell.waitUntilEditing()
    // … and rows give a result each, skipped (authentication_failed).
    mark = shell.mark
    shell.type(
      #"range(3) | {name: "P\(.)", email: "p\(.)@example.org", tagId: "69baa36beddb9f0012fdf101"} | invite"# + "\r")
    let third = try shell.expect(inOrder: ["refused the key", "nwsh 127.0.0.1> "], after: mark)
    #expect(third.components(separatedBy: "authentication_failed").count - 1 == 3, "\(third)")
    // The server heard one request in all: the first, refused.
    #expect(try InviteCLITests.serverLog(sandbox).times.count == 1)
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
    #expect(!shell.screen.contains("a-wrong-key"))
  }

  @Test("a PAGER that cannot run: the results are shown here, with a word about it")
  func brokenPager() throws {
    let home = Self.home()
    defer { try? FileManager.default.removeItem(atPath: home) }
    let shell = try Terminal(["--sandbox"], environment: Self.environment(home, pager: "no-such-pager-x"))
    try shell.expect("nwsh sandbox> ")
    try shell.waitUntilEditing()
    let mark = shell.mark
    shell.type("[range(60)]\r")
    let output = try shell.expect(inOrder: ["59\r\n]", "nwsh sandbox> "], after: mark)
    #expect(output.contains("  0,\r\n") && output.contains("could not run"), "\(output)")
    try shell.waitUntilEditing()
    shell.type("\u{4}")
    #expect(try shell.waitForExit() == 0)
  }
}
