import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// nwsh as several hosts would run it: processes in pid and UTS namespaces of their own
/// (`unshare`), sharing one state, with short leases and real time. A live process keeps its
/// people however long it waits; a dead one's are free once its lease runs out; two
/// "containers" with one host name judge each other by lease, never by a pid from another
/// namespace.
@Suite("hosts told apart, leases that live with the process (binary, unshare, real time)")
struct HostsTests {
  static let key = "hosts-test-key-0020"

  /// A simulator that takes duplicates: whatever is sent twice shows in its ledger twice.
  static func careless() -> SimulatorConfiguration {
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.rateWindows = []
    configuration.acceptsDuplicates = true
    return configuration
  }

  /// nwsh started in new pid and UTS namespaces (as a container would be), named `host` unless
  /// nil (then the host name stays this machine's), running in the background.
  final class Host: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let collected = Locked<(out: Data, err: Data)>((Data(), Data()))
    private let done = DispatchSemaphore(value: 0)

    /// Starts nwsh with `arguments`; `isolated: false` runs it as a plain child of the test.
    /// Isolated, nwsh is its namespace's first process (pid 1), as a container's main process
    /// is, unless `asInit` is false: a namespace's pid 1 cannot stop itself (`SIGSTOP` from
    /// inside its namespace is ignored), so a test that stops nwsh at a hook starts it second.
    init(
      host: String?, isolated: Bool = true, asInit: Bool = true, _ arguments: [String], stdin: String = "",
      environment: [String: String]
    ) throws {
      if isolated {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let rename = host.map { "hostname \"\($0)\" && " } ?? ""
        let privileges = getuid() == 0 ? [] : ["--user", "--map-root-user"]
        process.arguments =
          privileges + [
            "--uts", "--pid", "--mount-proc", "--kill-child=SIGKILL", "/bin/sh", "-c",
            rename + (asInit ? "exec \"$@\"" : "\"$@\""), "sh",
          ] + [Binary.path] + arguments
      } else {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = arguments
      }
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
      let input = Pipe()
      process.standardInput = input
      process.standardOutput = output
      process.standardError = errors
      // Each stream is read on a thread of its own (never a dispatch queue: a test waiting in
      // finish() must not wait for a queue its own wait keeps from running).
      let collected = collected
      let done = done
      let remaining = Locked(2)
      for (pipe, isError) in [(output, false), (errors, true)] {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
          while true {
            let data = handle.availableData
            if data.isEmpty { break }
            collected.withLock { if isError { $0.err += data } else { $0.out += data } }
          }
          if remaining.withLock({ count -> Int in
            count -= 1
            return count
          }) == 0 {
            done.signal()
          }
        }
      }
      try process.run()
      try input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
      try input.fileHandleForWriting.close()
    }

    /// What it has written to stderr so far.
    var stderr: String { String(decoding: collected.withLock { $0.err }, as: UTF8.self) }

    /// What it has written to stdout so far.
    var stdout: String { String(decoding: collected.withLock { $0.out }, as: UTF8.self) }

    /// The nwsh process itself, as this test's namespace numbers it (the process started, or
    /// the nwsh below it in its namespace).
    var nwsh: pid_t? {
      var next = [process.processIdentifier]
      while let pid = next.popLast() {
        if (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("nwsh") == true { return pid }
        next += Self.children(of: pid)
      }
      return nil
    }

    /// Whether nwsh is stopped (`T` in `/proc/PID/stat`).
    var isStopped: Bool {
      guard let pid = nwsh, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      return stat[stat.index(close, offsetBy: 2)] == "T"
    }

    /// Sends `signal` to nwsh itself.
    func signal(_ signal: Int32) {
      if let pid = nwsh { kill(pid, signal) }
    }

    private static func children(of pid: pid_t) -> [pid_t] {
      let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
      return tasks.flatMap { task in
        ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
          .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
      }
    }

    /// Waits for it to end; what it printed and its status.
    func finish() -> Captured {
      done.wait()
      process.waitUntilExit()
      let (out, err) = collected.withLock { $0 }
      return Captured(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs one command to its end.
    static func run(
      host: String?, isolated: Bool = true, _ arguments: [String], stdin: String = "", environment: [String: String]
    ) throws -> Captured {
      try Host(host: host, isolated: isolated, arguments, stdin: stdin, environment: environment).finish()
    }
  }

  /// The state every host of a test shares: a SQLite file (a volume the containers mount) or
  /// a PostgreSQL database, with a lease of `lease` seconds.
  enum SharedState: String, CaseIterable, CustomStringConvertible {
    case sqlite, postgresql
    var description: String { rawValue }
  }

  /// Claims four people at once (one request), then waits 6 s for the window a roles lookup
  /// opened: the people are held, claimed, the whole time.
  static let slowInvite = "set rate-limits 1/6s; roles | take 0; read | invite --batch-size 4"

  static func stateURL(_ kind: SharedState, home: String, server: PostgresServer?, lease: Int) -> String {
    switch kind {
    case .sqlite: "file://\(home)/shared/state.sqlite?lease=\(lease)"
    case .postgresql: server!.url() + "?lease=\(lease)"
    }
  }

  @Test(
    "a run that waits longer than its lease (rate windows, then a Retry-After) keeps its people: another host neither re-sends nor takes them",
    arguments: SharedState.allCases)
  func liveHolderKeepsItsPeople(_ kind: SharedState) async throws {
    let home = temporaryDirectory("hosts")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let server = kind == .postgresql ? try PostgresServer.start() : nil
    defer { server?.stop() }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      // A holds four claims while it waits for a window (6 s), is refused for 3 s more (a 429),
      // and waits for the window again: six leases in all.
      simulator.inject(.rateLimited(retryAfter: "3"), path: "/api/v1/admin/community/invites")
      var environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      environment["NWSH_STATE"] = Self.stateURL(kind, home: home, server: server, lease: 2)
      environment.merge(server?.environment ?? [:]) { $1 }
      let rows = ConcurrencyTests.rows(0..<4)
      let a = try Host(
        host: "host-a", ["--base-url", simulator.baseURL, "-c", Self.slowInvite], stdin: rows, environment: environment)
      // While A waits, host B tries everything it could do with A's people.
      var b: [Captured] = []
      #expect(waitUntil(timeout: 30) { a.stderr.contains("waiting") }, "A waits for its window: \(a.stderr)")
      while a.process.isRunning {
        b.append(
          try Host.run(
            host: "host-b", ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite"], stdin: rows,
            environment: environment))
        b.append(
          try Host.run(host: "host-b", ["reconcile", "--base-url", simulator.baseURL], environment: environment))
      }
      let first = a.finish()
      #expect(b.count >= 4, "B ran while A waited: \(b.count / 2) rounds")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 4 && counts.values.allSatisfy { $0 == 1 }, "everyone invited once: \(counts)")
      let lines = first.stdout.split(separator: "\n")
      #expect(
        lines.count == 4 && lines.allSatisfy { $0.contains(#""status":"invited""#) }, "\(first.stdout) \(first.stderr)")
      for run in b {
        #expect(!run.stdout.contains(#""status":"invited""#), "B sent nobody: \(run.stdout)")
        #expect(!run.stdout.contains(#""resolution":"sent_now""#), "B re-sent nobody: \(run.stdout)")
      }
    }
  }

  @Test(
    "two containers with one host name (their own pid namespaces, one state file): each judges the other by its lease",
    arguments: SharedState.allCases)
  func oneHostName(_ kind: SharedState) async throws {
    let home = temporaryDirectory("hosts")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let server = kind == .postgresql ? try PostgresServer.start() : nil
    defer { server?.stop() }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      var environment = ["NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home]
      environment["NWSH_STATE"] = Self.stateURL(kind, home: home, server: server, lease: 600)
      environment.merge(server?.environment ?? [:]) { $1 }
      let rows = ConcurrencyTests.rows(0..<4)
      // Both keep this machine's host name; each is pid 1 of its own namespace.
      let a = try Host(
        host: nil, ["--base-url", simulator.baseURL, "-c", Self.slowInvite], stdin: rows, environment: environment)
      #expect(waitUntil(timeout: 30) { a.stderr.contains("waiting") }, "A waits for its window: \(a.stderr)")
      let invite = try Host.run(
        host: nil, ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite"], stdin: rows,
        environment: environment)
      let reconcile = try Host.run(host: nil, ["reconcile", "--base-url", simulator.baseURL], environment: environment)
      let first = a.finish()
      #expect(first.stdout.components(separatedBy: #""status":"invited""#).count - 1 == 4, "\(first.stdout)")
      #expect(!invite.stdout.contains(#""status":"invited""#), "\(invite.stdout)")
      #expect(invite.stdout.contains(#""reason":"claimed""#), "A's live claims held: \(invite.stdout)")
      #expect(!reconcile.stdout.contains("sent_now"), "\(reconcile.stdout)")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 4 && counts.values.allSatisfy { $0 == 1 }, "everyone invited once: \(counts)")
    }
  }

  @Test("a host killed while holding claims: its people are held for the rest of its lease, then free for another host")
  func deadHolderFreesAfterLease() async throws {
    let home = temporaryDirectory("hosts")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try await NetworkedSimulator.with(Self.careless()) { simulator in
      let environment = [
        "NETWORKED_API_KEY": Self.key, "XDG_STATE_HOME": home,
        "NWSH_STATE": Self.stateURL(.sqlite, home: home, server: nil, lease: 3),
      ]
      let rows = ConcurrencyTests.rows(0..<4)
      let a = try Host(
        host: "host-a",
        ["--base-url", simulator.baseURL, "-c", "set rate-limits 1/60s; roles | take 0; read | invite --batch-size 4"],
        stdin: rows, environment: environment)
      #expect(waitUntil(timeout: 30) { a.stderr.contains("waiting") }, "A waits for its window: \(a.stderr)")
      kill(a.process.processIdentifier, SIGKILL)
      _ = a.finish()
      let killedAt = Date()
      // At once: A's claims still stand for other hosts (they cannot see its pid).
      let early = try Host.run(
        host: "host-b", ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite"], stdin: rows,
        environment: environment)
      #expect(early.stdout.components(separatedBy: #""reason":"claimed""#).count - 1 == 4, "\(early.stdout)")
      // Once the lease has run out, they are free: B sends them, once. (A claimed them one by
      // one as their rows arrived, so their leases end milliseconds apart: B may need two runs.)
      #expect(
        waitUntil(timeout: 30) {
          _ = try? Host.run(
            host: "host-b", ["--base-url", simulator.baseURL, "-c", "set rate-limits none; read | invite"],
            stdin: rows, environment: environment)
          return ledgerCounts(simulator).count == 4
        })
      #expect(Date().timeIntervalSince(killedAt) >= 2.5, "not before the lease ran out")
      let counts = ledgerCounts(simulator)
      #expect(counts.count == 4 && counts.values.allSatisfy { $0 == 1 }, "everyone invited once: \(counts)")
    }
  }
}
