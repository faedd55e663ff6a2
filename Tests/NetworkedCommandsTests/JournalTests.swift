import Foundation
import JQ
import NetworkedAPI
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

@testable import NetworkedCommands

/// Counts how many times each email was invited or added on the server.
func ledgerCounts(_ simulator: NetworkedSimulator) -> [String: Int] {
  var counts: [String: Int] = [:]
  for entry in simulator.ledger { counts[entry.email.lowercased(), default: 0] += 1 }
  return counts
}

@Suite("journal: nothing lost, nobody invited twice")
struct JournalTests {
  @Test("a re-run skips emails already invited, with the earlier invite id; every result carries its run")
  func rerunSkips() async throws {
    try await Harness.run { h in
      let first = try await h.run("read | invite", stdin: inviteRows(5))
      #expect(first.with(status: "invited").count == 5)
      let second = try await h.run("read | invite", stdin: inviteRows(7))
      #expect(
        second.statusByRow == [
          1: "skipped", 2: "skipped", 3: "skipped", 4: "skipped", 5: "skipped", 6: "invited", 7: "invited",
        ])
      for (earlier, now) in zip(first.results, second.with(status: "skipped")) {
        #expect(now["reason"]?.stringValue == "already_invited")
        #expect(now["inviteId"]?.stringValue == earlier["inviteId"]?.stringValue)
        #expect(now["earlierRun"]?.stringValue == earlier["run"]?.stringValue)
      }
      let runs = Set((first.results + second.results).compactMap { $0["run"]?.stringValue })
      #expect(runs.count == 2)
      #expect(second.status == .success)
      #expect(ledgerCounts(h.simulator).values.allSatisfy { $0 == 1 } && h.simulator.ledger.count == 7)
      // --reinvite sends anyway, on purpose: the server itself answers already_invited.
      let again = try await h.run("read | invite --reinvite", stdin: inviteRows(1))
      #expect(again.results.first?["error"]?["code"]?.stringValue == "already_invited")
      // Invited with add too counts: add skips them.
      let add = try await h.run(#"{name: "P", email: "PERSON0@example.org", roleId: "\#(Roles.member)"} | add-users"#)
      #expect(add.results.first?["reason"]?.stringValue == "already_invited")
    }
  }

  @Test("journal lists what was done, by run")
  func journalListing() async throws {
    try await Harness.run { h in
      let run = try h.session(stdin: inviteRows(3))
      _ = await run.run("read | invite")
      let listing = await run.run("journal")
      #expect(listing.results.count == 3)
      #expect(listing.results.allSatisfy { $0["status"]?.stringValue == "invited" && $0["inviteId"] != nil })
      let perRun = await run.run("journal --runs")
      #expect(perRun.results.count == 1)
      #expect(perRun.results[0]["states"]?["invited"]?.doubleValue == 3)
      let id = try #require(perRun.results[0]["run"]?.stringValue)
      #expect(await run.run("journal --run \(id) --status invited").results.count == 3)
      #expect(await run.run("journal --status unknown").results.isEmpty)
    }
  }

  /// The faults after which the server has the invite but nwsh cannot know it.
  static let inDoubtFaults: [(String, Fault)] = [
    ("500 after acting", .statusAfterActing(500)),
    ("502 after acting", .statusAfterActing(502)),
    ("504 after acting", .statusAfterActing(504)),
    ("reset after the server recorded", .closeAfterActing),
    ("truncated body", .truncatedBody),
    ("HTML 200", .body("<html>ok</html>", contentType: "text/html", acting: true)),
  ]

