import Synchronization

/// What this process may still send: for each intent it wrote, until when its hold on the
/// person is confirmed.
///
/// A hold is confirmed by a transaction that found the entry this process's own and its lease
/// running (an intent, a renewal), from a reading of the clocks taken *before* that
/// transaction began: the lease the database stamped ends no earlier than that reading plus the
/// lease, on the database's clock. The fence ends a ``margin`` sooner, for clocks that run at
/// slightly different rates and for the request's way to the server. It is read on two clocks,
/// and must hold on both: the elapsed clock (`CLOCK_BOOTTIME`: a process that was stopped, or a
/// machine that slept, finds it passed) and the wall clock (`SQLite`'s leases are stamped with
/// it, so a wall clock stepped forward ends the fence as it ends the leases other processes
/// read).
///
/// The ``Sender`` asks ``holds(_:)`` through the request's `SendGate`, just before its body is
/// complete: a request whose fence has passed never reaches the server.
package final class Fence: Sendable {
  /// A reading of both clocks, taken before a confirming transaction.
  package struct Stamp: Sendable {
    var elapsed: Double
    var wall: Double
  }

  private let clock: any PacingClock
  /// How long a confirmation lasts: the lease less the margin.
  package let span: Double
  private let confirmed = Mutex<[Int64: Stamp]>([:])

  /// The part of the lease the fence leaves unused: a quarter of it.
  package static func margin(lease: Double) -> Double { lease / 4 }

  package init(clock: any PacingClock, lease: Double) {
    self.clock = clock
    self.span = lease - Self.margin(lease: lease)
  }

  /// Both clocks now (take it before the transaction that confirms).
  package func stamp() -> Stamp { Stamp(elapsed: clock.elapsed, wall: clock.now) }

  /// `ids` were found this process's own, their leases running, by a transaction that began
  /// after `stamp`.
  package func confirm(_ ids: some Sequence<Int64>, from stamp: Stamp) {
    confirmed.withLock { confirmed in
      for id in ids where (confirmed[id]?.elapsed ?? -.infinity) < stamp.elapsed { confirmed[id] = stamp }
    }
  }

  /// A renewal that began after `stamp` found `renewed` still this process's: they are confirmed
  /// anew; every other hold confirmed before `stamp` was not found, and is lost (it is never
  /// sent).
  package func renewed(_ renewed: Set<Int64>, from stamp: Stamp) {
    confirmed.withLock { confirmed in
      for (id, at) in confirmed {
        if renewed.contains(id) {
          if at.elapsed < stamp.elapsed { confirmed[id] = stamp }
        } else if at.elapsed < stamp.elapsed {
          confirmed[id] = nil
        }
      }
    }
  }

  /// Forgets `ids` (recorded, withdrawn, given up).
  package func drop(_ ids: some Sequence<Int64>) {
    confirmed.withLock { confirmed in for id in ids { confirmed[id] = nil } }
  }

  /// Whether every one of `ids` is still held, on both clocks.
  package func holds(_ ids: [Int64]) -> Bool {
    let now = stamp()
    return confirmed.withLock { confirmed in
      ids.allSatisfy { id in
        guard let at = confirmed[id] else { return false }
        return now.elapsed < at.elapsed + span && now.wall < at.wall + span
      }
    }
  }
}
