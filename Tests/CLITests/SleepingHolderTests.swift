import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// A process that stops rather than dies — a laptop's lid closed, a frozen VM, `SIGSTOP` — and
/// wakes after its lease ran out, while another host has taken its people over: it sends none
/// of them, and every line it prints agrees with the journal. Real processes in pid and UTS
/// namespaces of their own, a real lease of 2 s, real time; each scenario run 20 times.
@Suite("a holder that sleeps past its lease (binary, unshare, SIGSTOP, real time)")
struct SleepingHolderTests {
  typealias Host = HostsTests.Host
  static let trials = Int(ProcessInfo.processInfo.environment["NWSH_SLEEPER_TRIALS"] ?? "") ?? 20

  /// What every host of one trial shares.
  struct Trial {
    let home: String
    let simulator: NetworkedSimulator
    let environment: [String: String]

    init(_ kind: HostsTests.SharedState, simulator: NetworkedSimulator, server: PostgresServer?) {
      home = temporaryDirectory("sleeper")
      self.simulator = simulator
      var environment = ["NETWORKED_API_KEY": HostsTests.key, "XDG_STATE_HOME": home]
      environment["NWSH_STATE"] = HostsTests.stateURL(kind, home: home, server: server, lease: 2)
      environment.merge(server?.environment ?? [:]) { $1 }
      self.environment = environment
    }

    /// `nwsh ARGUMENTS` on `host`, to its end.
    func run(_ host: String?, _ arguments: [String], stdin: String = "") throws -> Captured {
      try Host.run(host: host, ["--base-url", simulator.baseURL] + arguments, stdin: stdin, environment: environment)
    }

    /// The journal, as JSON lines: `{run, row, email, status, …}`.
    func journal() throws -> [[String: Any]] {
      let listing = try run(nil, ["journal"])
      return listing.stdout.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
    }
  }

