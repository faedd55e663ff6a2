import Foundation
import TestSupport
import Testing

/// The README's recipes, run as written, on the built-in simulator; and the command line's jq
/// options, help, and a sandbox that remembers.
@Suite("recipes and the command line (binary)")
struct RecipesTests {
  static let root = repositoryRoot

  /// Runs nwsh in the repository with a state directory of its own and a virtual clock.
  static func nwsh(_ arguments: [String], stdin: String = "", state: String) throws -> Binary.Output {
    try Binary.run(
      ["-c", "cd \"$0\" && exec \"$@\"", root, Binary.path] + arguments, executable: "/bin/sh", stdin: stdin,
      environment: ["XDG_STATE_HOME": state, "NWSH_TEST_CLOCK": "virtual", "NETWORKED_API_KEY": ""])
  }

  static func lines(_ output: Binary.Output) -> [[String: Any]] {
    output.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }

  static func statuses(_ output: Binary.Output) -> [String: Int] {
    var counts: [String: Int] = [:]
    for line in lines(output) { counts[line["status"] as? String ?? "?", default: 0] += 1 }
    return counts
  }

  @Test("1. invite from a CSV with roles by ticket type; 5. the same as a dry run, with the requests and the ETA")
  func inviteByTicketType() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let dry = try Self.nwsh(["--sandbox", "--dry-run", "examples/onboard.nw"], state: state)
    let planned = Self.lines(dry).filter { $0["status"] as? String == "planned" }
    #expect(planned.count == 50)  // the member among them is found out only by sending
    let http = try #require(planned.first?["http"] as? [String: Any])
    #expect(http["url"] as? String != nil && http["at"] as? String != nil && http["method"] as? String == "POST")
    #expect(
      dry.stderr.contains("53 rows (50 planned, 1 skipped, 2 invalid); dry run: would take 3 requests"), "\(dry.stderr)"
    )
    let run = try Self.nwsh(["--sandbox", "examples/onboard.nw"], state: state)
    #expect(Self.statuses(run) == ["invited": 49, "failed": 1, "invalid": 2, "skipped": 1], "\(run.stdout)")
    // Roles by ticket type: a Speaker is a Contributor, Staff a Moderator.
    let journal = try Self.nwsh(["journal", "--sandbox"], state: state)
    #expect(Self.lines(journal).count == 50)
  }

  @Test("2. invite only the people who are not members yet")
  func inviteNonMembers() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let run = try Self.nwsh(
      ["--sandbox", "examples/recipes/invite-non-members.nw", "examples/summit-attendees.csv"], state: state)
    #expect(!run.stdout.contains("grace@example.com"), "the member is joined away: \(run.stdout)")
    #expect(Self.statuses(run)["failed"] == nil)
    #expect((Self.statuses(run)["invited"] ?? 0) > 50)
  }

  @Test("3. retry the failed ones from a saved results file")
  func retryFailed() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let first = try Self.nwsh(["--sandbox", "examples/onboard.nw"], state: state)
    let results = state + "/results.jsonl"
    try Data(first.stdout.utf8).write(to: URL(fileURLWithPath: results))
    let retry = try Self.nwsh(
      ["--sandbox", "examples/recipes/retry-failed.nw", "examples/summit-attendees.csv", results], state: state)
    let emails = Self.lines(retry).compactMap { $0["email"] as? String }
    // Only the failed and invalid rows of the first run come back; nobody invited is re-sent.
    #expect(Set(emails) == ["grace@example.com", "not-an-email", "noah.nunez12@example.com"], "\(retry.stdout)")
  }

  @Test("4. add directly with passwords from a vault file; no password is printed or kept")
  func addWithPasswords() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let run = try Self.nwsh(
      ["--sandbox", "--trace", "examples/recipes/add-with-passwords.nw", "examples/staff.csv", "examples/vault.jsonl"],
      state: state)
    #expect(Self.statuses(run) == ["added": 3], "\(run.stdout)\(run.stderr)")
    #expect(!run.stdout.contains("demo-only") && !run.stderr.contains("demo-only"))
    #expect(run.stderr.contains("password=<redacted>"))
    let journal = try Self.nwsh(["journal", "--sandbox"], state: state)
    #expect(journal.stdout.components(separatedBy: #""password":"set""#).count - 1 == 3)
    let files = FileManager.default.enumerator(atPath: state)?.compactMap { $0 as? String } ?? []
    for file in files {
      let data = (try? Data(contentsOf: URL(fileURLWithPath: state + "/" + file))) ?? Data()
      #expect(data.range(of: Data("demo-only".utf8)) == nil, "\(file)")
    }
  }

  @Test("the sandbox remembers: a re-run skips those invited before; journal, reconcile and --reset work with it")
  func sandboxRemembers() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let rows = InviteCLITests.rows(0..<3)
    #expect(
      Self.statuses(try Self.nwsh(["--sandbox", "-c", "read | invite"], stdin: rows, state: state)) == ["invited": 3])
    let again = try Self.nwsh(["--sandbox", "-c", "read | invite"], stdin: rows, state: state)
    #expect(Self.lines(again).allSatisfy { $0["reason"] as? String == "already_invited" }, "\(again.stdout)")
    // Even with the journal overruled, the sandbox's community knows them.
    let reinvite = try Self.nwsh(["--sandbox", "-c", "read | invite --reinvite"], stdin: rows, state: state)
    #expect(
      Self.lines(reinvite).allSatisfy { ($0["error"] as? [String: Any])?["code"] as? String == "already_invited" })
    #expect(Self.lines(try Self.nwsh(["journal", "--sandbox", "--status", "invited"], state: state)).count == 3)
    // The subcommand's values reach the library as values: a run id that looks like more flags
    // is one (unknown) run id, and a bad state is a usage error naming the states.
    let odd = try Self.nwsh(["journal", "--sandbox", "--run", "x --runs | count"], state: state)
    #expect(odd.status == 0 && odd.stdout.isEmpty, "\(odd.stdout) \(odd.stderr)")
    let bogus = try Self.nwsh(["journal", "--sandbox", "--status", "bogus"], state: state)
    #expect(bogus.status == 64 && bogus.stderr.contains("the states are"), "\(bogus.stderr)")
    let perRun = Self.lines(try Self.nwsh(["journal", "--sandbox", "--runs"], state: state))
    #expect(perRun.count == 2, "one row per run that sent: the first invite and the --reinvite run")
    #expect(try Self.nwsh(["reconcile", "--sandbox"], state: state).status == 0)
    let vault = try Self.nwsh(["reconcile", "--sandbox", "--passwords", "no-such-vault.csv"], state: state)
    #expect(vault.status == 64 && vault.stderr.contains("no-such-vault.csv"), "\(vault.stderr)")
    let reset = try Self.nwsh(["sandbox", "--reset"], state: state)
    #expect(reset.stderr.contains("forgot"))
    #expect(
      Self.statuses(try Self.nwsh(["--sandbox", "-c", "read | invite"], stdin: rows, state: state)) == ["invited": 3])
  }

  @Test("jq's options: --arg, --argjson, --args, --rawfile, -r, -j")
  func jqOptions() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    try Data("hello\n".utf8).write(to: URL(fileURLWithPath: state + "/note.txt"))
    let named = try Self.nwsh(
      [
        "-c", "$who, $n + 1, $ARGS.named.who, $ARGS.positional, $note", "--arg", "who", "Ada", "--argjson", "n", "41",
        "--rawfile", "note",
        state + "/note.txt", "--args", "x", "y",
      ], state: state)
    #expect(named.stdout == "\"Ada\"\n42\n\"Ada\"\n[\"x\",\"y\"]\n\"hello\\n\"\n", "\(named.stderr)")
    #expect(try Self.nwsh(["-r", "-c", #""a", "b""#], state: state).stdout == "a\nb\n")
    #expect(try Self.nwsh(["-j", "-c", #""a", 1"#], state: state).stdout == "a1")
    #expect(
      try Self.nwsh(["-c", "read | .email", "-r"], stdin: InviteCLITests.rows(0..<1), state: state).stdout
        == "p0@example.net\n")
    let bad = try Self.nwsh(["-c", "1", "--argjson", "x", "{nope"], state: state)
    #expect(bad.status == 64 && bad.stderr.contains("not JSON"))
  }

  @Test("help reaches everything: nwsh help COMMAND, help FUNCTION, nwsh --help")
  func help() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let invite = try Self.nwsh(["help", "invite"], state: state)
    #expect(invite.stdout.hasPrefix("invite [--batch-size N]") && invite.stdout.contains("Examples:"))
    #expect(try Self.nwsh(["help", "select"], state: state).stdout.contains("select(f): the input if f is true"))
    #expect(try Self.nwsh(["help", "role"], state: state).stdout.contains("role(name): the tagId"))
    #expect(try Self.nwsh(["-c", "help plan"], state: state).stdout.contains("plan(name): the id"))
    let map = try Self.nwsh(["help", "map"], state: state).stdout
    #expect(map.contains("map EXPR") && map.contains("map(f): [.[] | f]"))
    let top = try Self.nwsh(["--help"], state: state).stdout
    #expect(top.contains("-c <program>") && top.contains("--sandbox") && top.contains("--arg NAME VALUE"))
    let unknown = try Self.nwsh(["-c", "help selct"], state: state)
    #expect(unknown.status == 64 && unknown.stderr.contains("did you mean 'select'?"))
  }
}
