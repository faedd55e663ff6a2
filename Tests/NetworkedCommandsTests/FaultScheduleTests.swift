import Foundation
import JQ
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import TestSupport
import Testing

/// Random fault schedules: whatever goes wrong, each run gives one result per row, no email is
/// ever invited twice, and run → re-run → reconcile → re-run ends with everyone invited once.
/// A failing seed replays alone with NWSH_FAULT_SEED=<seed>.
@Suite("random fault schedules")
struct FaultScheduleTests {
  typealias Generator = SplitMix64

  static var seeds: [UInt64] {
    if let text = ProcessInfo.processInfo.environment["NWSH_FAULT_SEED"], let seed = UInt64(text) { return [seed] }
    return Array(20_261_122..<20_261_122 + 24)
  }

  static func fault(_ random: inout Generator) -> Fault {
    switch Int.random(in: 0..<12, using: &random) {
    case 0: return .statusAfterActing(500)
    case 1: return .statusAfterActing([502, 504].randomElement(using: &random)!)
    case 2: return .status(500)
    case 3: return .closeAfterActing
    case 4: return .closeBeforeActing
    case 5: return .truncatedBody
    case 6:
      return .rateLimited(retryAfter: [nil, "0", "7", "Wed, 21 Oct 2015 07:28:00 GMT"].randomElement(using: &random)!)
    case 7: return .unavailable(retryAfter: ["3", "120"].randomElement(using: &random)!)
    case 8: return .body("<html>502 Bad Gateway</html>", contentType: "text/html", acting: Bool.random(using: &random))
    case 9:
      return .body(
        #"{"data":{"success":[],"failure":[]},"error":false}"#, contentType: "application/json", acting: true)
    case 10: return .status(401)
    default: return .delay(milliseconds: 1)
    }
  }

  @Test("one result per row each run, never an email twice, everyone invited once in the end", arguments: seeds)
  func schedule(_ seed: UInt64) async throws {
    var random = Generator(seed: seed)
    let rows = Int.random(in: 3...40, using: &random)
    let batch = Int.random(in: 1...12, using: &random)
    let faults = (0..<Int.random(in: 1...8, using: &random)).map { _ in Self.fault(&random) }
    try await Harness.run { h in
      for fault in faults { h.simulator.inject(fault, path: "/api/v1/admin/community/invites") }
      let input = inviteRows(rows)
      // Faults are finite: a few rounds of reconcile settle whatever they left in doubt (a
      // re-send that stays in doubt is sent again only when asked: --again).
      let steps =
        ["read | invite --batch-size \(batch)", "read | invite", "reconcile"]
        + Array(repeating: "reconcile --again", count: 4) + ["read | invite"]
      var last: Harness.Outcome?
      for step in steps {
        let outcome = try await h.run(step, stdin: input)
        if !step.hasPrefix("reconcile") {
          #expect(
            outcome.results.count == rows, "seed \(seed), \(step): \(outcome.results.count) results for \(rows) rows")
          #expect(Set(outcome.results.compactMap { $0["row"]?.doubleValue }).count == rows, "seed \(seed), \(step)")
          // The server never sees an invite run re-send an email it already has (the ledger
          // alone could not show it: the server refuses the duplicate).
          #expect(
            !outcome.results.contains { $0["error"]?["code"]?.stringValue == "already_invited" },
            "seed \(seed), \(step): re-sent an email the server already had")
        }
        #expect(
          ledgerCounts(h.simulator).values.allSatisfy { $0 == 1 }, "seed \(seed), \(step): an email invited twice")
        last = outcome
      }
      #expect(last?.results.allSatisfy { ["invited", "skipped"].contains($0["status"]?.stringValue ?? "") } == true)
      #expect(
        h.simulator.ledger.count == rows,
        "seed \(seed): \(h.simulator.ledger.count) of \(rows) invited in the end; faults \(faults)")
    }
  }
}
