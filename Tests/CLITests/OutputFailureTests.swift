import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// Results that cannot be written stop the run: a full disk or an I/O error says so and exits
/// 74; a reader that went away (`| head`) ends it quietly (141). Nothing is sent after that,
/// and the journal can print the run's results again.
@Suite("output that cannot be written fails the run (binary)")
struct OutputFailureTests {
  static let key = "output-test-key-0007"

  static func simulator() -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.rateWindows = []
    return configuration
  }

  @Test("results to a full disk: stopped after the first request, exit 74, said on stderr, journal has the results")
  func fullDisk() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.simulator()) { simulator in
      let environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      let output = try runProcess(
        "/bin/sh",
        [
          "-c", "exec \"$0\" \"$@\" > /dev/full", Binary.path, "--base-url", simulator.baseURL, "-c",
          "read | invite --batch-size 10",
        ], stdin: ConcurrencyTests.rows(0..<200), environment: environment)
      #expect(output.status == 74, "\(output.stderr)")
      #expect(output.stderr.contains("cannot write the results (No space left on device)"), "\(output.stderr)")
      // Nothing more was sent once the first answer's results could not be written.
      #expect(simulator.ledger.count == 10, "\(simulator.ledger.count) invited")
      let run = try #require(
        output.stderr.range(of: "journal --run ").map {
          String(output.stderr[$0.upperBound...].prefix { !$0.isWhitespace })
        })
      let again = try Binary.run(
        ["journal", "--base-url", simulator.baseURL, "--run", run, "--results"], environment: environment)
      let lines = again.stdout.split(separator: "\n")
      #expect(again.status == 0 && lines.count == 10, "\(again.stdout) \(again.stderr)")
      #expect(lines.allSatisfy { $0.contains(#""status":"invited""#) && $0.contains(#""run":"\#(run)""#) })
      #expect(Set(lines.map { ConcurrencyTests.email(in: $0) }) == Set(simulator.ledger.map(\.email)))
    }
  }

  @Test("a reader that goes away (| head -1): the run stops quietly (141), sends no more, and exits at once")
  func closedReader() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.simulator()) { simulator in
      let environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      let output = try runProcess(
        "/bin/bash",
        [
          "-c", "\"$0\" \"$@\" | head -1; echo \"status ${PIPESTATUS[0]}\" >&2", Binary.path, "--base-url",
          simulator.baseURL, "-c", "read | invite --batch-size 5",
        ], stdin: ConcurrencyTests.rows(0..<200), environment: environment)
      #expect(output.stdout.split(separator: "\n").count == 1)
      #expect(output.stderr.contains("status 141"), "\(output.stderr)")
      #expect(!output.stderr.contains("cannot write"), "quiet: \(output.stderr)")
      #expect(simulator.ledger.count < 200 && simulator.ledger.count.isMultiple(of: 5), "\(simulator.ledger.count)")
      // Whatever was sent is journalled and settled; the rest is free for the next run.
      let rerun = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "read | invite"], stdin: ConcurrencyTests.rows(0..<200),
        environment: environment)
      #expect(rerun.status == 0, "\(rerun.stderr)")
      #expect(simulator.ledger.count == 200 && Set(simulator.ledger.map(\.email)).count == 200)
    }
    // Without the API: a long listing into head stops as soon as head is gone.
    let listing = try runProcess(
      "/bin/bash",
      ["-c", "\"$0\" -n -c 'range(100000000)' | head -1; echo \"status ${PIPESTATUS[0]}\" >&2", Binary.path])
    #expect(listing.stdout == "0\n" && listing.stderr.contains("status 141"), "\(listing.stderr)")
  }

  @Test("save to a full disk, or to a file that cannot be written whole: exit 74, and a replaced file stays as it was")
  func saveFails() throws {
    let output = try Binary.run(["-c", "range(100000) | save /dev/full"])
    #expect(output.status == 74 && output.stderr.contains("save: cannot write /dev/full"), "\(output.stderr)")
    let plain = try runProcess("/bin/sh", ["-c", "exec \"$0\" -n -c 'range(200000)' > /dev/full", Binary.path])
    #expect(plain.status == 74 && plain.stderr.contains("No space left on device"), "\(plain.stderr)")
  }
}
