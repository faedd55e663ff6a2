import Foundation
public import JQ
import ShellCore
import Synchronization

/// Sends each request at the earliest moment that keeps every rate window satisfied, across
/// every nwsh process using the same key (through ``StateStore``).
///
/// Its calls block the calling thread (the pipeline's): the store is synchronous, and a wait
/// for a slot is a wait on the ``PacingClock`` that an interrupt cuts short.
public final class Pacer: Sendable {
  /// The key and base URL's fingerprint.
  public let scope: String
  /// The shared log.
  public let store: StateStore
  /// The clock it reads and waits on.
  public let clock: any PacingClock
  private let current: Mutex<RateSchedule>
  private let observer: Mutex<(@Sendable (Event) -> Void)?>

  /// Something the pacer tells its observer (the progress line).
  public enum Event: Sendable {
    /// A request has to wait for a window (or a server-imposed pause) until `until`.
    case waiting(until: Double, method: String, path: String)
    /// A request went out (and was answered, or failed after leaving).
    case sent
    /// The server asked for a pause (429 or 503) until `until`.
    case paused(until: Double, reason: String)
    /// A connection failure before sending; retrying at `at`.
    case retrying(at: Double, reason: String)
  }

  /// A pacer for `scope`, logging to `store`.
  public init(scope: String, store: StateStore, clock: any PacingClock, schedule: RateSchedule = RateSchedule()) {
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

  /// Reserves the next slot for a request (it may lie in the future).
  public func reserve(method: String, path: String) throws -> StateReservation {
    try store.reserve(scope: scope, schedule: schedule, now: clock.now, method: method, path: path)
  }

  /// Waits until `reservation`'s slot; throws `Interrupted` (the slot is not given back: call
  /// ``cancel(_:)``) when `interruption` is set first.
  public func wait(for reservation: StateReservation, method: String, path: String, interruption: Interruption)
    throws
  {
    if reservation.at > clock.now {
      notify(.waiting(until: reservation.at, method: method, path: path))
      try clock.wait(until: reservation.at, interruption: interruption)
    }
  }

  /// Gives back a slot that was never used.
  public func cancel(_ reservation: StateReservation) {
    try? store.cancel(reservation, now: clock.now)
  }

  /// Records that a request finished (with `status`, or nil when no response came): it went out,
  /// and counts against the windows. (One that never connected is given back with
  /// ``cancel(_:)`` instead: it costs nothing.)
  public func complete(_ reservation: StateReservation, status: Int?) {
    try? store.complete(reservation, at: clock.now, status: status)
    notify(.sent)
  }

  /// Pauses every request in this scope until `time`.
  public func pause(until time: Double, reason: String) throws {
    try store.pause(scope: scope, until: time, reason: reason, now: clock.now)
    notify(.paused(until: time, reason: reason))
  }

  /// When `count` more requests would go out if sent back to back from now.
  public func plan(count: Int) -> [Double] {
    let now = clock.now
    let paused = (try? store.pausedUntil(scope: scope, now: now)) ?? 0
    let sends = (try? store.sendTimes(scope: scope, now: now, horizon: schedule.horizon)) ?? []
    return schedule.plan(count: count, now: max(now, paused), after: sends)
  }
}
