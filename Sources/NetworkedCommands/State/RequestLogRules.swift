/// The rules of the request log, the same for every store: when a logged request counts
/// against the windows.
public enum RequestLogRules {
  /// A request in flight for longer than this is assumed to have reached the server by then.
  public static let inFlightLimit = 120.0
  /// How much later than now a request still in flight (another process's, usually) may reach
  /// the server, at most: it counts this much later, to be safe. Within that bound the
  /// allowance is twice the longest round trip (slot to answer) of the scope's recent requests,
  /// and at least ``inFlightFloor``: on a fast network a request in flight does not hold a
  /// short window's slots for two whole seconds.
  public static let inFlightAllowance = 2.0
  /// The least allowance for a request in flight.
  public static let inFlightFloor = 0.05

  /// When each logged request counts, at `now`: a finished request from when its answer came
  /// back (it reached the server no later than that); one not finished yet from its slot or
  /// now, whichever is later, plus the allowance for the trip to the server; one in flight for
  /// longer than ``inFlightLimit`` (its process died) from its slot plus that limit.
  ///
  /// `requests` are `(slot, finished)` pairs; the result is ascending, and only the `keep`
  /// latest (the largest window's limit is all a reservation needs).
  public static func effectiveTimes(
    _ requests: [(at: Double, completed: Double?)], now: Double, since: Double, keep: Int = .max
  ) -> [Double] {
    guard keep > 0 else { return [] }
    let trip = requests.compactMap { request in request.completed.map { $0 > since ? $0 - request.at : nil } ?? nil }
      .max()
    let allowance = trip.map { min(inFlightAllowance, max(inFlightFloor, 2 * $0)) } ?? inFlightAllowance
    let times = requests.map { request in
      request.completed ?? min(max(request.at, now) + allowance, request.at + inFlightLimit)
    }
    return Array(times.sorted().suffix(keep))
  }

  /// ``effectiveTimes(_:now:since:keep:)`` of `scope`'s requests in `transaction`, for windows
  /// reaching `horizon` seconds back.
  static func effectiveTimes(
    _ transaction: any StateTransaction, scope: String, now: Double, horizon: Double, keep: Int = .max
  ) throws -> [Double] {
    guard keep > 0 else { return [] }
    let since = now - horizon - inFlightLimit
    return effectiveTimes(try transaction.requests(scope: scope, since: since), now: now, since: since, keep: keep)
  }
}
