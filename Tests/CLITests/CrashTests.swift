import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// What survives `kill -9` and SIGTERM: the real binary, a real simulator, a real journal.
@Suite("kill -9 and SIGTERM (binary)")
struct CrashTests {
  static let member = "69baa36beddb9f0012fdf101"

  /// Starts nwsh with `arguments`, feeding `stdin`; stdout and stderr go to files (opened by
  /// the shell in the child: handing this process's own descriptors to the child risks a
  /// double close here, which could close a socket another test is using).
  static func start(_ arguments: [String], stdin: String, environment: [String: String], directory: String) throws
    -> Process
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments =
      ["-c", "exec \"$0\" \"$@\" > '\(directory)/out' 2> '\(directory)/err'", Binary.path] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let input = Pipe()
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    return process
  }

  @Test(
    "kill -9 while the server holds the invite but nwsh has no answer: the re-run does not invite again; reconcile settles it"
  )
  func killNineInFlight() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: "crash-test-key-0001")) { simulator in
      simulator.inject(.hangAfterActing, path: "/api/v1/admin/community/invites")
      let env = ["NETWORKED_API_KEY": "crash-test-key-0001", "XDG_STATE_HOME": home + "/state"]
      let rows = (0..<3).map { #"{"name":"K \#($0)","email":"k\#($0)@example.net","tagId":"\#(Self.member)"}"# }.joined(
        separator: "\n")
      let process = try Self.start(
        ["--base-url", simulator.baseURL, "-c", "read | invite"], stdin: rows, environment: env, directory: home)
      // The server has recorded the invites; nwsh is waiting for an answer that never comes.
      #expect(waitUntil { simulator.ledger.count == 3 })
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()

      let rerun = try Binary.run(
        ["--base-url", simulator.baseURL, "-c", "read | invite"], stdin: rows, environment: env)
      let lines = rerun.stdout.split(separator: "\n")
      #expect(lines.count == 3 && lines.allSatisfy { $0.contains(#""reason":"in_doubt""#) }, "\(rerun.stdout)")
      #expect(rerun.status == 2, "a re-run whose rows are all in doubt exits with the in-doubt code")
      #expect(simulator.ledger.count == 3)

      let reconcile = try Binary.run(["reconcile", "--base-url", simulator.baseURL], environment: env)
      #expect(
        reconcile.stdout.components(separatedBy: #""resolution":"earlier_request_succeeded""#).count - 1 == 3,
        "\(reconcile.stdout) \(reconcile.stderr)")
      #expect(simulator.ledger.count == 3)
      let journal = try Binary.run(
        ["journal", "--base-url", simulator.baseURL, "--status", "invited"], environment: env)
      #expect(journal.stdout.split(separator: "\n").count == 3)
    }
  }

  @Test("kill -9 during a paced run with stdout to a file: a result line for every person the journal has settled")
  func killNineKeepsResults() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: "crash-test-key-0004")) { simulator in
      let env = ["NETWORKED_API_KEY": "crash-test-key-0004", "XDG_STATE_HOME": home + "/state"]
      let rows = (0..<30).map { #"{"name":"L \#($0)","email":"l\#($0)@example.net","tagId":"\#(Self.member)"}"# }
        .joined(separator: "\n")
      let process = try Self.start(
        ["--base-url", simulator.baseURL, "-c", "read | invite --batch-size 1"], stdin: rows, environment: env,
        directory: home)
      // Ten requests fill the first minute's window; the eleventh waits.
      #expect(
        waitUntil {
          (try? String(contentsOfFile: home + "/err", encoding: .utf8))?.contains("waiting for the rate window") == true
        })
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let out = try String(contentsOfFile: home + "/out", encoding: .utf8)
      let lines = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      #expect(out.hasSuffix("\n"))
      #expect(lines.count == 10 && lines.allSatisfy { $0.contains(#""status":"invited""#) }, "\(out)")
      #expect(simulator.ledger.count == 10)
      let journal = try Binary.run(
        ["journal", "--base-url", simulator.baseURL, "--status", "invited"], environment: env)
      #expect(journal.stdout.split(separator: "\n").count == 10)
    }
  }

  @Test(
    "SIGTERM while waiting for the rate window: results for every row read, the rest skipped as interrupted, exit 130")
  func sigterm() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let env = ["XDG_STATE_HOME": home + "/state", "NETWORKED_API_KEY": ""]
    let program =
      #"range(30) | {name: "T\(.)", email: "t\(.)@example.net", tagId: "\#(Self.member)"} | invite --batch-size 1"#
    let process = try Self.start(["--sandbox", "-c", program], stdin: "", environment: env, directory: home)
    #expect(
      waitUntil {
        (try? String(contentsOfFile: home + "/err", encoding: .utf8))?.contains("waiting for the rate window") == true
      })
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    let out = try String(contentsOfFile: home + "/out", encoding: .utf8).split(separator: "\n")
    #expect(out.filter { $0.contains(#""status":"invited""#) }.count == 10)
    #expect(out.filter { $0.contains(#""reason":"interrupted""#) }.count >= 1)
    #expect(out.allSatisfy { $0.contains(#""status":"invited""#) || $0.contains(#""reason":"interrupted""#) })
  }
}

