import Foundation

/// Renews the lease on everything this process holds in the journal (claims and intents),
/// every quarter of the lease, from a thread of its own: a run that waits an hour for a rate
/// window, or for a `Retry-After`, keeps its people, whatever its pipeline is doing. A process
/// that dies stops renewing, and its holdings are free (or in doubt) once the lease runs out.
final class LeaseKeeper: Sendable {
  private let stopped = NSCondition()
  private let state = Locked<Bool>(false)

  /// Starts renewing in `store` for this process, on `clock`'s time (a sped-up test clock
  /// renews as often in its own seconds).
  init(store: StateStore, clock: any PacingClock, process: ProcessIdentity = .current) {
    let interval = store.lease / 4 / max(1, clock.speed)
    let thread = Thread { [stopped, state] in
      while true {
        stopped.lock()
        if !state.value { _ = stopped.wait(until: Date().addingTimeInterval(interval)) }
        let done = state.value
        stopped.unlock()
        if done { return }
        // A renewal that fails (the database away) is tried again next time; a lease is
        // several renewals long.
        _ = try? store.renew(process: process, now: clock.now)
      }
    }
    thread.name = "nwsh lease keeper"
    thread.stackSize = 1 << 18
    thread.start()
  }

  /// Stops renewing (the thread ends at its next wake-up, at once if it is waiting).
  func stop() {
    stopped.lock()
    state.value = true
    stopped.broadcast()
    stopped.unlock()
  }
}
