import Foundation
import JQ
import NetworkedAPI
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

/// `reconcile` re-sends exactly what was in doubt, and never lets a re-run send a third time.
@Suite("reconcile: the same request again, and an honest reading of the answer")
struct ReconcileTests {
  static let plan = "6801f0c2a1b2c3d4e5f60001"
  static let addPath = "/api/v1/admin/community/addExternalUsers"
  static let invitePath = "/api/v1/admin/community/invites/emails"

  /// The POSTs the simulator received for `path`, bodies as text.
  static func posts(_ simulator: NetworkedSimulator, _ path: String) -> [String] {
    simulator.receivedRequests.filter { $0.method == "POST" && $0.target == path }.map(\.bodyText)
  }

  @Test("an in-doubt direct add with a password and a plan: needs the password; given it, the same form is re-sent")
  func directAdd() async throws {
    try await Harness.run { h in
      let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-vault-\(UUID().uuidString)")
        .path
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let row =
        #"{"name":"Dee Rect","email":"dee@example.org","roleId":"\#(Roles.member)","planId":"\#(Self.plan)","password":"pw-Vault-77"}"#
      h.simulator.inject(.status(504), path: Self.addPath)
      let first = try await h.run("read | add --method direct", stdin: row + "\n")
      #expect(first.with(status: "unknown").count == 1)
      let sent = Self.posts(h.simulator, Self.addPath)
      #expect(
        sent == [
          "email=dee%40example.org&name=Dee+Rect&password=pw-Vault-77&roleId=\(Roles.member)&planId=\(Self.plan)&method=2"
        ])

      // Without the password nothing is re-sent, and the person stays in doubt.
      let blind = try await h.run("reconcile")
      #expect(blind.results.count == 1)
      #expect(blind.results[0]["status"]?.stringValue == "unknown")
      #expect(blind.results[0]["error"]?["code"]?.stringValue == "needs_password")
      #expect(Self.posts(h.simulator, Self.addPath).count == 1)
      #expect(
        try await h.run("read | add --method direct", stdin: row + "\n").results[0]["reason"]?.stringValue == "in_doubt"
      )
      // Nothing went to the invites endpoint either (the old reconcile sent an invite there).
      #expect(Self.posts(h.simulator, Self.invitePath).isEmpty)