@Suite("kill -9 at each point of the send path (binary)")
struct CrashPointTests {
  @Test(
    "killed before sending, after sending, after recording: re-run + reconcile + re-run invite everyone exactly once",
    arguments: ["after-intent", "after-send", "after-outcome"])
  func crashAt(_ point: String) async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    var configuration = SimulatorConfiguration(apiKey: "crash-point-key-0002")
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration) { simulator in
      try Self.scenario(simulator, point: point, home: home)
    }
  }

  static func scenario(_ simulator: NetworkedSimulator, point: String, home: String) throws {
    let env = ["NETWORKED_API_KEY": "crash-point-key-0002", "XDG_STATE_HOME": home + "/state"]
    let rows =
      (0..<6).map { #"{"name":"C \#($0)","email":"c\#($0)@example.net","tagId":"69baa36beddb9f0012fdf101"}"# }
      .joined(separator: "\n") + "\n"
    let arguments = ["--base-url", simulator.baseURL, "-c", "read | invite --batch-size 3"]
    let crashed = try Binary.run(arguments, stdin: rows, environment: env.merging(["NWSH_TEST_CRASH_AT": point]) { $1 })
    #expect(crashed.status != 0)
    #expect(simulator.ledger.count == (point == "after-intent" ? 0 : 3), "\(point)")

    let rerun = try Binary.run(arguments, stdin: rows, environment: env)
    let lines = rerun.stdout.split(separator: "\n")
    #expect(lines.count == 6)
    let earlier = point == "after-outcome" ? #""reason":"already_invited""# : #""reason":"in_doubt""#
    #expect(lines.prefix(3).allSatisfy { $0.contains(earlier) }, "\(point): \(rerun.stdout)")

    let reconcile = try Binary.run(["reconcile", "--base-url", simulator.baseURL], environment: env)
    let expected = point == "after-intent" ? "sent_now" : "earlier_request_succeeded"
    let reconciled = reconcile.stdout.split(separator: "\n")
    #expect(reconciled.count == (point == "after-outcome" ? 0 : 3), "\(point): \(reconcile.stdout)")
    #expect(reconciled.allSatisfy { $0.contains(expected) })
    let final = try Binary.run(arguments, stdin: rows, environment: env)
    #expect(final.stdout.split(separator: "\n").allSatisfy { $0.contains(#""reason":"already_invited""#) })
    let emails = simulator.ledger.map(\.email)
    #expect(emails.count == 6 && Set(emails).count == 6, "\(point): \(emails)")
  }
}

@Suite("small safety findings (binary)")
struct SmallSafetyTests {
  @Test("state files are 0600 under umask 000, and nwsh's own state directory is tightened to 0700")
  func privateFiles() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try FileManager.default.createDirectory(
      atPath: home + "/state/nwsh", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    let rows = #"{"name":"U","email":"u@example.net","tagId":"69baa36beddb9f0012fdf101"}"#
    let output = try Binary.run(
      ["-c", "umask 000; exec \"$0\" --sandbox -c 'read | invite'", Binary.path], executable: "/bin/sh", stdin: rows,
      environment: ["XDG_STATE_HOME": home + "/state"])
    #expect(output.status == 0, "\(output.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: home + "/state/nwsh")
    #expect(files.contains("state.sqlite") && files.contains("state.sqlite-wal"), "\(files)")
    for file in files {
      let mode =
        try FileManager.default.attributesOfItem(atPath: home + "/state/nwsh/" + file)[.posixPermissions] as! Int
      #expect(mode & 0o077 == 0, "\(file) is \(String(mode, radix: 8))")
    }
    let directory = try FileManager.default.attributesOfItem(atPath: home + "/state/nwsh")[.posixPermissions] as! Int
    #expect(directory == 0o700)
  }

  @Test("SIGTERM stops a long evaluation within moments, exit 130")
  func sigtermDuringEvaluation() throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let process = try CrashTests.start(
      ["-n", "-c", "1 | debug | last(range(1e12)), (0 | until(. < 0; . + 1))"], stdin: "", environment: [:],
      directory: home)
    #expect(waitUntil { (try? String(contentsOfFile: home + "/err", encoding: .utf8))?.contains("DEBUG") == true })
    let signalled = Date()
    kill(process.processIdentifier, SIGTERM)
    let stopped = waitUntil(timeout: 10) { !process.isRunning }
    let took = Date().timeIntervalSince(signalled)
    if !stopped { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    #expect(stopped && process.terminationStatus == 130, "exit \(process.terminationStatus)")
    #expect(took < 2, "took \(took) s")
  }
}
