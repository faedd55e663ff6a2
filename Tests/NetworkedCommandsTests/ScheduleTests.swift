import Foundation
import NetworkedCommands
import Testing

@Suite("Rate schedule")
struct ScheduleTests {
  /// The fastest schedule found independently: second by second, send whenever every window
  /// has room (integer windows, no margin).
  static func bruteForce(count: Int, limits: [RateLimit]) -> [Double] {
    var sent: [Int] = []
    var t = 0
    while sent.count < count {
      let fits = limits.allSatisfy { limit in
        sent.reversed().prefix { $0 > t - Int(limit.seconds) }.count < limit.limit
      }
      if fits { sent.append(t) } else { t += 1 }
    }
    return sent.map(Double.init)
  }

  @Test("the greedy plan equals a second-by-second search for the fastest schedule")
  func greedyIsOptimal() {
    let schedule = RateSchedule(limits: RateLimit.documented, margin: 0)
    let plan = schedule.plan(count: 300, now: 0, after: [])
    #expect(plan == Self.bruteForce(count: 300, limits: RateLimit.documented))
    // The documented windows: 10 at once, the 11th a minute later, the 51st at 10 minutes,
    // the 121st at an hour.
    #expect(plan[9] == 0 && plan[10] == 60 && plan[49] == 240 && plan[50] == 600 && plan[120] == 3600)
  }

  @Test("other windows (set rate-limits) plan optimally too")
  func otherWindows() throws {
    let limits = try RateLimit.parseList("3/10s, 7/1m")
    let plan = RateSchedule(limits: limits, margin: 0).plan(count: 40, now: 0, after: [])
    #expect(plan == Self.bruteForce(count: 40, limits: limits))
    #expect(try RateLimit.parseList("none").isEmpty)
    #expect(throws: RateLimitSyntaxError.self) { try RateLimit.parseList("10 per minute") }
    #expect(RateLimit.documented.map(\.description) == ["10/1m", "50/10m", "120/1h"])
  }

  @Test("earlier sends count: a full minute window holds the next request until the oldest leaves it")
  func historyCounts() {
    let schedule = RateSchedule(limits: [RateLimit(limit: 2, seconds: 60)], margin: 0.25)
    #expect(schedule.earliest(now: 100, after: [50, 90]) == 110.25)
    #expect(schedule.earliest(now: 100, after: [30, 90]) == 100)
    // A plan keeps requests in order.
    #expect(schedule.plan(count: 1, now: 100, after: [130]) == [130])
  }

  @Test("SHA-256 matches the published test vectors; the fingerprint does not contain the key")
  func fingerprint() {
    #expect(Fingerprint.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(Fingerprint.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      Fingerprint.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    let a = Fingerprint.of(key: "secret-key-1", baseURL: "https://backend.networked.co")
    #expect(a.count == 16 && !a.contains("secret"))
    #expect(a != Fingerprint.of(key: "secret-key-2", baseURL: "https://backend.networked.co"))
    #expect(a != Fingerprint.of(key: "secret-key-1", baseURL: "http://127.0.0.1:8080"))
  }

  @Test("two stores on one file share the budget and hand out distinct, ordered slots")
  func sharedStore() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nwsh-store-\(UUID().uuidString)/state.sqlite"
    ).path
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let first = try StateStore.open(.file(path))
    let second = try StateStore.open(.file(path))
    let schedule = RateSchedule(limits: [RateLimit(limit: 3, seconds: 60)], margin: 0)
    var slots: [Double] = []
    for i in 0..<8 {
      let store = i.isMultiple(of: 2) ? first : second
      let reservation = try store.reserve(scope: "s", schedule: schedule, now: 1000, method: "POST", path: "/x")
      slots.append(reservation.at)
      try store.complete(reservation, at: reservation.at, status: 200)
    }
    #expect(slots == [1000, 1000, 1000, 1060, 1060, 1060, 1120, 1120])
    // Another scope is not held back, and the key never reaches the file.
    #expect(try first.reserve(scope: "other", schedule: schedule, now: 1000, method: "GET", path: "/y").at == 1000)
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
  }
}
