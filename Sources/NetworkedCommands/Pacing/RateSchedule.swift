import Foundation

/// One rate window: at most `limit` requests in any `seconds`-long sliding interval.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
  /// Requests allowed in the window.
  public var limit: Int
  /// The window's length in seconds.
  public var seconds: Double

  /// Creates a window.
  public init(limit: Int, seconds: Double) {
    self.limit = limit
    self.seconds = seconds
  }

  /// The documented windows: 10 per minute, 50 per 10 minutes, 120 per hour.
  public static let documented = [
    RateLimit(limit: 10, seconds: 60), RateLimit(limit: 50, seconds: 600), RateLimit(limit: 120, seconds: 3600),
  ]

  /// `10/1m`, `50/10m`, `120/1h`.
  public var description: String {
    let s = Int(seconds)
    if s % 3600 == 0 { return "\(limit)/\(s / 3600)h" }
    if s % 60 == 0 { return "\(limit)/\(s / 60)m" }
    return "\(limit)/\(s)s"
  }

  /// Parses a list like `10/1m,50/10m,120/1h` (units `s`, `m`, `h`; bare numbers are seconds),
  /// or `none` for no limits.
  public static func parseList(_ text: String) throws -> [RateLimit] {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "none" { return [] }
    return try trimmed.split(separator: ",").map { part in
      let pieces = part.split(separator: "/")
      guard pieces.count == 2, let limit = Int(pieces[0].trimmingCharacters(in: .whitespaces)), limit > 0 else {
        throw RateLimitSyntaxError(text: String(part))
      }
      var span = pieces[1].trimmingCharacters(in: .whitespaces)
      var unit = 1.0
      if let last = span.last, "smh".contains(last) {
        unit = last == "s" ? 1 : last == "m" ? 60 : 3600
        span.removeLast()
      }
      guard let amount = Double(span.isEmpty ? "1" : span), amount > 0 else {
        throw RateLimitSyntaxError(text: String(part))
      }
      return RateLimit(limit: limit, seconds: amount * unit)
    }
  }
}

/// A window list that did not parse.
public struct RateLimitSyntaxError: Error, CustomStringConvertible, Sendable {
  /// The part that is wrong.
  public var text: String
  public var description: String { "'\(text)' is not LIMIT/SPAN (e.g. 10/1m, 50/10m, 120/1h)" }
}

/// The earliest moment each request may go out without exceeding any window.
///
/// A request at time `t` is within a window (limit `L`, length `W`) when fewer than `L` earlier
/// requests fall in `(t − W, t]`. Requests are sent in order (never before the latest one
/// already scheduled), so the constraint for each window reduces to
/// `t ≥ (the L-th most recent request) + W`; the earliest `t` is the largest of these, plus a
/// safety margin when a window is what holds the request back: `margin`, but never more than
/// 1% of that window (0.25 s for the API's minute; 20 ms for a test's 2-second window, where a
/// quarter second would waste an eighth of the capacity). Sending every request at its
/// earliest moment is the fastest schedule the windows allow (greedy is optimal for sliding
/// windows), which the tests check against an independent count.
public struct RateSchedule: Sendable, Hashable {
  /// The windows.
  public var limits: [RateLimit]
  /// Added when a window delays a request (at most 1% of that window), for clocks that read a
  /// little differently.
  public var margin: Double

  /// A schedule for `limits`.
  public init(limits: [RateLimit] = RateLimit.documented, margin: Double = 0.25) {
    self.limits = limits
    self.margin = margin
  }

  /// The longest window, in seconds (how far back the log matters).
  public var horizon: Double { limits.map(\.seconds).max() ?? 0 }

  /// The earliest time at or after `now` for one more request, given the times of the
  /// requests already sent or reserved (ascending). Callers keep requests in order by passing
  /// a `now` no earlier than the latest slot already handed out.
  public func earliest(now: Double, after sends: [Double]) -> Double {
    var time = now
    for window in limits where sends.count >= window.limit {
      let blocking = sends[sends.count - window.limit]
      if blocking + window.seconds > time { time = blocking + window.seconds + min(margin, window.seconds / 100) }
    }
    return time
  }

  /// The send times of `count` more requests, each at its earliest moment.
  public func plan(count: Int, now: Double, after sends: [Double]) -> [Double] {
    var log = Array(sends.suffix(limits.map(\.limit).max() ?? 0))
    var times: [Double] = []
    times.reserveCapacity(count)
    for _ in 0..<count {
      let time = earliest(now: max(now, log.last ?? now), after: log)
      times.append(time)
      log.append(time)
    }
    return times
  }
}
