import Foundation
import NetworkedAPI
import Synchronization

/// How many times, and how patiently, requests that were not carried out are tried again.
public struct RetryPolicy: Sendable, Hashable {
  /// Attempts per request after the first, for 429, 503 and failures to connect.
  public var attemptsPerRequest = 5
  /// Retries allowed in one run across all requests; once spent, failures are final at once
  /// (so an outage does not turn into a retry storm).
  public var budget = 30
  /// First back-off after a failure to connect, doubled each time up to `maximumDelay`.
  public var initialDelay = 1.0
  /// The longest back-off.
  public var maximumDelay = 60.0
  /// Wait after a 429 or 503 that carries no `Retry-After`.
  public var defaultRetryAfter = 60.0
  /// The longest `Retry-After` honoured; a longer one fails the request instead of stalling.
  public var maximumRetryAfter = 3600.0

  /// The defaults.
  public init() {}
}

/// The retries a run has left.
final class RetryBudget: Sendable {
  private let remaining: Mutex<Int>
  init(_ count: Int) { remaining = Mutex(count) }
  /// Takes one retry; false when none are left.
  func take() -> Bool {
    remaining.withLock { count in
      guard count > 0 else { return false }
      count -= 1
      return true
    }
  }
}

/// When to try again a request the server did not carry out: a 429 or 503 (every request of
/// the key pauses for the `Retry-After`, or ``RetryPolicy/defaultRetryAfter``), or a
/// connection that never opened (this request backs off exponentially, with jitter). Anything
/// else is final: whether it is done, failed or in doubt is the caller's to read.
struct RetryRule {
  let policy: RetryPolicy
  let budget: RetryBudget
  let jitter: @Sendable () -> Double

  /// What to do after a try.
  enum Decision: Equatable {
    /// Every request of the key waits until then, then this one goes again.
    case pause(until: Double)
    /// This request waits until then, then goes again.
    case backOff(until: Double)
    /// Give up: the failure is final.
    case giveUp
  }

  /// Whether `error` (the answer to try number `attempt`, counting from 1, at `now`) is one to
  /// try again, and when.
  func decide(_ error: NetworkedAPIError, attempt: Int, now: Double) -> Decision {
    let pausesScope = error.code == .rateLimited || (error.code == .serverError && error.status == 503)
    let neverSent = error.code == .transport && !error.requestWasSent && !error.cancelled
    guard pausesScope || neverSent else { return .giveUp }
    let wait: Double
    if pausesScope {
      wait = max(0, error.retryAfter?.delay(fromEpochSeconds: now) ?? policy.defaultRetryAfter)
    } else {
      wait =
        min(policy.maximumDelay, policy.initialDelay * pow(2, Double(attempt - 1))) * (0.5 + 0.5 * jitter())
    }
    guard attempt <= policy.attemptsPerRequest, wait <= policy.maximumRetryAfter, budget.take() else {
      return .giveUp
    }
    return pausesScope ? .pause(until: now + wait) : .backOff(until: now + wait)
  }
}