      try Data(#"{"email":"DEE@example.org","password":"pw-Vault-77"}"#.utf8).write(
        to: URL(fileURLWithPath: directory + "/vault.jsonl"))
      let settled = try await h.run("reconcile --passwords \(directory)/vault.jsonl")
      #expect(settled.results.map { $0["resolution"]?.stringValue } == ["sent_now"], "\(settled.stdout)")
      #expect(settled.results[0]["status"]?.stringValue == "added")
      #expect(Self.posts(h.simulator, Self.addPath).last == sent[0])
      #expect(h.simulator.ledger.map(\.method) == [2])
      #expect(h.simulator.ledger[0].planIds == [Self.plan] && h.simulator.ledger[0].passwordSet)
      // The journal keeps only that a password was set.
      let journal = try await h.run("journal")
      #expect(!journal.stdout.contains("pw-Vault-77") && journal.stdout.contains(#""password":"set""#))
    }
  }

  @Test("an add whose earlier request worked: the re-send's 409 settles it, as added")
  func directAddEarlierSucceeded() async throws {
    try await Harness.run { h in
      h.simulator.inject(.statusAfterActing(502), path: Self.addPath)
      let row = #"{"name":"Al Ready","email":"al@example.org","roleId":"\#(Roles.member)","password":"pw-x"}"#
      _ = try await h.run("read | add --method direct", stdin: row + "\n")
      let directory = FileManager.default.temporaryDirectory.path + "/nwsh-vault-\(UUID().uuidString).csv"
      defer { try? FileManager.default.removeItem(atPath: directory) }
      try Data("email,password\nal@example.org,pw-x\n".utf8).write(to: URL(fileURLWithPath: directory))
      let settled = try await h.run("reconcile --passwords \(directory)")
      #expect(
        settled.results.map { $0["resolution"]?.stringValue } == ["earlier_request_succeeded"], "\(settled.stdout)")
      #expect(settled.results[0]["status"]?.stringValue == "added")
      #expect(h.simulator.ledger.count == 1)
    }
  }

  @Test("an in-doubt invite with plans and a note is re-sent with the same plans and note")
  func invitePlans() async throws {
    try await Harness.run { h in
      h.simulator.inject(.status(500), path: Self.invitePath)
      let rows = #"{"name":"Pia","email":"pia@example.org","tagId":"\#(Roles.member)","note":"Hi Pia"}"# + "\n"
      let first = try await h.run("read | invite --plans \"\(Self.plan)\"", stdin: rows)
      #expect(first.with(status: "unknown").count == 1)
      let original = try #require(Self.posts(h.simulator, Self.invitePath).first)
      let settled = try await h.run("reconcile")
      #expect(settled.results.map { $0["resolution"]?.stringValue } == ["sent_now"])
      #expect(Self.posts(h.simulator, Self.invitePath) == [original, original])
      #expect(original.contains(#""monetizationPlanIds":["\#(Self.plan)"]"#) && original.contains(#""note":"Hi Pia""#))
      #expect(h.simulator.ledger.first?.planIds == [Self.plan])
    }
  }

  @Test("a re-send refused with an empty error {} stays in doubt: a plain re-run never sends a third time")
  func unclassifiedRefusal() async throws {
    try await Harness.run(configure: { $0.acceptsDuplicates = true }) { h in
      h.simulator.inject(.statusAfterActing(500), path: Self.invitePath)
      _ = try await h.run("read | invite", stdin: inviteRows(2))
      h.simulator.inject(.refuseEveryone(errorJSON: "{}"), path: Self.invitePath)
      let reconcile = try await h.run("reconcile")
      #expect(reconcile.results.count == 2)
      #expect(
        reconcile.results.allSatisfy {
          $0["status"]?.stringValue == "unknown" && $0["error"]?["code"]?.stringValue == "unclassified_refusal"
        }, "\(reconcile.stdout)")
      #expect(reconcile.status == .someUnknown)
      let rerun = try await h.run("read | invite", stdin: inviteRows(2))
      #expect(rerun.results.allSatisfy { $0["reason"]?.stringValue == "in_doubt" }, "\(rerun.stdout)")
      #expect(rerun.status == .someUnknown)
      // Sent once by the first run; the refused re-send did nothing; the re-run sent nothing.
      #expect(ledgerCounts(h.simulator) == ["person0@example.org": 1, "person1@example.org": 1])
      #expect(Self.posts(h.simulator, Self.invitePath).count == 2)
      // Later reconciles (and their dry runs) send nothing more: re-sent once, still in doubt.
      for program in ["reconcile --dry-run", "reconcile", "reconcile", "reconcile"] {
        let again = try await h.run(program)
        #expect(again.results.count == 2, "\(program): \(again.stdout)")
        #expect(
          again.results.allSatisfy {
            $0["status"]?.stringValue == "unknown" && $0["resolution"]?.stringValue == "not_resent"
              && $0["resent"] == .bool(true)
          }, "\(program): \(again.stdout)")
        #expect(again.status == .someUnknown)
      }
      #expect(Self.posts(h.simulator, Self.invitePath).count == 2, "no third request")
      // Asked to, reconcile re-sends once more (and the server, accepting duplicates, says sent).
      let asked = try await h.run("reconcile --again")
      #expect(asked.results.allSatisfy { $0["resolution"]?.stringValue == "sent_now" }, "\(asked.stdout)")
      #expect(Self.posts(h.simulator, Self.invitePath).count == 3)
      let after = try await h.run("reconcile")
      #expect(after.results.isEmpty, "settled: \(after.stdout)")
    }
  }

  @Test("a re-sent add answered as a duplicate (a success that says 'already'): settled by the earlier request")
  func duplicateSuccess() async throws {
    try await Harness.run { h in
      h.simulator.inject(.statusAfterActing(502), path: Self.addPath)
      let row = #"{"name":"Al Ready","email":"al@example.org","roleId":"\#(Roles.member)"}"#
      let first = try await h.run("read | add-users", stdin: row + "\n")
      #expect(first.with(status: "unknown").count == 1)
      h.simulator.inject(
        .body(
          #"{"error":false,"message":"User already invited to this community"}"#, contentType: "application/json",
          acting: false),
        path: Self.addPath)
      let settled = try await h.run("reconcile")
      #expect(
        settled.results.map { $0["resolution"]?.stringValue } == ["earlier_request_succeeded"], "\(settled.stdout)")
      #expect(settled.results[0]["status"]?.stringValue == "invited")
      #expect(h.simulator.ledger.count == 1)
      // An invite re-send refused with a message but no code says the same.
      h.simulator.inject(.statusAfterActing(500), path: Self.invitePath)
      _ = try await h.run("read | invite", stdin: inviteRows(1))
      h.simulator.inject(
        .refuseEveryone(errorJSON: #"{"message":"An invite was already sent to this email"}"#), path: Self.invitePath)
      let invite = try await h.run("reconcile")
      #expect(
        invite.results.map { $0["resolution"]?.stringValue } == ["earlier_request_succeeded"], "\(invite.stdout)")
    }
  }
}
