import Foundation
import JQ
import NetworkedAPI
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

/// The API commands inside pipelines: their results are rows, and no jq habit calls the API.
@Suite("API results compose")
struct ComposeTests {
  /// Two invitable rows, one already a member, one invalid.
  static let rows = """
    {"name":"New One","email":"new1@example.org","tagId":"\(Roles.member)"}
    {"name":"Grace","email":"grace@example.com","tagId":"\(Roles.member)"}
    {"name":"New Two","email":"new2@example.org","tagId":"\(Roles.member)"}
    {"name":"","email":"noname@example.org","tagId":"\(Roles.member)"}

    """

  @Test("invite | where | save keeps the retry list; count counts results; the exit status still counts every result")
  func resultsFlowOn() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-compose-\(UUID().uuidString)")
      .path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await Harness.run { h in
      let retry = try await h.run(
        #"read | invite | where .status != "invited" | save \#(directory)/retry.jsonl"#, stdin: Self.rows)
      #expect(retry.stdout.isEmpty, "\(retry.stdout)")
      let saved = try String(contentsOfFile: directory + "/retry.jsonl", encoding: .utf8).split(separator: "\n")
      #expect(saved.count == 2 && saved.allSatisfy { !$0.contains(#""status":"invited""#) })
      #expect(retry.status == .someFailed)  // filtered out, still counted (the invalid row)
      #expect(retry.stderr.contains("4 rows (2 invited, 1 skipped, 1 invalid)"), "\(retry.stderr)")
      let member = try #require(saved.first { $0.contains("grace@example.com") })
      #expect(member.contains(#""status":"skipped""#) && member.contains(#""reason":"already_member""#))
      let counted = try await h.run(
        "read | invite --dry-run | count", stdin: Self.rows.replacingOccurrences(of: "new", with: "other"))
      #expect(counted.stdout == "4\n")
      let planned = try await h.run(
        #"read | invite --dry-run | where .status == "planned" | .http.at"#,
        stdin: Self.rows.replacingOccurrences(of: "new", with: "plan"))
      // The member is settled since the first run: the journal skips her before any plan.
      #expect(planned.results.count == 2)
      #expect(h.simulator.ledger.count == 2)
    }
  }

  @Test("every jq builtin name as a stage sends no request at all")
  func builtinNamesNeverCallTheAPI() async throws {
    let names = Self.builtinNames()
    #expect(names.count > 150 && names.contains("add") && names.contains("join") && names.contains("map"))
    try await Harness.run { h in
      let run = try h.session(stdin: Self.rows)
      for name in names {
        _ = await run.run("read | \(name)")
        _ = await run.run("read | {name, email, roleId: .tagId} | \(name)")
      }
      #expect(h.simulator.requestCount == 0, "requests: \(h.simulator.receivedRequests.map(\.target))")
      // With a flag, add is still the command; written add-users it always is.
      #expect(try await h.run("read | add-users --dry-run", stdin: Self.rows).with(status: "planned").count == 3)
      #expect(try await h.run("read | add --dry-run", stdin: Self.rows).with(status: "planned").count == 3)
    }
  }

  @Test("invite only the people who are not members yet: let the members, anti-join, invite")
  func antiJoinRecipe() async throws {
    try await Harness.run { h in
      let program = """
        let members = members | .email | ascii_downcase
        read | join $members --on (.email | ascii_downcase) --anti | invite
        """
      let outcome = try await h.run(program, stdin: Self.rows)
      #expect(
        outcome.with(status: "invited").map { $0["email"]?.stringValue } == ["new1@example.org", "new2@example.org"])
      #expect(!outcome.results.contains { $0["email"]?.stringValue == "grace@example.com" })
      #expect(h.simulator.ledger.map(\.email) == ["new1@example.org", "new2@example.org"])
    }
  }

  @Test("the result schema over a messy CSV: every line has row and status, op, email where known, error objects")
  func resultSchema() async throws {
    try await Harness.run { h in
      let csv = """
        name,email,tagId
        Ada,ada@example.org,\(Roles.member)
        Ada again,ADA@example.org,\(Roles.member)
        "Broken,quote@example.org,\(Roles.member)
        Grace,grace@example.com,\(Roles.member)
        Short row
        Bell\u{7},bell@example.org,\(Roles.member)
        No Role,norole@example.org,
        Zed,zed@example.org,\(Roles.member)

        """
      let outcome = try await h.run("read --csv | invite", stdin: csv)
      #expect(outcome.results.count == 8, "\(outcome.stdout)")
      for result in outcome.results {
        #expect(result["row"]?.doubleValue != nil && result["status"]?.stringValue != nil, "\(result)")
        #expect(result["op"]?.stringValue != nil, "\(result)")
        if let error = result["error"] {
          #expect(error["code"]?.stringValue != nil && error["message"]?.stringValue != nil, "\(result)")
        }
        if result["op"]?.stringValue == "invite" { #expect(result["run"]?.stringValue != nil && result["line"] != nil) }
      }
      #expect(Set(outcome.results.compactMap { $0["row"]?.doubleValue }).count == 8)
      #expect(outcome.stderr.contains("8 rows (2 invited, 2 skipped, 4 invalid)"), "\(outcome.stderr)")
      #expect(outcome.status == .someFailed)
    }
  }
}

extension ComposeTests {
  /// The names of every builtin (`builtins`, without arities).
  static func builtinNames() -> [String] {
    guard let values = try? JQProgram("builtins").outputs(.null), case .array(let items)? = values.first
    else { return [] }
    return Array(Set(items.compactMap { $0.stringValue?.split(separator: "/").first.map(String.init) })).sorted()
  }
}
