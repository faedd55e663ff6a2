import Foundation
import JQ
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

@Suite("invite against the simulator")
struct InviteTests {
  @Test("2,000 rows: every row invited, zero 429s, within 1% of the fastest schedule the windows allow")
  func twoThousandRows() async throws {
    try await Harness.run { h in
      let start = h.clock.now
      let outcome = try await h.run("read | invite", stdin: inviteRows(2000))
      #expect(outcome.status == .success)
      #expect(outcome.results.count == 2000)
      #expect(outcome.with(status: "invited").count == 2000)
      #expect(Set(outcome.results.compactMap { $0["row"]?.doubleValue }).count == 2000)
      #expect(h.simulator.rateLimitRefusals == 0)
      #expect(h.simulator.ledger.count == 2000)
      // 20 requests of 100: 10 at once, 10 more a minute later.
      let requests = h.simulator.receivedRequests.filter { $0.method == "POST" }
      #expect(requests.count == 20)
      let optimal = RateSchedule(margin: 0).plan(count: 20, now: start, after: []).last! - start
      let took = Double(requests.map(\.receivedAt).max()!) / 1000 - start
      #expect(optimal == 60)
      #expect(took >= optimal && took <= optimal * 1.01, "took \(took)s, the fastest is \(optimal)s")
      #expect(outcome.stderr.contains("invite: 2000 rows (2000 invited) in 20 requests"))
    }
  }

  @Test("200 requests over three hours: never a 429, every window respected, within 1% of optimal")
  func threeHoursOfWindows() async throws {
    try await Harness.run { h in
      let start = h.clock.now
      let outcome = try await h.run("read | batch 10 | invite", stdin: inviteRows(2000))
      #expect(outcome.with(status: "invited").count == 2000)
      #expect(h.simulator.rateLimitRefusals == 0)
      let times = h.simulator.receivedRequests.map(\.receivedAt)
      #expect(times.count == 200)
      #expect(windowViolation(times, RateLimit.documented) == nil)
      let optimal = RateSchedule(margin: 0).plan(count: 200, now: start, after: []).last! - start
      let took = Double(times.max()!) / 1000 - start
      #expect(took >= optimal && took <= optimal * 1.01, "took \(took)s, the fastest is \(optimal)s")
      // Waiting was reported on stderr as plain lines (not a terminal), not once per request.
      let waits = outcome.progress.split(separator: "\n").filter { $0.contains("waiting for the rate window") }
      #expect(!waits.isEmpty && waits.count < 200)
    }
  }

  @Test("a batch with mixed outcomes maps every email to its own status")
  func mixedOutcomes() async throws {
    try await Harness.run { h in
      // Invite one address first, so the batch below meets it again.
      _ = try await h.run("read | invite", stdin: inviteRows(1, from: 7))
      let rows = """
        {"name":"New One","email":"new.one@example.org","tagId":"\(Roles.member)"}
        {"name":"Grace","email":"grace@example.com","tagId":"\(Roles.member)"}
        {"name":"Person 7","email":"person7@example.org","tagId":"\(Roles.member)"}
        {"name":"Bad Role","email":"bad.role@example.org","tagId":"000000000000000000000000"}
        {"name":"New Two","email":"New.Two@Example.org","tagId":"\(Roles.moderator)","note":"Hi"}

        """
      // --reinvite: past the journal (which would skip person7), so the server's answer shows.
      let outcome = try await h.run("read | invite --reinvite", stdin: rows)
      #expect(outcome.status == .someFailed)
      // A member is settled (skipped, with the reason); a re-invite refused as too soon is not.
      #expect(outcome.statusByRow == [1: "invited", 2: "skipped", 3: "failed", 4: "failed", 5: "invited"])
      #expect(outcome.with(status: "skipped").map { $0["reason"]?.stringValue } == ["already_member"])
      let codes = outcome.with(status: "failed").map { $0["error"]?["code"]?.stringValue }
      #expect(codes == ["already_invited", "unknown_tag"])
      #expect(outcome.with(status: "failed").map { $0["error"]?["retryable"] } == [.bool(true), .bool(false)])
      let invited = outcome.with(status: "invited")
      #expect(invited.allSatisfy { $0["inviteId"]?.stringValue?.count == 24 && $0["timeStamp"]?.doubleValue != nil })
      #expect(invited.map { $0["email"]?.stringValue } == ["new.one@example.org", "New.Two@Example.org"])
    }
  }