  @Test(
    "in doubt after each fault: unknown, then skipped on a re-run, then settled by reconcile; never invited twice",
    arguments: 0..<6)
  func inDoubtThenReconcile(_ index: Int) async throws {
    let (name, fault) = Self.inDoubtFaults[index]
    try await Harness.run { h in
      h.simulator.inject(fault, path: "/api/v1/admin/community/invites")
      let first = try await h.run("read | invite", stdin: inviteRows(3))
      #expect(first.with(status: "unknown").count == 3, "\(name): \(first.stdout)")
      #expect(first.status == .someUnknown)
      let rerun = try await h.run("read | invite", stdin: inviteRows(4))
      #expect(rerun.statusByRow == [1: "skipped", 2: "skipped", 3: "skipped", 4: "invited"], "\(name)")
      #expect(rerun.with(status: "skipped").allSatisfy { $0["reason"]?.stringValue == "in_doubt" })
      let reconcile = try await h.run("reconcile")
      #expect(reconcile.results.count == 3, "\(name): \(reconcile.stdout)")
      #expect(
        reconcile.results.allSatisfy {
          $0["status"]?.stringValue == "invited" && $0["resolution"]?.stringValue == "earlier_request_succeeded"
        })
      // Settled: a third run skips them as invited, and reconcile finds nothing left.
      let third = try await h.run("read | invite", stdin: inviteRows(4))
      #expect(third.results.allSatisfy { $0["reason"]?.stringValue == "already_invited" })
      #expect(try await h.run("reconcile").results.isEmpty)
      #expect(ledgerCounts(h.simulator).values.allSatisfy { $0 == 1 }, "\(name)")
      #expect(h.simulator.ledger.count == 4)
    }
  }

  @Test("a request that never reached the server: reconcile sends it once (sent_now)")
  func neverArrived() async throws {
    try await Harness.run { h in
      // The body is unreadable but the server did not act: nwsh cannot tell, so: unknown.
      h.simulator.inject(
        .body("{not json", contentType: "application/json", acting: false), path: "/api/v1/admin/community/invites")
      let first = try await h.run("read | invite", stdin: inviteRows(2))
      #expect(first.with(status: "unknown").count == 2)
      #expect(h.simulator.ledger.isEmpty)
      let reconcile = try await h.run("reconcile")
      #expect(reconcile.results.map { $0["resolution"]?.stringValue } == ["sent_now", "sent_now"])
      #expect(ledgerCounts(h.simulator) == ["person0@example.org": 1, "person1@example.org": 1])
      let dry = try await h.run("reconcile --dry-run")
      #expect(dry.results.isEmpty)
    }
  }

  @Test("not sent at all (503, connection refused, 429 storms): failed or retried, and a re-run sends them")
  func notSentIsRetriable() async throws {
    try await Harness.run { h in
      // Six 429s in a row exhaust the per-request retries: the rows fail as rate_limited.
      for _ in 0..<6 { h.simulator.inject(.rateLimited(retryAfter: "5"), path: "/api/v1/admin/community/invites") }
      let first = try await h.run("read | invite", stdin: inviteRows(2))
      #expect(first.with(status: "failed").allSatisfy { $0["error"]?["code"]?.stringValue == "rate_limited" })
      #expect(h.simulator.ledger.isEmpty)
      // Not in doubt: the re-run sends them (no reconcile needed).
      let second = try await h.run("read | invite", stdin: inviteRows(2))
      #expect(second.with(status: "invited").count == 2)
      h.simulator.inject(
        .unavailable(retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"), path: "/api/v1/admin/community/invites")
      let third = try await h.run("read | invite", stdin: inviteRows(1, from: 10))
      #expect(third.with(status: "invited").count == 1)  // a date in the past: retried at once
      #expect(ledgerCounts(h.simulator).values.allSatisfy { $0 == 1 })
    }
  }

  @Test("a journal that cannot be written stops the sending: nothing goes out unrecorded")
  func journalUnwritable() async throws {
    try await Harness.run { h in
      let run = try h.session(stdin: inviteRows(40))
      // Fill the database's room: the next page it needs is refused, as on a full disk.
      try #require(run.connection.pacer().store.database as? SQLiteDatabase).simulateFullDisk()
      let outcome = await run.run("read | invite --batch-size 2")
      #expect(outcome.results.count == 40)
      #expect(
        outcome.results.allSatisfy { $0["status"]?.stringValue == "failed" || $0["status"]?.stringValue == "invited" })
      // Whatever went out was journalled first: every invite the server holds has its entry.
      let journalled = Set(
        try run.connection.pacer().store.journalEntries(scope: run.connection.pacer().scope, now: 0).map { $0.email })
      #expect(h.simulator.ledger.allSatisfy { journalled.contains($0.email) })
      #expect(outcome.with(status: "failed").allSatisfy { $0["error"]?["code"]?.stringValue == "journal_error" })
      #expect(!outcome.with(status: "failed").isEmpty)
    }
  }
}
