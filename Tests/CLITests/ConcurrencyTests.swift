import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// Several nwsh processes on one state directory, against a server that does NOT refuse
/// duplicates: whatever nwsh sends twice, the ledger shows twice.
@Suite("claim before sending: processes racing on one state directory (binary)")
struct ConcurrencyTests {
  static let key = "race-test-key-0003"

  static func rows(_ range: Range<Int>) -> String {
    range.map { #"{"name":"R \#($0)","email":"r\#($0)@example.net","tagId":"69baa36beddb9f0012fdf101"}"# }
      .joined(separator: "\n") + "\n"
  }

  /// The `email` field of a result line.
  static func email(in line: Substring) -> String {
    guard let start = line.range(of: #""email":""#) else { return "" }
    return String(line[start.upperBound...].prefix { $0 != "\"" })
  }

  /// The top-level `status` of a result line (not a `status` inside its `error.answer`).
  static func status(in line: Substring) -> String? {
    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    return object?["status"] as? String
  }

  /// Runs the argument lists at the same time, each with its stdin.
  static func concurrently(_ runs: [([String], String)], environment: [String: String]) throws -> [Binary.Output] {
    let outputs = Locked<[Int: Binary.Output]>([:])
    DispatchQueue.concurrentPerform(iterations: runs.count) { index in
      let output = try? Binary.run(runs[index].0, stdin: runs[index].1, environment: environment)
      outputs.withLock { $0[index] = output }
    }
    return try (0..<runs.count).map { index in try #require(outputs.withLock { $0[index] }) }
  }

  static func careless() -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.rateWindows = []
    configuration.acceptsDuplicates = true
    return configuration
  }

  @Test("two processes with overlapping lists: every shared email is sent by exactly one of them", arguments: 0..<3)
  func twoInvitesRace(_ round: Int) async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      let environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      let program = "set rate-limits none; read | invite --batch-size \(round + 1)"
      let outputs = try Self.concurrently(
        [
          (["--base-url", simulator.baseURL, "-c", program], Self.rows(0..<40)),
          (["--base-url", simulator.baseURL, "-c", program], Self.rows(20..<60)),
        ], environment: environment)
      var invited: [String: Int] = [:]
      for output in outputs {
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 40, "every row gets one result: \(output.stderr)")
        for line in lines where line.contains(#""status":"invited""#) {
          invited[Self.email(in: line), default: 0] += 1
        }
        // A shared email the other process had: skipped as claimed by it or already invited.
        #expect(
          lines.allSatisfy {
            $0.contains(#""status":"invited""#) || $0.contains(#""reason":"claimed""#)
              || $0.contains(#""reason":"already_invited""#)
          }, "\(output.stdout)")
      }
      #expect(invited.count == 60 && invited.values.allSatisfy { $0 == 1 }, "\(invited.filter { $0.value != 1 })")
      let counts = ledgerCounts(simulator)
      let twice = counts.filter { $0.value > 1 }.map(\.key)
      let evidence = outputs.map { output in
        output.stdout.split(separator: "\n").filter { line in twice.contains { line.contains($0) } }.joined(
          separator: "\n")
          + "\n" + output.stderr
      }
      #expect(counts.count == 60 && twice.isEmpty, "sent twice: \(twice) \(evidence)")
    }
  }

  @Test("two reconciles at once: each in-doubt invite is re-sent once, not twice")
  func twoReconcilesRace() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      let environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      for _ in 0..<4 { simulator.inject(.statusAfterActing(500), path: "/api/v1/admin/community/invites") }
      let first = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "read | invite --batch-size 5"], stdin: Self.rows(0..<20),
        environment: environment)
      #expect(
        first.status == 2 && first.stdout.components(separatedBy: #""status":"unknown""#).count - 1 == 20,
        "\(first.stdout)")
      let outputs = try Self.concurrently(
        [(["reconcile", "--base-url", simulator.baseURL], ""), (["reconcile", "--base-url", simulator.baseURL], "")],
        environment: environment)
      let resent = outputs.map { $0.stdout.components(separatedBy: #""resolution":"sent_now""#).count - 1 }
      #expect(resent.reduce(0, +) == 20, "\(outputs.map(\.stdout))")
      // The original request and exactly one re-send each: never a third.
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 20 && counts.values.allSatisfy { $0 == 2 }, "\(counts)")
      // And nothing is left in doubt for a third reconcile to send.
      let third = try Binary.run(["reconcile", "--base-url", simulator.baseURL], environment: environment)
      #expect(third.stdout.isEmpty, "\(third.stdout)")
    }
  }

  @Test("a claim whose process was killed before sending is free again; one killed after its intent is in doubt")
  func deadClaims() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      let environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      // Killed after the first request's intent: rows 0–4 pending (in doubt), 5–9 only claimed.
      _ = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite --batch-size 5"],
        stdin: Self.rows(0..<10),
        environment: environment.merging(["NWSH_TEST_CRASH_AT": "after-intent"]) { $1 })
      #expect(simulator.ledger.isEmpty)
      let rerun = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite --batch-size 5"],
        stdin: Self.rows(0..<10),
        environment: environment)
      let lines = rerun.stdout.split(separator: "\n")
      #expect(lines.prefix(5).allSatisfy { $0.contains(#""reason":"in_doubt""#) }, "\(rerun.stdout)")
      #expect(lines.suffix(5).allSatisfy { $0.contains(#""status":"invited""#) }, "\(rerun.stdout)")
      #expect(rerun.status == 2)
    }
  }
}

/// Counts how many times each email was invited or added on the server.
func ledgerCounts(_ simulator: NetworkedSimulator) -> [String: Int] {
  var counts: [String: Int] = [:]
  for entry in simulator.ledger { counts[entry.email.lowercased(), default: 0] += 1 }
  return counts
}
