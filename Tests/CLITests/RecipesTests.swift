import Foundation
import TestSupport
import Testing

/// The README's recipes, run as written, on the built-in simulator; and the command line's jq
/// options, help, and a sandbox that remembers.
@Suite("recipes and the command line (binary)")
struct RecipesTests {
  static let root = repositoryRoot

  /// Runs nwsh in the repository with a state directory of its own and a virtual clock.
  static func nwsh(
    _ arguments: [String], stdin: String = "", state: String, environment: [String: String] = [:]
  ) throws -> Binary.Output {
    try Binary.run(
      ["-c", "cd \"$0\" && exec \"$@\"", root, Binary.path] + arguments, executable: "/bin/sh", stdin: stdin,
      environment: ["XDG_STATE_HOME": state, "NWSH_TEST_CLOCK": "virtual", "NETWORKED_API_KEY": ""].merging(
        environment
      ) { $1 })
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
      dry.stderr.contains("53 rows (50 planned, 1 skipped, 2 invalid); dry run: would take 2 requests"), "\(dry.stderr)"
    )
    let run = try Self.nwsh(["--sandbox", "examples/onboard.nw"], state: state)
    // The member is settled (skipped, already_member), like the duplicate row.
    #expect(Self.statuses(run) == ["invited": 49, "invalid": 2, "skipped": 2], "\(run.stdout)")
    #expect(Self.lines(run).contains { $0["reason"] as? String == "already_member" })
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
    // Everyone who agreed to be contacted, and nobody who declined.
    let csv = try String(contentsOfFile: Self.root + "/examples/summit-attendees.csv", encoding: .utf8)
    let declined = csv.split(separator: "\r\n").filter { $0.hasSuffix(",No") }
    #expect(declined.count == 7)
    let invited = Set(
      Self.lines(run).compactMap { $0["status"] as? String == "invited" ? $0["email"] as? String : nil })
    for row in declined {
      let email = row.split(separator: ",").first { $0.contains("@") }.map { $0.lowercased() } ?? ""
      #expect(!email.isEmpty && !invited.contains(email), "\(email) declined contact")
    }
    #expect(invited.count == 49)
  }

  @Test("3. retry the failed ones from a saved results file: the results are the rows, as they were sent")
  func retryFailed() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    // A first run against a server that is not there: every row fails, nothing carried out.
    let rows = InviteCLITests.rows(0..<3)
    let first = try Self.nwsh(
      ["--base-url", "http://127.0.0.1:9", "-c", #"read | invite --note "Hi \(.name)""#], stdin: rows, state: state,
      environment: ["NETWORKED_API_KEY": "first-run-key-0000"])
    #expect(first.status == 1 && Self.statuses(first) == ["failed": 3], "\(first.stdout)")
    #expect(Self.lines(first).allSatisfy { ($0["error"] as? [String: Any])?["retryable"] as? Bool == true })
    let results = state + "/results.jsonl"
    // As a run whose script named roles writes them: each result with its role's name.
    let named = first.stdout.replacingOccurrences(of: #","request":"#, with: #","role":"Member","request":"#)
    try Data(named.utf8).write(to: URL(fileURLWithPath: results))
    let retry = try Self.nwsh(["--sandbox", "examples/recipes/retry-failed.nw", results], state: state)
    #expect(retry.status == 0 && Self.statuses(retry) == ["invited": 3], "\(retry.stdout) \(retry.stderr)")
    // What was sent is what the first run meant to send: the same names, roles and notes.
    let sent = Self.lines(retry).map {
      "\($0["email"] ?? "") \($0["name"] ?? "") \($0["tagId"] ?? "") \($0["note"] ?? "")"
    }
    let meant = Self.lines(first).map {
      "\($0["email"] ?? "") \($0["name"] ?? "") \($0["tagId"] ?? "") \($0["note"] ?? "")"
    }
    #expect(sent == meant && sent.allSatisfy { $0.contains(" Hi ") }, "\(sent)")
    // Each says where its row first came from (not the results file), and its role by name.
    let places = Self.lines(retry).map { "\($0["source"] ?? "") \($0["line"] ?? "")" }
    #expect(places == Self.lines(first).map { "\($0["source"] ?? "") \($0["line"] ?? "")" }, "\(places)")
    #expect(places.allSatisfy { $0.hasPrefix("<stdin> ") }, "\(places)")
    #expect(Self.lines(retry).allSatisfy { $0["role"] as? String == "Member" }, "\(retry.stdout)")
    // Run again: all settled, nothing sent.
    let again = try Self.nwsh(["--sandbox", "examples/recipes/retry-failed.nw", results], state: state)
    #expect(Self.statuses(again) == ["skipped": 3] && again.stderr.contains("nothing to send"), "\(again.stderr)")
  }

  @Test("6. a per-role report from a results file, in one command (and nwsh report's own table)")
  func reportByRole() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let run = try Self.nwsh(["--sandbox", "examples/onboard.nw"], state: state)
    let results = state + "/results.jsonl"
    try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: results))
    let byRole = Self.lines(try Self.nwsh(["examples/recipes/report-by-role.nw", results], state: state))
    let member = try #require(byRole.first { $0["role"] as? String == "Member" })
    #expect(member["invited"] as? Int == 25 && member["rows"] as? Int == 25, "\(byRole)")
    let contributor = try #require(byRole.first { $0["role"] as? String == "Contributor" })
    #expect(contributor["invited"] as? Int == 6 && contributor["skipped"] as? Int == 1, "\(byRole)")
    // nwsh report: the same counts in one object (a pipe), from the file or the run's journal.
    let report = try #require(Self.lines(try Self.nwsh(["report", results], state: state)).first)
    #expect((report["role"] as? [String: [String: Int]])?["Member"] == ["invited": 25], "\(report)")
    #expect(report["status"] as? [String: Int] == ["invited": 49, "skipped": 2, "invalid": 2])
    let runID = try #require(Self.lines(run).compactMap { $0["run"] as? String }.first)
    #expect(run.stderr.contains("nwsh --sandbox report --run \(runID)"), "\(run.stderr)")
    let journal = try #require(Self.lines(try Self.nwsh(["--sandbox", "report", "--run", runID], state: state)).first)
    #expect(journal["status"] as? [String: Int] == ["invited": 49, "skipped": 1], "\(journal)")
    #expect((journal["role"] as? [String: [String: Int]])?["Contributor"] == ["invited": 6, "skipped": 1])
  }

  @Test("7. nudge those pending over a week: exactly the invitees the sandbox has not made members")
  func nudgePending() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let rows = InviteCLITests.rows(0..<30)
    let first = try Self.nwsh(
      ["--sandbox", "--accept-rate", "0.5", "--accept-after", "1d", "-c", "read | batch 25 | invite"], stdin: rows,
      state: state)
    #expect(Self.statuses(first) == ["invited": 30], "\(first.stderr)")
    // Eight days on (a clock that runs from eight days ahead).
    let later = ["NWSH_TEST_CLOCK": "scaled:\(Int(Date().timeIntervalSince1970) - 8 * 86_400):2"]
    let pending = Self.lines(try Self.nwsh(["--sandbox", "-c", "pending"], state: state, environment: later))
    let pendingEmails = Set(pending.compactMap { $0["email"] as? String })
    #expect(pendingEmails.count > 5 && pendingEmails.count < 25, "\(pendingEmails.count) of 30")
    #expect(pending.allSatisfy { ($0["days"] as? Double ?? 0) >= 8 && $0["invites"] as? Int == 1 })
    let nudge = try Self.nwsh(["--sandbox", "examples/recipes/nudge-pending.nw"], state: state, environment: later)
    let nudged = Self.lines(nudge)
    #expect(Set(nudged.compactMap { $0["email"] as? String }) == pendingEmails && nudge.status == 0, "\(nudge.stderr)")
    #expect(
      nudged.allSatisfy {
        $0["status"] as? String == "invited" && ($0["note"] as? String)?.hasPrefix("A reminder") == true
      })
    // Done: nobody is pending over a week now, so a second nudge sends nothing.
    let twice = try Self.nwsh(["--sandbox", "examples/recipes/nudge-pending.nw"], state: state, environment: later)
    #expect(Self.lines(twice).isEmpty && twice.status == 0, "\(twice.stdout)")
    let funnel = try #require(
      Self.lines(try Self.nwsh(["--sandbox", "report", "--funnel"], state: state, environment: later)).first)
    #expect(funnel["invited"] as? Int == 30 && funnel["pending"] as? Int == pendingEmails.count, "\(funnel)")
  }

  @Test("4. add directly with passwords from a vault file; no password is printed or kept")
  func addWithPasswords() throws {
    let state = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: state) }
    let run = try Self.nwsh(
      ["--sandbox", "--trace", "examples/recipes/add-with-passwords.nw", "examples/staff.csv", "examples/vault.jsonl"],
      state: state)
    // Every staff row has its line: Omar, with no vault entry, is invalid, not dropped.
    #expect(Self.statuses(run) == ["added": 3, "invalid": 1], "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains(#""email":"omar.haddad@example.org""#) && run.stdout.contains("missing_password"))
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
        "-n", "-c", "$who, $n + 1, $ARGS.named.who, $ARGS.positional, $note", "--arg", "who", "Ada", "--argjson", "n",
        "41",
        "--rawfile", "note",
        state + "/note.txt", "--args", "x", "y",
      ], state: state)
    #expect(named.stdout == "\"Ada\"\n42\n\"Ada\"\n[\"x\",\"y\"]\n\"hello\\n\"\n", "\(named.stderr)")
    #expect(try Self.nwsh(["-n", "-r", "-c", #""a", "b""#], state: state).stdout == "a\nb\n")
    #expect(try Self.nwsh(["-n", "-j", "-c", #""a", 1"#], state: state).stdout == "a1")
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
