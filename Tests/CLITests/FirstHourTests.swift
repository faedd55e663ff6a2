import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// The first hour of a real admin, through the binary: a wrong key or an outage stops cleanly,
/// jq habits work, "a week later" can be rehearsed, and a clock that was wrong cannot stall a
/// run.
@Suite("the first hour: a wrong key, an outage, jq habits, clocks (binary)")
struct FirstHourTests {
  static let key = "first-hour-key-0030"

  static func rows(_ count: Int) -> String {
    (0..<count).map { #"{"name":"Person \#($0)","email":"p\#($0)@example.net"}"# }.joined(separator: "\n") + "\n"
  }

  /// A home of its own for one test's state, and the environment pointing there.
  static func environment(_ home: String, key: String = FirstHourTests.key) -> [String: String] {
    [
      "NETWORKED_API_KEY": key, "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config",
      "NWSH_STATE": "",
    ]
  }

  /// The lines of `output` as JSON objects.
  static func results(_ output: String) -> [[String: Any]] {
    output.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }

  @Test(
    "a refused key with role() in the script: one request, every row skipped as authentication_failed (take and where as always), exit 77"
  )
  func refusedKeyWithRole() async throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: Self.key)) { simulator in
      let run = try Binary.run(
        [
          "--base-url", simulator.baseURL, "-c",
          #"read | map {name, email, tagId: role("Member")} | batch 2 | invite"#,
        ], stdin: Self.rows(5), environment: Self.environment(home, key: "a-wrong-key-0000"))
      #expect(run.status == 77, "\(run.stderr)")
      #expect(simulator.requestCount == 1, "one refused request, not one per row")
      let lines = Self.results(run.stdout)
      #expect(lines.count == 5, "every row has its line: \(run.stdout)")
      #expect(Set(lines.compactMap { $0["line"] as? Int }) == Set(1...5), "each with its line: \(run.stdout)")
      #expect(
        lines.allSatisfy { $0["status"] as? String == "skipped" && $0["reason"] as? String == "authentication_failed" })
      #expect(run.stderr.components(separatedBy: "refused the key").count == 2, "said once: \(run.stderr)")
      #expect(run.stderr.contains("NETWORKED_API_KEY"), "says where the key came from: \(run.stderr)")
      #expect(!run.stderr.contains("a-wrong-key"))
      // A take after the stage that gave the stop's result, and a where before it, as always.
      let taken = try Binary.run(
        [
          "--base-url", simulator.baseURL, "-c",
          #"read | where .email != "p1@example.net" | map {name, email, tagId: role("Member")} | take 3 | invite"#,
        ], stdin: Self.rows(5), environment: Self.environment(home, key: "a-wrong-key-0000"))
      let emails = Self.results(taken.stdout).compactMap { $0["email"] as? String }
      #expect(emails == ["p0@example.net", "p2@example.net", "p3@example.net"], "\(taken.stdout)")
      #expect(taken.status == 77)
    }
  }

  @Test("login with a refused key exits 77 and stores nothing")
  func loginRefused() async throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: Self.key)) { simulator in
      let run = try Binary.run(
        ["login", "--base-url", simulator.baseURL, "--profile", "work"], stdin: "a-wrong-key-0000\n",
        environment: Self.environment(home))
      #expect(run.status == 77, "\(run.stderr)")
      #expect(!FileManager.default.fileExists(atPath: home + "/config/nwsh/credentials"))
    }
  }

  @Test(
    "an API that cannot be reached: no slot spent on attempts that never connected, the run stops, every row failed not_sent (retryable), exit 1"
  )
  func outage() async throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    // A port nothing listens on, then a simulator there.
    let port = try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: Self.key)) { $0.port }
    var environment = Self.environment(home)
    environment["NWSH_TEST_CLOCK"] = "virtual"
    let down = try Binary.run(
      ["--base-url", "http://127.0.0.1:\(port)", "-c", "set rate-limits 1/1h; read | invite --batch-size 2"],
      stdin: #"{"name":"A","email":"a@example.net","tagId":"69baa36beddb9f0012fdf101"}"# + "\n"
        + Self.rows(5).replacingOccurrences(of: "\"}", with: "\",\"tagId\":\"69baa36beddb9f0012fdf101\"}"),
      environment: environment)
    #expect(down.status == 1, "\(down.stderr)")
    let lines = Self.results(down.stdout)
    #expect(lines.count == 6, "\(down.stdout)")
    #expect(
      lines.allSatisfy {
        $0["status"] as? String == "failed" && ($0["error"] as? [String: Any])?["code"] as? String == "not_sent"
      }, "\(down.stdout)")
    // Every line says a re-run may send it, and where its row came from (line 1 of stdin …).
    #expect(
      lines.allSatisfy { ($0["error"] as? [String: Any])?["retryable"] as? Bool == true && $0["line"] is Int },
      "\(down.stdout)")
    #expect(Set(lines.compactMap { $0["line"] as? Int }) == Set(1...6), "\(down.stdout)")
    #expect(down.stderr.contains("cannot reach the API at http://127.0.0.1:\(port)"), "\(down.stderr)")
    #expect(down.stderr.contains("cannot connect to 127.0.0.1:\(port): connection refused"), "\(down.stderr)")
    #expect(down.stderr.components(separatedBy: "cannot reach the API").count == 2, "said once")
    // Back up on the same port: the attempts cost no slot, so the one allowed this hour is free.
    var configuration = SimulatorConfiguration(apiKey: Self.key)
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration, port: port) { simulator in
      let up = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 1/1h; roles | count"],
        environment: Self.environment(home))
      #expect(up.status == 0 && up.stdout == "7\n", "\(up.stdout) \(up.stderr)")
      #expect(!up.stderr.contains("waiting"), "no slot was spent by the outage: \(up.stderr)")
    }
  }

  @Test(
    "jq habits: a jq expression alone runs on each input value, as jq; -n starts on null; an error on one value goes on, exit 5"
  )
  func jqHabits() throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let file = home + "/contacts.jsonl"
    try Self.rows(3).write(toFile: file, atomically: true, encoding: .utf8)
    let environment = Self.environment(home)
    let emails = try Binary.run(["-c", ".email", file], environment: environment)
    #expect(emails.status == 0 && emails.stdout == "\"p0@example.net\"\n\"p1@example.net\"\n\"p2@example.net\"\n")
    let piped = try Binary.run(
      ["-c", "select(.x)"], stdin: #"{"x":1}"# + "\n" + #"{"x":false}"#, environment: environment)
    #expect(piped.status == 0 && piped.stdout == #"{"x":1}"# + "\n", "\(piped.stdout) \(piped.stderr)")
    let array = try Binary.run(["-c", ".[0]"], stdin: "[1,2]\n", environment: environment)
    #expect(array.stdout == "1\n", "an array is one value, as in jq: \(array.stdout)")
    let inputs = try Binary.run(["-c", "[., input]"], stdin: "1 2 3 4", environment: environment)
    #expect(inputs.stdout == "[1,2]\n[3,4]\n", "\(inputs.stdout)")
    // `-` among the files is standard input, as in jq.
    let dash = try Binary.run(["-c", ".email", file, "-"], stdin: Self.rows(1), environment: environment)
    #expect(dash.status == 0 && dash.stdout.hasSuffix("\"p2@example.net\"\n\"p0@example.net\"\n"), "\(dash.stdout)")
    let null = try Binary.run(["-n", "-c", "."], stdin: "1", environment: environment)
    #expect(null.stdout == "null\n")
    let failing = try Binary.run(["-c", ".a"], stdin: "{\"a\":1}\n\"s\"\n{\"a\":3}\n", environment: environment)
    #expect(failing.status == 5 && failing.stdout == "1\n3\n", "\(failing.stdout) \(failing.stderr)")
    #expect(failing.stderr.contains("error (at <stdin>:2): Cannot index string"), "\(failing.stderr)")
    // Malformed input: where and what, with the reader's hint; the input ends there (exit 65).
    let csv = home + "/export.csv"
    try "Email,Name\na@example.net,A\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let malformed = try Binary.run(["-c", ".Email", csv], environment: environment)
    #expect(malformed.status == 65 && malformed.stdout.isEmpty, "\(malformed.status) \(malformed.stdout)")
    #expect(
      malformed.stderr.contains("nwsh: error: malformed input at \(csv):1:1: ")
        && malformed.stderr.contains("looks like CSV"),
      "\(malformed.stderr)")
    // A program with commands starts on null; its rows come from read.
    let piped2 = try Binary.run(["-c", "read | .email"], stdin: Self.rows(1), environment: environment)
    #expect(piped2.stdout == "\"p0@example.net\"\n")
  }

  @Test("requests stamped by a clock two hours ahead (a clock since stepped back) hold no run back")
  func steppedClock() async throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    var configuration = SimulatorConfiguration(apiKey: Self.key)
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration) { simulator in
      var ahead = Self.environment(home)
      ahead["NWSH_TEST_CLOCK"] = "offset:7200"
      let first = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 1/1h; roles | count"], environment: ahead)
      #expect(first.status == 0, "\(first.stderr)")
      let started = Date()
      let now = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 1/1h; roles | count"],
        environment: Self.environment(home))
      #expect(now.status == 0 && !now.stderr.contains("waiting"), "\(now.stderr)")
      #expect(Date().timeIntervalSince(started) < 30)
    }
  }

  @Test("sandbox --advance 8d: pending --older-than 7d lists exactly who did not join; now follows the sandbox's clock")
  func weekLater() throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    var environment = Self.environment(home)
    environment["NETWORKED_API_KEY"] = ""
    let invite = try Binary.run(
      [
        "--sandbox", "--accept-rate", "0.5", "--accept-after", "1d", "-c",
        #"read | map {name, email, tagId: role("Member")} | invite"#,
      ], stdin: Self.rows(20), environment: environment)
    #expect(invite.status == 0, "\(invite.stderr)")
    let before = try Binary.run(["--sandbox", "-n", "-c", "now"], environment: environment)
    let advance = try Binary.run(["sandbox", "--advance", "8d"], environment: environment)
    #expect(advance.status == 0, "\(advance.stderr)")
    let after = try Binary.run(["--sandbox", "-n", "-c", "now"], environment: environment)
    let moved =
      (Double(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
      - (Double(before.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    #expect(moved >= 8 * 86_400 && moved < 8 * 86_400 + 60, "now moved with the sandbox: \(moved)")
    let pending = try Binary.run(["--sandbox", "--trace", "pending", "--older-than", "7d"], environment: environment)
    #expect(pending.status == 0, "\(pending.stderr)")
    #expect(pending.stderr.contains("GET") && pending.stderr.contains("/community/users"), "fetched: \(pending.stderr)")
    let listed = Set(Self.results(pending.stdout).compactMap { $0["email"] as? String })
    let expected = Set(
      (0..<20).map { "p\($0)@example.net" }.filter { !Acceptance(rate: 0.5, after: 86_400_000).accepts($0) })
    #expect(!expected.isEmpty && listed == expected, "listed \(listed.sorted()), expected \(expected.sorted())")
    // Not yet a week for anyone a day later than the invite: nobody is listed at 9 days.
    let tooOld = try Binary.run(["--sandbox", "--trace", "pending", "--older-than", "9d"], environment: environment)
    #expect(tooOld.status == 0 && Self.results(tooOld.stdout).isEmpty, "\(tooOld.stdout)")
    // The members list fetched a moment ago is kept in the state for minutes: not fetched again.
    #expect(!tooOld.stderr.contains("/community/users"), "fetched again: \(tooOld.stderr)")
  }

  @Test(
    "small things: a misspelt field hinted, open - and report -, people counted, report --table, file errors in the system's words"
  )
  func smallThings() throws {
    let home = temporaryDirectory("first-hour")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let environment = Self.environment(home)
    // Two people, one of them twice (case and a space apart).
    let rows =
      #"{"name":"A","email":"a@example.net"}"# + "\n" + #"{"name":"B","email":"b@example.net"}"# + "\n"
      + #"{"name":"B2","email":"B@example.net "}"# + "\n"
    let typo = try Binary.run(
      ["--sandbox", "-c", #"read | map {name, email: .emial, tagId: "69baa36beddb9f0012fdf101"} | invite --dry-run"#],
      stdin: rows, environment: environment)
    #expect(
      typo.stderr.contains(#"the rows read have a column "email""#) && typo.stderr.contains(".emial"), "\(typo.stderr)")
    #expect(Self.results(typo.stdout).count == 3)
    let opened = try Binary.run(["-c", "open - | .email"], stdin: rows, environment: environment)
    #expect(opened.stdout == "\"a@example.net\"\n\"b@example.net\"\n\"B@example.net \"\n", "\(opened.stdout)")
    let planned = try Binary.run(["--sandbox", "-c", "read | invite --dry-run"], stdin: rows, environment: environment)
    let report = try Binary.run(["report", "-"], stdin: planned.stdout, environment: environment)
    let summary = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
    #expect(summary?["rows"] as? Int == 3 && summary?["people"] as? Int == 2, "\(report.stdout) \(report.stderr)")
    let table = try Binary.run(["report", "--table"], stdin: planned.stdout, environment: environment)
    #expect(table.status == 0 && table.stdout.contains("3 results · 2 people"), "\(table.stdout) \(table.stderr)")
    // Files that cannot be read: named, with the system's reason.
    let missing = try Binary.run(["-c", "open \(home)/nowhere.csv"], environment: environment)
    #expect(
      missing.status == 64 && missing.stderr.contains("cannot open \(home)/nowhere.csv: no such file or directory"))
    let directory = try Binary.run(["-c", "open \(home)"], environment: environment)
    #expect(directory.stderr.contains("cannot open \(home): is a directory"), "\(directory.stderr)")
    let script = try Binary.run(["\(home)/missing.nw"], environment: environment)
    #expect(script.status == 64 && script.stderr.contains("cannot read the script \(home)/missing.nw: no such file"))
  }
}