  /// Each printed result line agrees with the journal (every entry of its run and row): a line
  /// that says invited has an entry that says so; a line in doubt has one in doubt (or the
  /// entry journalling its answer as a conflict); a failed line has nothing sent; a skipped line
  /// has nothing its run holds or settled.
  static func disagreements(_ outputs: [String], journal: [[String: Any]]) -> [String] {
    var entries: [String: [[String: Any]]] = [:]
    for entry in journal {
      entries["\(entry["run"] as? String ?? "") \(entry["row"] as? Int ?? 0)", default: []].append(entry)
    }
    var found: [String] = []
    for output in outputs {
      for line in output.split(separator: "\n") {
        guard let result = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
          continue
        }
        let status = result["status"] as? String ?? ""
        let code = (result["error"] as? [String: Any])?["code"] as? String
        let mine = entries["\(result["run"] as? String ?? "") \(result["row"] as? Int ?? 0)"] ?? []
        let states = mine.map { $0["status"] as? String ?? "" }
        let codes = mine.compactMap { ($0["error"] as? [String: Any])?["code"] as? String ?? $0["error"] as? String }
        let agrees: Bool
        switch status {
        case "invited": agrees = states.contains("invited")
        case "unknown" where code == "journal_conflict": agrees = codes.contains("journal_conflict")
        case "unknown": agrees = states.contains { ["unknown", "pending"].contains($0) }
        case "failed": agrees = states.allSatisfy { ["failed", "not_sent"].contains($0) }
        case "skipped": agrees = !states.contains { ["claimed", "pending", "invited", "added"].contains($0) }
        default: agrees = true
        }
        if !agrees { found.append("printed \(status) \(code ?? ""), journal \(states) \(codes): \(line)") }
      }
    }
    return found
  }

  @Test(
    "stopped between its intent and its request past its lease, while another host reconciles and runs the job: woken, it sends nobody again (20 trials)",
    arguments: HostsTests.SharedState.allCases)
  func stoppedBetweenIntentAndRequest(_ kind: HostsTests.SharedState) async throws {
    let server = kind == .postgresql ? try PostgresServer.start() : nil
    defer { server?.stop() }
    for trial in 0..<Self.trials {
      try await NetworkedSimulator.with(HostsTests.careless()) { simulator in
        let t = Trial(kind, simulator: simulator, server: server)
        defer { try? FileManager.default.removeItem(atPath: t.home) }
        let count = 2 + trial % 3
        let rows = ConcurrencyTests.rows((trial * 10)..<(trial * 10 + count))
        var stopping = t.environment
        stopping["NWSH_TEST_STOP_AT"] = "after-intent"
        let a = try Host(
          host: "host-a", asInit: false,
          ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite --batch-size \(count)"],
          stdin: rows, environment: stopping)
        #expect(waitUntil(timeout: 30) { a.isStopped }, "trial \(trial): A stops after its intent: \(a.stderr)")
        #expect(simulator.ledger.isEmpty, "trial \(trial): nothing left before the stop")
        // B reconciles until A's lease has run out and B has re-sent A's people, then runs the job.
        var reconciles: [Captured] = []
        let resent = waitUntil(timeout: 30) {
          guard let run = try? t.run("host-b", ["reconcile"]) else { return false }
          reconciles.append(run)
          return ledgerCounts(simulator).count == count
        }
        #expect(resent, "trial \(trial): B's reconcile re-sent A's people: \(reconciles.map(\.stdout))")
        let job = try t.run("host-b", ["-c", "set rate-limits none; read | invite"], stdin: rows)
        a.signal(SIGCONT)
        let woken = a.finish()
        let counts = ledgerCounts(simulator)
        #expect(
          counts.count == count && counts.values.allSatisfy { $0 == 1 },
          "trial \(trial): everyone invited once: \(counts)\nA: \(woken.stdout)\(woken.stderr)")
        #expect(!woken.stdout.contains(#""status":"invited""#), "trial \(trial): A sent nobody: \(woken.stdout)")
        #expect(
          woken.stdout.split(separator: "\n").count == count, "trial \(trial): a line per row: \(woken.stdout)")
        #expect(!job.stdout.contains(#""status":"invited""#), "trial \(trial): \(job.stdout)")
        let journal = try t.journal()
        let wrong = Self.disagreements([woken.stdout, job.stdout] + reconciles.map(\.stdout), journal: journal)
        #expect(wrong.isEmpty, "trial \(trial): \(wrong)")
      }
    }
  }

  @Test(
    "stopped between its intent and its request past its lease, nobody else about: woken, it sends its people itself, once (SQLite, PostgreSQL)",
    arguments: HostsTests.SharedState.allCases)
  func stoppedAloneSendsOnWaking(_ kind: HostsTests.SharedState) async throws {
    let server = kind == .postgresql ? try PostgresServer.start() : nil
    defer { server?.stop() }
    try await NetworkedSimulator.with(HostsTests.careless()) { simulator in
      let t = Trial(kind, simulator: simulator, server: server)
      defer { try? FileManager.default.removeItem(atPath: t.home) }
      let rows = ConcurrencyTests.rows(0..<3)
      var stopping = t.environment
      stopping["NWSH_TEST_STOP_AT"] = "after-intent"
      let a = try Host(
        host: "host-a", asInit: false,
        ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite --batch-size 3"], stdin: rows,
        environment: stopping)
      #expect(waitUntil(timeout: 30) { a.isStopped }, "A stops after its intent: \(a.stderr)")
      // Until the lease runs out, another host sees A's people held (claimed); then in doubt.
      #expect(
        waitUntil(timeout: 30) {
          let plan = try? t.run("host-b", ["--dry-run", "-c", "set rate-limits none; read | invite"], stdin: rows)
          return plan?.stdout.components(separatedBy: #""reason":"in_doubt""#).count == 4
        }, "A's lease runs out while it is stopped")
      a.signal(SIGCONT)
      let woken = a.finish()
      #expect(woken.status == 0, "\(woken.stdout) \(woken.stderr)")
      #expect(woken.stdout.components(separatedBy: #""status":"invited""#).count - 1 == 3, "\(woken.stdout)")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 3 && counts.values.allSatisfy { $0 == 1 }, "\(counts)")
      #expect(Self.disagreements([woken.stdout], journal: try t.journal()).isEmpty)
    }
  }

  @Test(
    "a holder of 100 claims, stopped past its lease, woken while another host claims them: nobody sent twice, nobody lost (PostgreSQL, 20 trials)"
  )
  func takeoverRace() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    for trial in 0..<Self.trials {
      try await NetworkedSimulator.with(HostsTests.careless()) { simulator in
        let t = Trial(.postgresql, simulator: simulator, server: server)
        defer { try? FileManager.default.removeItem(atPath: t.home) }
        let rows = ConcurrencyTests.rows((trial * 1000)..<(trial * 1000 + 100))
        let a = try Host(
          host: "host-a", asInit: false,
          [
            "--base-url", simulator.baseURL, "-c",
            "set rate-limits 1/6s; roles | take 0; read | invite --batch-size 100",
          ], stdin: rows, environment: t.environment)
        // A holds all 100 and waits for its rate slot (about 6 s after the roles request).
        #expect(
          waitUntil(timeout: 30) {
            let claimed = try? server.sql(
              "SELECT count(*) FROM nwsh_journal WHERE host = 'host-a' AND state = 'claimed'")
            return claimed?.trimmingCharacters(in: .whitespacesAndNewlines) == "100"
          }, "trial \(trial): A claims its 100: \(a.stderr)")
        a.signal(SIGSTOP)
        #expect(waitUntil(timeout: 30) { a.isStopped })
        #expect(simulator.ledger.isEmpty, "trial \(trial): A was stopped before it sent")
        // Once a dry run on another host would send them all, A's leases have run out.
        #expect(
          waitUntil(timeout: 30) {
            let plan = try? t.run(
              "host-b", ["--dry-run", "-c", "set rate-limits none; read | invite"], stdin: rows)
            return plan?.stdout.components(separatedBy: #""status":"planned""#).count == 101
          }, "trial \(trial): A's leases run out")
        let b = try Host(
          host: "host-b", ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite"], stdin: rows,
          environment: t.environment)
        // Wake A once B has claimed some of them (a different number each trial).
        let some = trial * 5
        #expect(
          waitUntil(timeout: 30) {
            let claimed = (try? server.sql("SELECT count(*) FROM nwsh_journal WHERE host = 'host-b'")) ?? ""
            return (Int(claimed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= some || !b.process.isRunning
          }, "trial \(trial): B claims \(some) before A wakes")
        a.signal(SIGCONT)
        let first = a.finish()
        let second = b.finish()
        let counts = ledgerCounts(simulator)
        #expect(
          counts.values.allSatisfy { $0 == 1 },
          "trial \(trial): nobody sent twice: \(counts.filter { $0.value > 1 })")
        // Everyone sent once, by one of them: nobody lost.
        #expect(
          counts.count == 100, "trial \(trial): \(counts.count) of 100 sent\nA: \(first.stderr)\nB: \(second.stderr)")
        for output in [first.stdout, second.stdout] {
          #expect(output.split(separator: "\n").count == 100, "trial \(trial): a line per row")
        }
        let invitedLines =
          first.stdout.components(separatedBy: #""status":"invited""#).count
          + second.stdout.components(separatedBy: #""status":"invited""#).count - 2
        #expect(invitedLines == counts.count, "trial \(trial): each send printed once, by its sender")
        let wrong = Self.disagreements([first.stdout, second.stdout], journal: try t.journal())
        #expect(wrong.isEmpty, "trial \(trial): \(wrong)")
      }
    }
  }

  @Test(
    "two containers with one host name, one stopped past its lease: its release after waking leaves the other's claim alone; the person is sent once (SQLite)"
  )
  func releaseAfterTakeover() async throws {
    try await NetworkedSimulator.with(HostsTests.careless()) { simulator in
      let t = Trial(.sqlite, simulator: simulator, server: nil)
      defer { try? FileManager.default.removeItem(atPath: t.home) }
      let rows = ConcurrencyTests.rows(0..<1)
      let slow = "set rate-limits 1/6s; roles | take 0; read | invite"
      // Both keep this machine's host name, each in a pid namespace of its own.
      let a = try Host(
        host: nil, asInit: false, ["--base-url", simulator.baseURL, "-c", slow], stdin: rows,
        environment: t.environment)
      #expect(waitUntil(timeout: 30) { a.stderr.contains("waiting") }, "A waits: \(a.stderr)")
      a.signal(SIGSTOP)
      let held = try t.journal().filter { $0["status"] as? String == "claimed" }.compactMap { $0["run"] as? String }
      #expect(held.count == 1, "A holds the person: \(held)")
      #expect(
        waitUntil(timeout: 30) {
          (try? t.run(nil, ["--dry-run", "-c", "set rate-limits none; read | invite"], stdin: rows))?.stdout
            .contains(#""status":"planned""#) == true
        }, "A's lease runs out")
      // B takes the person over and holds them while it waits for its own window.
      let b = try Host(
        host: nil, ["--base-url", simulator.baseURL, "-c", slow], stdin: rows, environment: t.environment)
      #expect(
        waitUntil(timeout: 30) {
          let claims = (try? t.journal())?.filter { $0["status"] as? String == "claimed" } ?? []
          return claims.count == 1 && claims[0]["run"] as? String != held.first
        }, "B claims the person: \(b.stderr)")
      a.signal(SIGCONT)
      let first = a.finish()
      let second = b.finish()
      #expect(first.stdout.contains(#""reason":"claimed""#), "A lost the person to B: \(first.stdout)")
      #expect(second.stdout.contains(#""status":"invited""#), "B sends: \(second.stdout) \(second.stderr)")
      #expect(ledgerCounts(simulator) == ["r0@example.net": 1])
      #expect(Self.disagreements([first.stdout, second.stdout], journal: try t.journal()).isEmpty)
    }
  }
}
