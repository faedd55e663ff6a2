import Foundation

/// One rate window: at most `limit` requests in any `seconds`-long sliding interval.
public struct RateWindow: Sendable, Hashable, CustomStringConvertible {
  /// Requests allowed in the window.
  public var limit: Int
  /// The window's length in seconds.
  public var seconds: Int

  /// Creates a window.
  public init(limit: Int, seconds: Int) {
    self.limit = limit
    self.seconds = seconds
  }

  /// The documented limits: 10 per minute, 50 per 10 minutes, 120 per hour.
  public static let documented = [
    RateWindow(limit: 10, seconds: 60), RateWindow(limit: 50, seconds: 600), RateWindow(limit: 120, seconds: 3600),
  ]

  public var description: String { "\(limit)/\(seconds)s" }
}

/// How a simulator behaves. The defaults follow the docs; where they are silent the choice is
/// written next to the setting and in `docs/simulator.md`.
public struct SimulatorConfiguration: Sendable {
  /// Keys that authenticate as the community owner.
  public var apiKeys: Set<String>
  /// Keys that authenticate but lack the privilege for admin endpoints (answered 403).
  public var restrictedKeys: Set<String> = []
  /// Sliding windows applied per key; empty for no limit.
  public var rateWindows: [RateWindow] = RateWindow.documented
  /// Most `users` one invites call may carry; more is answered 413 (the docs give no limit).
  public var maxUsersPerInvite = 250
  /// Largest request body accepted; more is answered 413.
  public var maxBodyBytes = 1_048_576
  /// Largest members page; a larger `count` is cut to it.
  public var maxPageSize = 100
  /// Whether a second invite or add for the same person is carried out again instead of being
  /// refused (`already_invited`): a careless server, for tests that count what nwsh sent.
  public var acceptsDuplicates = false
  /// How long after an invite a second one to the same person is sent as a reminder instead of
  /// being refused (`already_invited`), in milliseconds. The docs are silent: one day, so a
  /// re-send minutes later (a retry, a reconcile) is refused as a duplicate, and a nudge a week
  /// later goes out.
  public var reminderAfter: Int64 = 86_400_000
  /// Invitees who join by themselves, for rehearsing the funnel; nil: nobody joins. With a
  /// community file it is stored there, so later runs of the sandbox keep it.
  public var acceptance: Acceptance?
  /// A file that keeps the community between runs and shares it between processes (the
  /// sandbox's `$XDG_STATE_HOME/nwsh/sandbox.json`); nil keeps it in memory only.
  public var communityFile: String?
  /// Whether to start with the seeded members, roles and plans.
  public var seeded = true
  /// The clock, in milliseconds since the Unix epoch. Inject one to run hours of traffic at once.
  public var now: @Sendable () -> Int64 = { Int64((Date.timeIntervalSinceReferenceDate + 978_307_200) * 1000) }
  /// Sleeps for a fault's delay, in milliseconds (real time by default).
  public var sleep: @Sendable (Int) -> Void = { milliseconds in usleep(useconds_t(milliseconds) * 1000) }

  /// A configuration that accepts `apiKey`.
  public init(apiKey: String) {
    self.apiKeys = [apiKey]
  }
}

/// Which invitees accept their invite, and when: each with probability `rate`, decided by the
/// email (the same email always decides the same way, so runs are repeatable), `after`
/// milliseconds after their first invite (of the simulator's clock).
public struct Acceptance: Sendable, Hashable, Codable {
  /// The share of invitees who join, from 0 to 1.
  public var rate: Double
  /// How long after the first invite they join, in milliseconds.
  public var after: Int64

  /// Creates a rule.
  public init(rate: Double, after: Int64) {
    self.rate = rate
    self.after = after
  }

  /// Whether `email` is one of those who accept: the email's FNV-1a hash, as a fraction of
  /// 2⁶⁴, is below `rate`.
  public func accepts(_ email: String) -> Bool {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in email.lowercased().utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return Double(hash) / 18_446_744_073_709_551_616.0 < rate
  }
}
