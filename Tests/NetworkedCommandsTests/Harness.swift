import Foundation
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Synchronization

/// The project's tests use the harness it ships (NetworkedTesting) under a short name.
typealias Harness = SimulatorHarness

extension SimulatorHarness {
  /// A session for `key` reading `stdin`, with another clock, retry policy, transport timeout or
  /// state opener when given.
  func session(
    key: String = SimulatorHarness.key, stdin: String = "", clock: (any PacingClock)? = nil,
    retryPolicy: RetryPolicy = RetryPolicy(), timeout: Double = 10, openState: StateOpener? = nil
  ) throws -> Run {
    try session(key: key, stdin: stdin) { configuration in
      if let clock { configuration.clock = clock }
      configuration.retryPolicy = retryPolicy
      configuration.transport = HTTPClientTransport(timeout: timeout)
      if let openState { configuration.openState = openState }
    }
  }
}

/// `count` invite rows as JSON lines: `person0@example.org` … with the Member role's id.
func inviteRows(_ count: Int, from start: Int = 0, tagId: String = Roles.member, domain: String = "example.org")
  -> String
{
  (start..<(start + count)).map { i in
    #"{"name":"Person \#(i)","email":"person\#(i)@\#(domain)","tagId":"\#(tagId)"}"#
  }.joined(separator: "\n") + "\n"
}

enum Roles {
  static let member = "69baa36beddb9f0012fdf101"
  static let moderator = "67959032bc6bea0012fdc676"
  static let architect = "68739cdd8bf6c100121117f2"
}

/// Checks admitted request times (ms) against windows; returns the first violation, if any.
func windowViolation(_ times: [Int64], _ limits: [RateLimit]) -> String? {
  let sorted = times.sorted()
  for limit in limits {
    let span = Int64(limit.seconds * 1000)
    var start = 0
    for end in sorted.indices {
      while sorted[start] <= sorted[end] - span { start += 1 }
      if end - start + 1 > limit.limit {
        return "\(end - start + 1) requests within \(limit) ending at \(sorted[end])"
      }
    }
  }
  return nil
}

/// A value several threads append to.
final class Locked<T: Sendable>: Sendable {
  private let value: Mutex<T>
  init(_ initial: T) { value = Mutex(initial) }
  func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}
