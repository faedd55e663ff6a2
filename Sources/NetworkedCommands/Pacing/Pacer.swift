import Foundation
import Synchronization

/// Sends each request at the earliest moment that keeps every rate window satisfied, across
/// every nwsh process using the same key (through ``StateStore``).
public final class Pacer: Sendable {
  /// The key and base URL's fingerprint.
  public let scope: String
  /// The shared log.
  public let store: any StateStore
  /// The clock it reads and waits on.
  public let clock: any PacingClock
  private let current: Mutex<RateSchedule>
  private let observer: Mutex<(@Sendable (Event) -> Void)?>

  /// Something the pacer tells its observer (the progress line).
  public enum Event: Sendable {
    /// A request has to wait for a window (or a server-imposed pause) until `until`.
    case waiting(until: Double, method: String, path: String)
    /// A request went out.
    case sent(method: String, path: String)
    /// The server asked for a pause (429 or 503) until `until`.
    case paused(until: Double, reason: String)
    /// A connection failure before sending; retrying at `at`.
    case retrying(at: Double, reason: String)
  }

  /// A pacer for `scope`, logging to `store`.
  public init(scope: String, store: any StateStore, clock: any PacingClock, schedule: RateSchedule = RateSchedule()) {
    self.scope = scope
    self.store = store
    self.clock = clock
    self.current = Mutex(schedule)
    self.observer = Mutex(nil)
    try? store.prune(now: clock.now)
  }

  /// The windows in force (`set rate-limits` changes them).
  public var schedule: RateSchedule {
    get { current.withLock { $0 } }
    set { current.withLock { $0 = newValue } }
  }

  /// Sets who hears about waits and sends.
  public func observe(_ body: (@Sendable (Event) -> Void)?) { observer.withLock { $0 = body } }

  func notify(_ event: Event) { observer.withLock { $0 }?(event) }

  /// Reserves the next slot and waits for it. Throws ``Interrupted`` (giving the slot back)
  /// when `shouldStop` turns true during the wait.
  public func acquire(method: String, path: String, shouldStop: @escaping @Sendable () -> Bool) async throws
    -> StateReservation
  {
    let now = clock.now
    let reservation = try store.reserve(scope: scope, schedule: schedule, now: now, method: method, path: path)
    if reservation.at > now {
      notify(.waiting(until: reservation.at, method: method, path: path))
      do {
        try await clock.sleep(until: reservation.at, shouldStop: shouldStop)
      } catch {
        try? store.cancel(reservation)
        throw error
      }
    }
    notify(.sent(method: method, path: path))
    return reservation
  }

  /// Records that a request finished (with `status`, or nil when no response came).
  public func complete(_ reservation: StateReservation, status: Int?) {
    try? store.complete(reservation, at: clock.now, status: status)
  }

  /// Pauses every request in this scope until `time`.
  public func pause(until time: Double, reason: String) {
    try? store.pause(scope: scope, until: time, reason: reason)
    notify(.paused(until: time, reason: reason))
  }

  /// When `count` more requests would go out if sent back to back from now.
  public func plan(count: Int) -> [Double] {
    let now = clock.now
    let paused = (try? store.pausedUntil(scope: scope)) ?? 0
    let sends = (try? store.sendTimes(scope: scope, now: now, horizon: schedule.horizon)) ?? []
    return schedule.plan(count: count, now: max(now, paused), after: sends)
  }
}
