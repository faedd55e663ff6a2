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

/// The layer that paces and retries: each attempt waits for its slot from the ``Pacer``
/// (so every request, GETs and retries too, counts against the windows), and only requests
/// the server did not carry out are tried again:
///
/// - 429, and 503: the server refused; the whole scope pauses for `Retry-After` (or
///   ``RetryPolicy/defaultRetryAfter``), then the same request is sent again;
/// - a failure to connect before anything was sent: back-off with jitter, then again.
///
/// Anything else — a response, or a failure after the request may have reached the server —
/// goes back to the caller unchanged; whether to call it done, failed or in doubt is theirs.
struct PacingMiddleware: HTTPMiddleware {
  let pacer: Pacer
  let policy: RetryPolicy
  let budget: RetryBudget
  let shouldStop: @Sendable () -> Bool
  let jitter: @Sendable () -> Double
  /// The overall deadline for each attempt (`set request-deadline`).
  let deadline: @Sendable () -> Double?

  func intercept(
    _ request: HTTPRequest, baseURL: BaseURL,
    next: @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse
  ) async throws -> HTTPResponse {
    var request = request
    if request.deadline == nil { request.deadline = deadline() }
    var attempt = 0
    while true {
      let reservation: StateReservation
      do {
        reservation = try await pacer.acquire(
          method: request.method.rawValue, path: request.path, shouldStop: shouldStop)
      } catch is Interrupted {
        throw NetworkedAPIError.transport(sent: false, reason: "interrupted before sending", cancelled: true)
      } catch {
        throw NetworkedAPIError.transport(sent: false, reason: "the state database failed: \(error)")
      }
      let response: HTTPResponse
      do {
        response = try await next(request, baseURL)
      } catch let error as NetworkedAPIError where !error.requestWasSent && !error.cancelled {
        pacer.complete(reservation, status: nil)
        attempt += 1
        guard attempt <= policy.attemptsPerRequest, budget.take() else { throw error }
        let delay = min(policy.maximumDelay, policy.initialDelay * pow(2, Double(attempt - 1))) * (0.5 + 0.5 * jitter())
        let at = pacer.clock.now + delay
        pacer.notify(.retrying(at: at, reason: error.message))
        do {
          try await pacer.clock.sleep(until: at, shouldStop: shouldStop)
        } catch {
          throw NetworkedAPIError.transport(sent: false, reason: "interrupted before sending", cancelled: true)
        }
        continue
      } catch {
        pacer.complete(reservation, status: nil)
        throw error
      }
      pacer.complete(reservation, status: response.status)
      guard response.status == 429 || response.status == 503 else { return response }
      let retryAfter = response.headers["Retry-After"].flatMap(RetryAfter.init(parsing:))
      let now = pacer.clock.now
      let wait = max(0, retryAfter?.delay(fromEpochSeconds: now) ?? policy.defaultRetryAfter)
      attempt += 1
      guard attempt <= policy.attemptsPerRequest, wait <= policy.maximumRetryAfter, budget.take() else {
        return response
      }
      pacer.pause(until: now + wait, reason: "HTTP \(response.status)")
    }
  }
}
