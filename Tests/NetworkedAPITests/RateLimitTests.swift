import NetworkedAPI
import NetworkedSimulator
import TestSupport
import Testing

@Suite("Rate windows")
struct RateLimitTests {
  @Test func eleventhRequestInAMinuteIsRefusedWithRetryAfter() async throws {
    try await Sandbox.run { sandbox in
      for _ in 0..<10 {
        _ = try await sandbox.client.roles()
        sandbox.clock.advance(seconds: 1)
      }
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.roles()
        Issue.record("the 11th request was admitted")
      } catch {
        #expect(error.code == .rateLimited)
        #expect(error.status == 429)
        // The first request was at t=0; now is t=10s; it leaves the window at t=60s.
        #expect(error.retryAfter == .seconds(50))
      }
      sandbox.clock.advance(seconds: 50)
      _ = try await sandbox.client.roles()
    }
  }

  @Test func tenMinuteAndHourWindowsBind() async throws {
    try await Sandbox.run { sandbox in
      // 10 per minute for 5 minutes = 50: the 10-minute window is then full.
      for _ in 0..<5 {
        for _ in 0..<10 { _ = try await sandbox.client.roles() }
        sandbox.clock.advance(seconds: 60)
      }
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.roles()
        Issue.record("the 51st request in 10 minutes was admitted")
      } catch {
        #expect(error.code == .rateLimited)
        #expect(error.retryAfter == .seconds(300))  // the first 10 leave the window at t=600s
      }
      sandbox.clock.advance(seconds: 300)
      // Another 50 over the next 10 minutes, then the 120/hour window binds after 20 more.
      for _ in 0..<7 {
        for _ in 0..<10 { _ = try await sandbox.client.roles() }
        sandbox.clock.advance(seconds: 120)
      }
      // 120 admitted so far, the first at t=0; now t = 300+300+840 = 1440s.
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.roles()
        Issue.record("the 121st request in an hour was admitted")
      } catch {
        #expect(error.retryAfter == .seconds(3600 - 1440))
      }
    }
  }

  @Test func windowsArePerKeyAndRefusalsDoNotCount() async throws {
    try await Sandbox.run(configure: {
      $0.apiKeys.insert("second-key")
      $0.rateWindows = [RateWindow(limit: 2, seconds: 10)]
    }) {
      sandbox in
      let other = try sandbox.client(key: "second-key")
      _ = try await sandbox.client.roles()
      _ = try await sandbox.client.roles()
      for _ in 0..<5 { await #expect(throws: NetworkedAPIError.self) { try await sandbox.client.roles() } }
      _ = try await other.roles()  // another key has its own budget
      sandbox.clock.advance(seconds: 10)
      _ = try await sandbox.client.roles()  // refused attempts did not extend the wait
    }
  }
}
