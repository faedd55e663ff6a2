/// Renews the lease on everything this process holds in the journal (claims and intents),
/// every quarter of the lease, on the clock's elapsed time (`CLOCK_BOOTTIME`: neither a stepped
/// wall clock nor a suspended machine stops it unnoticed): a run that waits an hour for a rate
/// window, or for a `Retry-After`, keeps its people, whatever its pipeline is doing. A process
/// that dies stops renewing, and its holdings are free (or in doubt) once the lease runs out.
///
/// A renewal acts only on entries still this process's whose lease is running (a
/// compare-and-set on each): what it finds gone — taken over while the process was stopped
/// past its lease — the ``fence`` forgets, so those people are never sent. A renewal that
/// fails (the database away) confirms nothing, and the fence runs out on its own.
final class LeaseKeeper: Sendable {
  /// What this process may still send.
  let fence: Fence
  private let ticker: ClockTicker

  /// Starts renewing in `store` for this process, on `clock`'s elapsed time.
  init(store: StateStore, clock: any PacingClock, process: ProcessIdentity = .current) {
    let fence = Fence(clock: clock, lease: store.lease)
    self.fence = fence
    ticker = clock.every(store.lease / 4, name: "nwsh lease keeper") {
      let stamp = fence.stamp()
      guard let renewed = try? store.renew(process: process, now: clock.now) else { return }
      fence.renewed(renewed, from: stamp)
    }
  }

  /// Stops renewing.
  func stop() { ticker.stop() }
}
