import Foundation
import JQ
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

/// Results an admin can act on: re-runs that spend nothing on the settled, results that carry
/// the operation, `report`, and the funnel (`pending`, `funnel`) against a simulator whose
/// invitees join by themselves.
@Suite("results you can act on, and the funnel")
struct FunnelTests {
  @Test("301 rows with 280 settled: the 21 left go in one request at batch 25")
  func settledCostNothing() async throws {
    try await Harness.run { h in
      let first = try await h.run("read | batch 25 | invite", stdin: inviteRows(280))
      #expect(first.with(status: "invited").count == 280)
      let before = h.simulator.requestCount
      let again = try await h.run("read | batch 25 | invite", stdin: inviteRows(301))
      #expect(h.simulator.requestCount - before == 1, "\(again.stderr)")
      #expect(again.with(status: "invited").count == 21 && again.with(status: "skipped").count == 280)
      #expect(again.status == .success)
      #expect(again.stderr.contains("301 rows (21 invited, 280 skipped) in 1 request"), "\(again.stderr)")
    }
  }

  @Test("results and the journal carry what was sent: name, email, tagId and the role's name, note, plans")
  func resultsCarryTheOperation() async throws {
    try await Harness.run { h in
      let rows = """
        {"name":"Ada Lovelace","email":"ada@example.org","tagId":"\(Roles.moderator)","planIds":[]}
        {"name":"Bob","email":"bob@example.org","tagId":"\(Roles.member)"}

        """
      let outcome = try await h.run(#"roles | length; read | invite --note "Hi \(.name)""#, stdin: rows)
      let ada = try #require(outcome.results.first { $0["email"]?.stringValue == "ada@example.org" })
      #expect(ada["name"]?.stringValue == "Ada Lovelace" && ada["tagId"]?.stringValue == Roles.moderator)
      #expect(ada["role"]?.stringValue == "Moderator" && ada["note"]?.stringValue == "Hi Ada Lovelace")
      #expect(ada["planIds"] == .array([]))
      let journal = try await h.run("journal")
      let entry = try #require(journal.results.first { $0["email"]?.stringValue == "bob@example.org" })
      #expect(entry["name"]?.stringValue == "Bob" && entry["tagId"]?.stringValue == Roles.member)
      #expect(entry["note"]?.stringValue == "Hi Bob")
      // A results file is a valid input: the same rows again are settled, not re-sent.
      let before = h.simulator.requestCount
      let again = try await h.run("read | invite", stdin: outcome.stdout)
      #expect(again.with(status: "skipped").count == 2 && h.simulator.requestCount == before)
    }
  }

  @Test("a row that fails inside map keeps its input's email and line; input_line_number is the row's line")
  func failedMapKeepsTheEmail() async throws {
    try await Harness.run { h in
      let csv = "name,email,role\nAda,ada@example.org,Member\nBob,bob@example.org,\n"
      let outcome = try await h.run(
        "read --csv | map {name, email, tagId: role(.role), line: input_line_number} | invite --dry-run", stdin: csv)
      let bob = try #require(outcome.with(status: "invalid").first)
      #expect(bob["email"]?.stringValue == "bob@example.org" && bob["line"]?.doubleValue == 3, "\(bob)")
      let lines = try await h.run("read | input_line_number", stdin: "{}\n\n{}\n{}\n")
      #expect(lines.stdout == "1\n3\n4\n")
    }
  }

  @Test("report counts what the results hold, by status, reason, error code and role")
  func reportCounts() async throws {
    try await Harness.run { h in
      let rows =
        inviteRows(3) + """
          {"name":"Grace","email":"grace@example.com","tagId":"\(Roles.member)"}
          {"name":"","email":"x@example.org","tagId":"\(Roles.member)"}
          {"name":"Bad","email":"bad@example.org","tagId":"000000000000000000000000"}

          """
      let results = try await h.run("roles | empty; read | invite", stdin: rows)
      let report = try #require(try await h.run("read | report", stdin: results.stdout).results.first)
      #expect(report["rows"] == .number(6) && report["requests"] == .number(1))
      func counts(_ key: String) -> [String: Double] {
        guard case .object(let object)? = report[key] else { return [:] }
        return Dictionary(uniqueKeysWithValues: object.map { ($0.0, $0.1.doubleValue ?? -1) })
      }
      // With the roles known, the unknown role is refused before the request (invalid).
      #expect(counts("status") == ["invited": 3, "skipped": 1, "invalid": 2])
      #expect(counts("reason") == ["already_member": 1])
      #expect(counts("error") == ["missing_name": 1, "unknown_role": 1])
      #expect(report["role"]?["Member"]?["invited"] == .number(3), "\(report)")
      #expect(report["role"]?["Member"]?["skipped"] == .number(1), "\(report)")
      // The same, placed after the pipeline: the exit status still counts the invalid rows.
      let inline = try await h.run(
        "read | invite | report", stdin: rows.replacingOccurrences(of: "person", with: "other"))
      #expect(inline.results.count == 1 && inline.status == .someFailed)
    }
  }

  @Test(
    "with half the invitees joining after a day: pending lists exactly the others; pending | invite --reinvite nudges exactly them"
  )
  func funnel() async throws {
    let acceptance = Acceptance(rate: 0.5, after: 86_400_000)
    try await Harness.run(configure: { $0.acceptance = acceptance }) { h in
      let invited = try await h.run("read | batch 25 | invite", stdin: inviteRows(40))
      #expect(invited.with(status: "invited").count == 40)
      let emails = (0..<40).map { "person\($0)@example.org" }
      let joining = Set(emails.filter(acceptance.accepts))
      #expect(joining.count > 5 && joining.count < 35)  // the hash splits them, roughly in half
      // Before a day has passed nobody has joined.
      #expect(try await h.run("pending").results.count == 40)
      h.clock.advance(by: 8 * 86_400)
      let pending = try await h.run("pending --older-than 7d")
      let pendingEmails = Set(pending.results.compactMap { $0["email"]?.stringValue })
      #expect(pendingEmails == Set(emails).subtracting(joining))
      #expect(pending.results.allSatisfy { $0["days"]?.doubleValue ?? 0 >= 8 && $0["invites"] == .number(1) })
      let funnel = try #require(try await h.run("funnel").results.first)
      #expect(funnel["invited"] == .number(40) && funnel["joined"]?.doubleValue == Double(joining.count))
      #expect(funnel["pending"]?.doubleValue == Double(40 - joining.count))
      let ledger = h.simulator.ledger.count
      let nudge = try await h.run("pending --older-than 7d | invite --reinvite")
      #expect(Set(nudge.with(status: "invited").compactMap { $0["email"]?.stringValue }) == pendingEmails)
      #expect(Set(h.simulator.ledger.dropFirst(ledger).map(\.email)) == pendingEmails)
      #expect(h.simulator.ledger.count - ledger == pendingEmails.count)
      // Nudged just now: nobody is pending for over a week any more, and nobody is sent twice.
      #expect(try await h.run("pending --older-than 7d").results.isEmpty)
      #expect(try await h.run("pending").results.allSatisfy { $0["invites"] == .number(2) })
    }
  }
}