  @Test("an email missing from the response, or in both lists, is unknown (exit 2), never assumed")
  func inDoubtOutcomes() async throws {
    try await Harness.run { h in
      let body = """
        {"data":{"success":[{"email":"person0@example.org","data":{"inviteId":"a1","timeStamp":1}},
        {"email":"person2@example.org","data":{"inviteId":"a2","timeStamp":1}}],
        "failure":[{"email":"person2@example.org","error":{"code":"x"}}]},"error":false,"message":"ok"}
        """
      h.simulator.inject(.body(body, contentType: "application/json", acting: false))
      let outcome = try await h.run("read | invite", stdin: inviteRows(3))
      #expect(outcome.statusByRow == [1: "invited", 2: "unknown", 3: "unknown"])
      #expect(
        outcome.with(status: "unknown").map { $0["error"]?["code"]?.stringValue } == [
          "missing_from_response", "contradictory_response",
        ])
      #expect(outcome.status == .someUnknown)
    }
  }

  @Test("invalid and duplicate rows get their own results and never reach the server")
  func invalidAndDuplicates() async throws {
    try await Harness.run { h in
      let rows = """
        {"name":"Ok","email":"ok@example.org","tagId":"\(Roles.member)"}
        {"name":"","email":"noname@example.org","tagId":"\(Roles.member)"}
        {"name":"No At","email":"not-an-email","tagId":"\(Roles.member)"}
        {"name":"No Role","email":"norole@example.org"}
        ["not", "an", "object"]
        {"name":"Again","email":"OK@example.org","tagId":"\(Roles.member)"}
        {broken json
        {"name":"Spaces","email":"two words@example.org","tagId":"\(Roles.member)"}

        """
      let outcome = try await h.run("read | invite", stdin: rows)
      #expect(outcome.results.count == 8)
      #expect(
        outcome.statusByRow == [
          1: "invited", 2: "invalid", 3: "invalid", 4: "invalid", 5: "invalid", 6: "skipped", 7: "invalid",
          8: "invalid",
        ])
      let codes = outcome.with(status: "invalid").map { $0["error"]?["code"]?.stringValue ?? "" }
      #expect(codes == ["missing_name", "invalid_email", "missing_role", "not_an_object", "bad_json", "invalid_email"])
      #expect(outcome.results.first { $0["row"]?.doubleValue == 6 }?["duplicateOf"]?.doubleValue == 1)
      #expect(h.simulator.ledger.map(\.email) == ["ok@example.org"])
      let sent = h.simulator.receivedRequests.map(\.bodyText).joined()
      for email in ["noname@", "not-an-email", "norole@", "OK@example.org", "two words"] {
        #expect(!sent.contains(email))
      }
      #expect(outcome.status == .someFailed)
    }
  }

  @Test("dry run sends nothing and says how many requests and how long")
  func dryRun() async throws {
    try await Harness.run { h in
      let outcome = try await h.run(
        "set dry-run on\nread | invite --plans [\"6801f0c2a1b2c3d4e5f60001\"]", stdin: inviteRows(1500))
      #expect(h.simulator.requestCount == 0)
      #expect(h.simulator.ledger.isEmpty)
      #expect(outcome.with(status: "planned").count == 1500)
      let first = outcome.results[0]
      #expect(first["request"]?.doubleValue == 1)
      #expect(first["http"]?["method"]?.stringValue == "POST")
      #expect(first["http"]?["url"]?.stringValue?.hasSuffix("/api/v1/admin/community/invites/emails") == true)
      #expect(first["http"]?["user"]?["email"]?.stringValue == "person0@example.org")
      guard case .array(let plans)? = first["http"]?["users"]?["monetizationPlanIds"] else {
        Issue.record("no monetizationPlanIds in \(first)")
        return
      }
      #expect(plans.map(\.stringValue) == ["6801f0c2a1b2c3d4e5f60001"])
      #expect(outcome.results.last?["request"]?.doubleValue == 15)
      #expect(!outcome.stdout.contains(Harness.key))
      // 15 requests: 10 now, 5 a minute later.
      #expect(
        outcome.stderr.contains("dry run: would take 15 requests, 1m 00s under the rate windows"), "\(outcome.stderr)")
      #expect(outcome.status == .success)
    }
  }

  @Test("role(\"…\") resolves names trimmed and without case, fetches once, and lists the names when unknown")
  func roleResolution() async throws {
    try await Harness.run { h in
      let run = try h.session()
      let first = await run.run(#"role("architect"), role(" MEMBER ")"#)
      #expect(first.results.map(\.stringValue) == [Roles.architect, Roles.member])
      let second = await run.run(#"{name: "A", email: "a@example.org", tagId: role("Moderator")} | invite"#)
      #expect(second.with(status: "invited").count == 1)
      let rolesRequests = h.simulator.receivedRequests.filter { $0.target.hasPrefix("/api/v1/global/tags/community") }
      #expect(rolesRequests.count == 1)
      let unknown = await run.run(#"role("Wizard")"#)
      #expect(unknown.stderr.contains(#"no role named "Wizard"; the roles are: "Admin", "Moderator""#))
      #expect(unknown.stderr.contains(#""Architect""#))
      #expect(unknown.status == .usage)
      // Once the roles are known, a tagId that is not one of them is caught before sending.
      let stale = await run.run(#"{name: "B", email: "b@example.org", tagId: "000000000000000000000000"} | invite"#)
      #expect(stale.results.first?["error"]?["code"]?.stringValue == "unknown_role")
      #expect(h.simulator.ledger.count == 1)
    }
  }

  @Test("a 413 splits the batch, remembers the size that worked, and every row is still invited")
  func tooLargeSplits() async throws {
    try await Harness.run(configure: { $0.maxUsersPerInvite = 30 }) { h in
      let outcome = try await h.run("read | invite --batch-size 100", stdin: inviteRows(200))
      #expect(outcome.with(status: "invited").count == 200)
      let statuses = h.simulator.receivedRequests.map(\.bodyText).map {
        $0.components(separatedBy: "\"email\"").count - 1
      }
      // 100 → 413, 50 → 413, 25 ✓ 25 ✓ 25 ✓ 25 ✓ then 25 at a time from the start.
      #expect(statuses.prefix(3) == [100, 50, 25])
      #expect(statuses.dropFirst(2).allSatisfy { $0 == 25 })
      #expect(h.simulator.ledger.count == 200)
      #expect(outcome.stderr.contains("sending at most 25 per request"))
    }
  }

  @Test("a 429 pauses the queue for Retry-After and retries the same request")
  func retryAfter429() async throws {
    try await Harness.run { h in
      h.simulator.inject(.rateLimited(retryAfter: "30"), path: "/api/v1/admin/community/invites")
      let start = h.clock.now
      let outcome = try await h.run("read | invite", stdin: inviteRows(5))
      #expect(outcome.with(status: "invited").count == 5)
      #expect(h.simulator.receivedRequests.count == 2)
      #expect(h.clock.now - start >= 30)
      #expect(outcome.progress.contains("pausing until"))
      #expect(h.simulator.ledger.count == 5)
    }
  }

  @Test("a wrong key: the first request fails 401, nothing more is sent, later rows are skipped, exit 77")
  func wrongKey() async throws {
    try await Harness.run { h in
      let outcome = try await h.run("read | invite --batch-size 2", stdin: inviteRows(5), key: "wrong-key-123456")
      #expect(outcome.status == .authentication)
      #expect(outcome.statusByRow == [1: "failed", 2: "failed", 3: "skipped", 4: "skipped", 5: "skipped"])
      #expect(outcome.with(status: "skipped").allSatisfy { $0["reason"]?.stringValue == "authentication_failed" })
      #expect(h.simulator.requestCount == 1)
      #expect(!outcome.stdout.contains("wrong-key") && !outcome.stderr.contains("wrong-key"))
    }
  }

  @Test("a request that fails after reaching the server leaves its rows unknown (exit 2); the others go on")
  func serverErrorIsInDoubt() async throws {
    try await Harness.run { h in
      h.simulator.inject(.statusAfterActing(500), path: "/api/v1/admin/community/invites")
      let outcome = try await h.run("read | invite --batch-size 2", stdin: inviteRows(4))
      #expect(outcome.statusByRow == [1: "unknown", 2: "unknown", 3: "invited", 4: "invited"])
      #expect(outcome.with(status: "unknown").allSatisfy { $0["error"]?["code"]?.stringValue == "in_doubt" })
      #expect(outcome.status == .someUnknown)
      // Sent once each: nothing was retried blindly.
      #expect(h.simulator.receivedRequests.count == 2)
    }
  }

  @Test("Ctrl-C while waiting for a window: rows not sent are skipped as interrupted, exit 130")
  func interruptedWhileWaiting() async throws {
    try await Harness.run { h in
      // The "user" presses Ctrl-C the moment nwsh has to wait for the rate window.
      let clock = InterruptingClock(base: h.clock)
      let run = try h.session(stdin: inviteRows(30), clock: clock)
      clock.interruption = run.session.interruption
      let outcome = await run.run("read | invite --batch-size 2")
      #expect(outcome.status == .interrupted)
      // Ten requests went out; the eleventh had to wait and was never sent. Rows read so far
      // all have a result; no more rows were taken.
      #expect(outcome.with(status: "invited").count == 20)
      #expect(outcome.statusByRow[21] == "skipped" && outcome.statusByRow[22] == "skipped")
      #expect(outcome.with(status: "skipped").allSatisfy { $0["reason"]?.stringValue == "interrupted" })
      #expect(outcome.results.count == 22)
      #expect(h.simulator.ledger.count == 20)
    }
  }

  @Test("add: invite and direct methods; the password is sent only with direct and never printed")
  func add() async throws {
    try await Harness.run { h in
      let password = "Hunter2-very-secret"
      let rows = """
        {"name":"Ada","email":"ada@example.org","roleId":"\(Roles.member)","password":"\(password)"}
        {"name":"Bob","email":"bob@example.org","roleId":"\(Roles.member)"}

        """
      let invite = try await h.run("read | add-users", stdin: rows)
      #expect(invite.statusByRow == [1: "invited", 2: "invited"])
      let direct = try await h.run(
        "read | map {name, email: (\"d.\" + .email), roleId, password} | add-users --method direct", stdin: rows)
      #expect(direct.statusByRow == [1: "added", 2: "invalid"])
      #expect(direct.results[1]["error"]?["code"]?.stringValue == "missing_password")
      let planned = try await h.run("read | add --method direct --dry-run --reinvite", stdin: rows)
      #expect(planned.results[0]["http"]?["form"]?["password"]?.stringValue == "<redacted>")
      for output in [invite, direct, planned] {
        #expect(!output.stdout.contains(password) && !output.stderr.contains(password))
      }
      let ledger = h.simulator.ledger
      #expect(ledger.map(\.email) == ["ada@example.org", "bob@example.org", "d.ada@example.org"])
      #expect(ledger.map(\.passwordSet) == [false, false, true])
      let methodOne = h.simulator.receivedRequests.first { $0.bodyText.contains("method=1") }
      #expect(methodOne?.bodyText.contains("password") == false)
    }
  }

  @Test("roles, members (paged lazily), plans and api emit rows")
  func directory() async throws {
    try await Harness.run { h in
      let roles = try await h.run("roles | .name")
      #expect(
        roles.results.map(\.stringValue) == [
          "Admin", "Moderator", "Contributor", "Viewer", "Architect ", "Member", "Alumni",
        ])
      let members = try await h.run("members --page-size 1 | take 2 | .email")
      #expect(members.results.map(\.stringValue) == ["owner@example.com", "user123@yopmail.com"])
      #expect(h.simulator.receivedRequests.filter { $0.target.hasPrefix("/api/v1/admin/community/users") }.count == 2)
      let plans = try await h.run("plans | .planId")
      #expect(plans.results.map(\.stringValue) == ["6801f0c2a1b2c3d4e5f60001", "6801f0c2a1b2c3d4e5f60002"])
      let api = try await h.run(
        "api GET /api/v1/admin/community/users --query {start: 0, count: 3} | .data.content | length")
      #expect(api.results.map(\.doubleValue) == [3])
      #expect(h.simulator.receivedRequests.last?.target == "/api/v1/admin/community/users?start=0&count=3")
    }
  }
}

/// Wraps a clock so the first wait for a window sets the session's interruption, as Ctrl-C would.
final class InterruptingClock: PacingClock, @unchecked Sendable {
  let base: VirtualClock
  var interruption: Interruption?
  init(base: VirtualClock) { self.base = base }
  var now: Double { base.now }
  var elapsed: Double { base.elapsed }
  func every(_ interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker {
    base.every(interval, name: name, body)
  }
  func wait(until deadline: Double, interruption: Interruption) throws {
    self.interruption?.set()
    try base.wait(until: deadline, interruption: interruption)
  }
}

@Suite("pacing details")
struct PacingDetailTests {
  @Test("connection refused before sending: backs off with jitter, then fails the rows as not_sent")
  func connectionRefused() async throws {
    try await Harness.run { h in
      // A port nobody listens on (a freshly closed one could be reused by a test running
      // beside this one, whose server would answer 401).
      let url = "http://127.0.0.1:1"
      let errors = Locked<String>("")
      let session = Session(
        output: OutputSink(style: .lines) { _ in }, diagnostics: { text in errors.withLock { $0 += text } },
        environment: HostEnvironment())
      let output = Locked<[UInt8]>([])
      session.output = OutputSink(style: .lines) { bytes in output.withLock { $0 += bytes } }
      session.standardInput = { BytesSource(inviteRows(2)) }
      NetworkedCommands.register(
        in: session,
        configuration: NetworkedConfiguration(
          baseURL: try BaseURL(url), key: APIKey(Harness.key), clock: h.clock, state: .file(h.statePath),
          transport: HTTPClientTransport(timeout: 5), jitter: { 0.5 }, progress: .silent))
      let start = h.clock.now
      let status: ShellCore.ExitStatus = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: session.run("read | invite", name: "<test>")) }.start()
      }
      let text = String(decoding: output.withLock { $0 }, as: UTF8.self)
      #expect(status == .someFailed, "\(errors.withLock { $0 })")
      #expect(text.components(separatedBy: #""code":"not_sent""#).count - 1 == 2)
      // 1 + 2 + 4 + 8 + 16 seconds, each × 0.75 for the jitter this test fixes.
      #expect(abs(h.clock.now - start - 23.25) < 0.01)
    }
  }

  @Test("set rate-limits paces to other windows: a 2-a-minute plan never meets a 429")
  func customWindows() async throws {
    try await Harness.run(configure: { $0.rateWindows = [RateWindow(limit: 2, seconds: 60)] }) { h in
      let start = h.clock.now
      let outcome = try await h.run("set rate-limits 2/1m\nread | invite --batch-size 1", stdin: inviteRows(6))
      #expect(outcome.with(status: "invited").count == 6)
      #expect(h.simulator.rateLimitRefusals == 0)
      #expect(abs(h.clock.now - start - 120.5) < 0.01)  // 2 now, 2 at 60.25 s, 2 at 120.5 s
      let bad = try await h.run(#"set rate-limits "10 per minute""#)
      #expect(bad.status == .usage && bad.stderr.contains("is not LIMIT/SPAN"))
    }
  }

  @Test("on a terminal the wait is one live line, rewritten in place, with rows, requests, next send and ETA")
  func liveLine() async throws {
    try await Harness.run { h in
      let progress = Locked<String>("")
      let session = Session(
        output: OutputSink(style: .lines) { _ in }, diagnostics: { _ in }, environment: HostEnvironment())
      session.standardInput = { BytesSource(inviteRows(30)) }
      NetworkedCommands.register(
        in: session,
        configuration: NetworkedConfiguration(
          baseURL: try BaseURL(h.simulator.baseURL), key: APIKey(Harness.key), clock: h.clock,
          state: .file(h.statePath),
          progress: ProgressOutput(isTerminal: true) { text in progress.withLock { $0 += text } }))
      _ = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: session.run("read | batch 30 | invite --batch-size 2", name: "<t>")) }
          .start()
      }
      let text = progress.withLock { $0 }
      #expect(text.contains("\r\u{1B}[2Kwaiting for the rate window: next request at "))
      #expect(text.contains("· 20 rows done · 10 requests sent · ETA 1m "))  // an estimate: about a minute
      #expect(!text.contains("\n"))  // never scrolls: one line, cleared at the end
      #expect(text.hasSuffix("\r\u{1B}[2K"))
    }
  }
}
