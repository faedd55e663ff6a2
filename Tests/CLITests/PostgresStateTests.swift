import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// Several "hosts" (nwsh processes with state directories of their own) sharing one key and one
/// PostgreSQL database, against a real throwaway server. Every test starts its own cluster.
@Suite("several machines, one key: the state in PostgreSQL (binary, real server)")
struct PostgresStateTests {
  static let key = "pg-test-key-0013"

  /// `count` hosts' environments: one database, a state directory each.
  static func hosts(_ count: Int, server: PostgresServer, database: String = "nwsh") -> [[String: String]] {
    (0..<count).map { _ in
      server.environment.merging([
        "NETWORKED_API_KEY": key, "XDG_STATE_HOME": temporaryDirectory("host"),
        "NWSH_STATE": server.url(database: database),
      ]) { $1 }
    }
  }

  /// A simulator for `key` without rate windows; one that takes duplicates (`careless`) shows
  /// anything sent twice in its ledger twice.
  static func unlimited(careless: Bool = true) -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.rateWindows = []
    configuration.acceptsDuplicates = careless
    return configuration
  }

  /// Starts nwsh with `arguments` on another thread; the function returned waits for it.
  static func started(_ arguments: [String], stdin: String, environment: [String: String]) -> () throws ->
    Binary
    .Output
  {
    let output = Locked<Binary.Output?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      let result = try? Binary.run(arguments, stdin: stdin, environment: environment)
      output.withLock { $0 = result }
      done.signal()
    }
    return {
      done.wait()
      return try #require(output.withLock { $0 })
    }
  }

  /// Runs each (arguments, stdin, environment) at the same time.
  static func concurrently(_ runs: [([String], String, [String: String])]) throws -> [Binary.Output] {
    let outputs = Locked<[Int: Binary.Output]>([:])
    DispatchQueue.concurrentPerform(iterations: runs.count) { index in
      let output = try? Binary.run(runs[index].0, stdin: runs[index].1, environment: runs[index].2)
      outputs.withLock { $0[index] = output }
    }
    return try (0..<runs.count).map { index in try #require(outputs.withLock { $0[index] }) }
  }

  @Test("three hosts with overlapping lists and windows 4/2s,10/10s: no window exceeded, everyone invited once")
  func threeHosts() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    var configuration = SimulatorConfiguration(apiKey: Self.key)
    configuration.rateWindows = [RateWindow(limit: 4, seconds: 2), RateWindow(limit: 10, seconds: 10)]
    // A server that takes duplicates: anything sent twice shows in its ledger twice.
    configuration.acceptsDuplicates = true
    try await NetworkedSimulator.with(configuration) { simulator in
      let program = "set rate-limits 4/2s,10/10s; read | invite --batch-size 4"
      let hosts = Self.hosts(3, server: server)
      let outputs = try Self.concurrently(
        zip([0..<24, 8..<32, 16..<40], hosts).map { range, environment in
          (["--base-url", simulator.baseURL, "-c", program], ConcurrencyTests.rows(range), environment)
        })
      for output in outputs {
        #expect(output.stdout.split(separator: "\n").count == 24, "every row gets one result: \(output.stderr)")
        // 2 when some of its rows were held by another host's run at the time (claimed).
        #expect(output.status == 0 || (output.status == 2 && output.stdout.contains(#""reason":"claimed""#)))
      }
      #expect(simulator.rateLimitRefusals == 0, "the hosts together stayed inside every window")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 })")
      // Each host's results: its own invites, and the others' as skipped (claimed or invited).
      let invited = outputs.map { $0.stdout.components(separatedBy: #""status":"invited""#).count - 1 }
      #expect(invited.reduce(0, +) == 40, "\(invited)")
    }
  }

  @Test("kill -9 of one host after a request left; reconcile and a re-run on another host: everyone exactly once")
  func killedHost() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try await NetworkedSimulator.with(Self.unlimited(careless: false)) { simulator in
      let hosts = Self.hosts(2, server: server)
      let program = "set rate-limits none; read | invite --batch-size 4"
      // Host A dies after its first request reached the server, before recording the answer.
      let first = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", program], stdin: ConcurrencyTests.rows(0..<12),
        environment: hosts[0].merging(["NWSH_TEST_CRASH_AT": "after-send"]) { $1 })
      #expect(first.status == 9, "killed: \(first.stderr)")
      #expect(simulator.ledger.count == 4)
      // Host B sees A's four in doubt, and settles them.
      let reconcile = try Binary.run(["reconcile", "--base-url", simulator.baseURL], environment: hosts[1])
      #expect(reconcile.stdout.split(separator: "\n").count == 4, "\(reconcile.stdout) \(reconcile.stderr)")
      #expect(!reconcile.stdout.contains(#""status":"unknown""#), "\(reconcile.stdout)")
      // B's re-run of the whole list: A's four are settled, the other eight go out once.
      let rerun = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", program], stdin: ConcurrencyTests.rows(0..<12), environment: hosts[1])
      let lines = rerun.stdout.split(separator: "\n")
      #expect(lines.count == 12 && rerun.status == 0, "\(rerun.stdout) \(rerun.stderr)")
      #expect(lines.prefix(4).allSatisfy { $0.contains(#""status":"skipped""#) }, "\(rerun.stdout)")
      #expect(lines.suffix(8).allSatisfy { $0.contains(#""status":"invited""#) }, "\(rerun.stdout)")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 12 && counts.values.allSatisfy { $0 == 1 }, "\(counts)")
    }
  }

  @Test("the database restarted mid-run: the run reconnects and every row ends invited, once")
  func databaseRestart() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try await NetworkedSimulator.with(Self.unlimited()) { simulator in
      // Paced at 4 requests a second, so the restart lands between requests of one run.
      let finished = Self.started(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 4/1s; read | invite --batch-size 2"],
        stdin: ConcurrencyTests.rows(0..<40), environment: Self.hosts(1, server: server)[0])
      #expect(waitUntil { simulator.requestCount >= 3 }, "the run started sending")
      try server.restart()
      let result = try finished()
      let lines = result.stdout.split(separator: "\n")
      #expect(lines.count == 40 && result.status == 0, "\(result.stdout) \(result.stderr)")
      #expect(lines.allSatisfy { $0.contains(#""status":"invited""#) }, "\(result.stdout)")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 })")
      // The journal in the database holds every one of them, settled.
      #expect(try server.sql("SELECT count(*) FROM nwsh_journal WHERE state = 'invited'") == "40")
    }
  }

  @Test("the database gone for good mid-run: nothing more is sent, every row has a result, the sent ones in doubt")
  func databaseGone() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try await NetworkedSimulator.with(Self.unlimited()) { simulator in
      let host = Self.hosts(1, server: server)[0].merging(["NWSH_STATE": server.url() + "?reconnect=2"]) { $1 }
      let finished = Self.started(
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 4/1s; read | invite --batch-size 2"],
        stdin: ConcurrencyTests.rows(0..<40), environment: host)
      #expect(waitUntil { simulator.requestCount >= 3 }, "the run started sending")
      try server.halt()
      let result = try finished()
      let lines = result.stdout.split(separator: "\n")
      #expect(lines.count == 40 && result.status != 0, "\(result.stdout) \(result.stderr)")
      // Whatever reached the server is reported invited (answer recorded) or in doubt; the rest
      // were not sent, and say why.
      func emails(_ status: String) -> Set<String> {
        Set(lines.filter { ConcurrencyTests.status(in: $0) == status }.map { ConcurrencyTests.email(in: $0) })
      }
      let (printedInvited, printedUnknown) = (emails("invited"), emails("unknown"))
      let sent = Set(simulator.ledger.map { $0.email.lowercased() })
      #expect(
        sent.isSubset(of: printedInvited.union(printedUnknown)) && !sent.isEmpty,
        "sent \(sent.sorted()) reported \(printedInvited.union(printedUnknown).sorted())")
      #expect(lines.contains { $0.contains(#""code":"journal_error""#) }, "\(result.stdout)")
      #expect(ledgerCounts(simulator).values.allSatisfy { $0 == 1 })
      // An answer the journal could not record is in doubt there, so it is in doubt here too:
      // every line that says invited, the journal says invited (once the database is back).
      #expect(result.status == (printedUnknown.isEmpty ? 1 : 2), "a doubt makes the run end in doubt: \(result.status)")
      try server.resume()
      let journal = try server.sql("SELECT email, state FROM nwsh_journal ORDER BY id")
      let journalled = Set(
        journal.split(separator: "\n").filter { $0.hasSuffix("|invited") }.map { String($0.prefix { $0 != "|" }) })
      #expect(
        printedInvited.isSubset(of: journalled),
        "printed \(printedInvited.sorted()) journal:\n\(journal)\n\(result.stdout)\n\(result.stderr)")
      // Reconcile settles the doubts, sending each in-doubt person once more at most and nobody
      // else (this simulator carries duplicates out, where the real API refuses them).
      let reconcile = try Binary.run(["reconcile", "--base-url", simulator.baseURL], environment: host)
      #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
      let inDoubt = Set(
        journal.split(separator: "\n").filter { $0.hasSuffix("|pending") || $0.hasSuffix("|unknown") }.map {
          String($0.prefix { $0 != "|" })
        })
      #expect(printedUnknown.isSubset(of: inDoubt), "printed in doubt \(printedUnknown.sorted()), journal:\n\(journal)")
      #expect(
        reconcile.stdout.split(separator: "\n").count == inDoubt.count,
        "one line per person in doubt: \(reconcile.stdout)")
      let counts = ledgerCounts(simulator)
      #expect(
        counts.allSatisfy { email, count in count == 1 || (count == 2 && printedUnknown.contains(email)) },
        "\(counts)")
    }
  }

  @Test("Ctrl-C while the database is away: the run ends within a second or so, not after the reconnect budget")
  func interruptWhileDatabaseAway() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try await NetworkedSimulator.with(Self.unlimited()) { simulator in
      let host = Self.hosts(1, server: server)[0].merging(["NWSH_STATE": server.url() + "?reconnect=60"]) { $1 }
      let run = try HostsTests.Host(
        host: nil, isolated: false,
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 1/30s; roles | take 0; read | invite --batch-size 4"],
        stdin: ConcurrencyTests.rows(0..<8), environment: host)
      #expect(waitUntil(timeout: 30) { run.stderr.contains("waiting") }, "the run waits for its window: \(run.stderr)")
      try server.halt()
      let interrupted = Date()
      kill(run.process.processIdentifier, SIGINT)
      let result = run.finish()
      let took = Date().timeIntervalSince(interrupted)
      #expect(result.status == 130, "\(result.stdout) \(result.stderr)")
      #expect(took < 3, "took \(took) s after Ctrl-C (the reconnect budget is 60 s)")
      let lines = result.stdout.split(separator: "\n")
      // The four rows read (held for the request) are skipped; reading stopped there.
      #expect(lines.count >= 4 && lines.allSatisfy { $0.contains(#""reason":"interrupted""#) }, "\(result.stdout)")
      #expect(simulator.ledger.isEmpty)
    }
  }

  @Test("four hosts migrating an empty database at once: one schema, every version once, all of them usable")
  func concurrentMigration() throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    try server.createDatabase("fresh")
    let hosts = Self.hosts(4, server: server, database: "fresh")
    let outputs = try Self.concurrently(hosts.map { (["state", "check"], "", $0) })
    for output in outputs {
      #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
      #expect(output.stdout.contains(#""kind":"postgresql","schema":4"#), "\(output.stdout)")
    }
    #expect(try server.sql("SELECT count(*) || ' ' || max(version) FROM nwsh_schema", database: "fresh") == "4 4")
  }

  @Test("TLS when the URL asks: verified against sslrootcert; refused without it, and by a TLS-only server in plain")
  func tls() throws {
    let server = try PostgresServer.start(tls: true)
    defer { server.stop() }
    let ca = try #require(server.caFile)
    let base = server.url() + "?sslmode=require"
    let verified = try Binary.run(
      ["state", "check"], environment: server.environment.merging(["NWSH_STATE": base + "&sslrootcert=\(ca)"]) { $1 })
    #expect(verified.status == 0 && verified.stdout.contains(#""schema":4"#), "\(verified.stdout) \(verified.stderr)")
    // The system's roots do not know this CA: the certificate is checked, not just accepted.
    let unverified = try Binary.run(
      ["state", "check"], environment: server.environment.merging(["NWSH_STATE": base]) { $1 })
    #expect(unverified.status == 69 && unverified.stdout.lowercased().contains("certificate"), "\(unverified.stdout)")
    let plain = try Binary.run(
      ["state", "check"],
      environment: server.environment.merging(["NWSH_STATE": server.url() + "?sslmode=disable"]) { $1 })
    #expect(plain.status == 69 && plain.stdout.contains("pg_hba.conf"), "\(plain.stdout)")
  }

  @Test("the database's password never shows: not from argv, NWSH_STATE, $ENV, --trace or an error")
  func passwordStaysSecret() async throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let password = server.password
    // On the command line it is refused before anything else happens.
    let argv = try Binary.run(
      ["state", "check", "--state", "postgres://nwsh:\(password)@127.0.0.1:\(server.port)/nwsh"])
    #expect(argv.status == 64 && argv.stderr.contains("PGPASSWORD") && !argv.stderr.contains(password))
    // As a password= parameter, or typed where another value goes, it is not shown either.
    for state in [
      "postgres://nwsh@127.0.0.1:\(server.port)/nwsh?password=\(password)",
      "postgres://nwsh@127.0.0.1:\(server.port)/nwsh?lease=\(password)",
    ] {
      let shown = try Binary.run(["state", "check", "--state", state], environment: server.environment)
      #expect(shown.status == 64 && !shown.stderr.contains(password), "\(shown.stderr)")
    }
    // With no password anywhere, the server's demand for one says what to do.
    let none = try Binary.run(["state", "check", "--state", server.url()])
    #expect(none.status == 69 && none.stdout.contains("asks for a password") && none.stdout.contains("PGPASSWORD"))
    // In NWSH_STATE it works, and messages show the URL with *** for it.
    let url = "postgres://nwsh:\(password)@127.0.0.1:\(server.port)/nwsh"
    let check = try Binary.run(["state", "check"], environment: ["NWSH_STATE": url])
    #expect(check.status == 0 && check.stdout.contains("nwsh:***@") && !check.stdout.contains(password))
    let wrong = try Binary.run(
      ["state", "check"], environment: ["NWSH_STATE": "postgres://nwsh:\(password)@127.0.0.1:1/nwsh"])
    #expect(wrong.status == 69 && !wrong.stdout.contains(password) && !wrong.stderr.contains(password))
    try await NetworkedSimulator.with(Self.unlimited(careless: false)) { simulator in
      let environment = [
        "NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": temporaryDirectory("host"), "PGPASSWORD": password,
        "NWSH_STATE": server.url(),
      ]
      let run = try Binary.run(
        [
          "--trace", "--base-url", simulator.baseURL, "-c",
          #"read | invite | map {email, status, env: ($ENV | {PGPASSWORD, NWSH_STATE})}"#,
        ], stdin: ConcurrencyTests.rows(0..<2), environment: environment)
      #expect(run.status == 0 && run.stdout.contains(#""status":"invited""#), "\(run.stdout) \(run.stderr)")
      #expect(!run.stdout.contains(password) && !run.stderr.contains(password))
      #expect(run.stdout.contains(#""PGPASSWORD":"<redacted>""#), "\(run.stdout)")
    }
  }
}
