import Foundation
import JQ
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

/// The fault matrix: each scenario, run then re-run (then reconcile and a last run when
/// something was left in doubt), ends with one result per row in every run, no email invited
/// twice, and everyone invited once.
@Suite("fault matrix")
struct FaultMatrixTests {
  struct Scenario: CustomStringConvertible, Sendable {
    var description: String
    var faults: [Fault]
    /// What the first run's rows must end as (besides invited).
    var firstRun: Set<String>
    var batchSize = 3
    var timeout = 10.0
    var exit: ShellCore.ExitStatus? = nil
  }

  /// An HTTP date `seconds` after the harness clock's start.
  static func httpDate(_ seconds: Double) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: Date(timeIntervalSince1970: VirtualClock().now + seconds))
  }

  static let scenarios: [Scenario] = [
    Scenario(
      description: "reset before sending (server did not act)", faults: [.closeBeforeActing], firstRun: ["unknown"]),
    Scenario(
      description: "reset after the server recorded the invite", faults: [.closeAfterActing], firstRun: ["unknown"]),
    Scenario(description: "500 without acting", faults: [.status(500)], firstRun: ["unknown"]),
    Scenario(description: "500 after acting", faults: [.statusAfterActing(500)], firstRun: ["unknown"]),
    Scenario(description: "502 after acting", faults: [.statusAfterActing(502)], firstRun: ["unknown"]),
    Scenario(description: "504 without acting", faults: [.status(504)], firstRun: ["unknown"]),
    Scenario(description: "503 Retry-After seconds", faults: [.unavailable(retryAfter: "20")], firstRun: []),
    Scenario(description: "503 Retry-After as a date", faults: [.unavailable(retryAfter: httpDate(45))], firstRun: []),
    Scenario(
      description: "503 Retry-After in the past", faults: [.unavailable(retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT")],
      firstRun: []),
    Scenario(
      description: "503 Retry-After huge (a day): fails, not sent", faults: [.unavailable(retryAfter: "86400")],
      firstRun: ["failed"], exit: .someFailed),
    Scenario(description: "429 with Retry-After", faults: [.rateLimited(retryAfter: "30")], firstRun: []),
    Scenario(description: "429 without Retry-After", faults: [.rateLimited(retryAfter: nil)], firstRun: []),
    Scenario(
      description: "timeout after the server recorded", faults: [.hangAfterActing], firstRun: ["unknown"], timeout: 1),
    Scenario(description: "truncated 200 body", faults: [.truncatedBody], firstRun: ["unknown"]),
    Scenario(
      description: "HTML 200 body",
      faults: [.body("<html><body>OK</body></html>", contentType: "text/html", acting: true)], firstRun: ["unknown"]),
    Scenario(
      description: "self-contradictory 200 body",
      faults: [
        .body(
          #"{"data":{"success":[{"email":"person0@example.org","data":{"inviteId":"x"}}],"failure":[{"email":"person0@example.org","error":{}}]},"error":false}"#,
          contentType: "application/json", acting: false)
      ],
      firstRun: ["unknown"]),
    Scenario(
      description: "401 mid-run", faults: [.delay(milliseconds: 1), .status(401)], firstRun: ["failed", "skipped"],
      exit: .authentication),
  ]

  @Test("run, re-run, reconcile: one result per row, nobody invited twice, everyone once", arguments: scenarios)
  func scenario(_ scenario: Scenario) async throws {
    try await Harness.run { h in
      for fault in scenario.faults { h.simulator.inject(fault, path: "/api/v1/admin/community/invites") }
      let rows = 7
      let input = inviteRows(rows)
      let first = await (try h.session(stdin: input, timeout: scenario.timeout)).run(
        "read | invite --batch-size \(scenario.batchSize)")
      #expect(first.results.count == rows, "\(scenario): \(first.stdout)")
      let statuses = Set(first.results.compactMap { $0["status"]?.stringValue }).subtracting(["invited"])
      #expect(statuses == scenario.firstRun, "\(scenario): \(first.stdout)")
      if let exit = scenario.exit { #expect(first.status == exit, "\(scenario)") }
      if scenario.firstRun.contains("unknown") { #expect(first.status == .someUnknown, "\(scenario)") }

      let rerun = try await h.run("read | invite", stdin: input)
      #expect(rerun.results.count == rows, "\(scenario)")
      #expect(
        !rerun.results.contains { $0["error"]?["code"]?.stringValue == "already_invited" }, "\(scenario): re-sent")
      _ = try await h.run("reconcile")
      let last = try await h.run("read | invite", stdin: input)
      #expect(last.results.allSatisfy { $0["reason"]?.stringValue == "already_invited" }, "\(scenario): \(last.stdout)")
      #expect(
        h.simulator.ledger.count == rows && ledgerCounts(h.simulator).values.allSatisfy { $0 == 1 }, "\(scenario)")
    }
  }
}
