/// Sliding-window rate limiting per key: a request is admitted when, for every window, fewer
/// than `limit` admitted requests fall in the last `seconds`. Refused requests do not count.
struct RateLimiter {
  let windows: [RateWindow]
  private var admitted: [String: [Int64]] = [:]

  init(windows: [RateWindow]) { self.windows = windows }

  /// Admits the request at `now` (ms) and returns nil, or refuses it and returns the seconds
  /// until it would be admitted (at least 1).
  mutating func admit(key: String, now: Int64) -> Int? {
    guard !windows.isEmpty else { return nil }
    let longest = Int64(windows.map(\.seconds).max()!) * 1000
    var times = admitted[key, default: []]
    if let firstKept = times.firstIndex(where: { $0 > now - longest }) {
      times.removeFirst(firstKept)
    } else {
      times.removeAll()
    }
    var waitUntil: Int64 = now
    for window in windows {
      let span = Int64(window.seconds) * 1000
      let inWindow = times.reversed().prefix { $0 > now - span }.count
      if inWindow >= window.limit {
        // The oldest request that must leave the window before one more fits.
        let blocking = times[times.count - window.limit]
        waitUntil = max(waitUntil, blocking + span)
      }
    }
    if waitUntil > now {
      admitted[key] = times
      return Int((waitUntil - now + 999) / 1000)
    }
    times.append(now)
    admitted[key] = times
    return nil
  }
}
