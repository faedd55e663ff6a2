import Foundation
import JQ
import ShellCore
import Synchronization
import Testing

@testable import NetworkedCommands

/// The fence and the clocks it reads: what a process may still send, and the tickers that keep
/// its leases.
@Suite("the fence, the lease keeper's ticker and the virtual clock")
struct ClockTests {
  @Test("a confirmation lasts three quarters of the lease from the reading taken before its transaction")
  func fenceSpan() {
    let clock = VirtualClock(start: 1000)
    let fence = Fence(clock: clock, lease: 8)
    let stamp = fence.stamp()
    clock.advance(by: 1)  // the transaction takes a second
    fence.confirm([1], from: stamp)
    #expect(fence.holds([1]))
    #expect(!fence.holds([1, 2]), "an id never confirmed is not held")
    clock.advance(by: 4.9)  // 5.9 s after the reading
    #expect(fence.holds([1]))
    clock.advance(by: 0.2)  // 6.1 s: past 8 × 3/4
    #expect(!fence.holds([1]))
  }

  @Test(
    "a renewal confirms what it found, from its own reading; what it did not find, confirmed before it began, is lost")
  func fenceRenewal() {
    let clock = VirtualClock(start: 1000)
    let fence = Fence(clock: clock, lease: 8)
    fence.confirm([1, 2], from: fence.stamp())
    clock.advance(by: 3)
    let renewal = fence.stamp()
    // An intent confirmed after the renewal began is not the renewal's to judge.
    clock.advance(by: 0.5)
    fence.confirm([3], from: fence.stamp())
    fence.renewed([1], from: renewal)
    clock.advance(by: 4)  // 7.5 s after the first confirmation, 4.5 s after the renewal's reading
    #expect(fence.holds([1]), "renewed")
    #expect(!fence.holds([2]), "not found by the renewal: lost")
    #expect(fence.holds([3]), "confirmed after the renewal began")
    // An older reading never moves a confirmation back.
    fence.confirm([1], from: Fence.Stamp(elapsed: 0, wall: 0))
    #expect(fence.holds([1]))
    fence.drop([1])
    #expect(!fence.holds([1]))
  }

  @Test("the wall clock stepped forward ends the fence too")
  func fenceWallClock() {
    let clock = VirtualClock(start: 1000)
    let fence = Fence(clock: clock, lease: 8)
    fence.confirm([1], from: Fence.Stamp(elapsed: clock.elapsed, wall: clock.now - 6.5))
    #expect(!fence.holds([1]))
  }

  @Test("a virtual clock calls its tickers at their times as it moves, in order, and stops at an interrupt")
  func virtualTickers() throws {
    let clock = VirtualClock(start: 0)
    let seen = Mutex<[Double]>([])
    let ticker = clock.every(10, name: "test") { seen.withLock { $0.append(clock.now) } }
    clock.advance(by: 35)
    #expect(seen.withLock { $0 } == [10, 20, 30])
    #expect(clock.now == 35)
    try clock.wait(until: 50, interruption: Interruption())
    #expect(seen.withLock { $0 } == [10, 20, 30, 40, 50])
    ticker.stop()
    clock.advance(by: 100)
    #expect(seen.withLock { $0 }.count == 5)
    // Advances from two threads at once are both kept.
    let other = VirtualClock(start: 0)
    DispatchQueue.concurrentPerform(iterations: 100) { _ in other.advance(by: 1) }
    #expect(other.now == 100)
    // An interrupt ends a wait where it is.
    let interruption = Interruption()
    let stopping = other.every(1, name: "stop") { if other.now >= 105 { interruption.set() } }
    #expect(throws: Interrupted.self) { try other.wait(until: 1_000, interruption: interruption) }
    #expect(other.now < 110)
    stopping.stop()
  }

  @Test("a real ticker calls its body on its own thread until stopped, and is stopped when let go")
  func realTicker() {
    let calls = Mutex(0)
    let ticker = ClockTicker.thread(every: 0.01, name: "test") { calls.withLock { $0 += 1 } }
    #expect(waitFor { calls.withLock { $0 } >= 3 })
    ticker.stop()
    ticker.ended.wait()  // its thread has ended: no call comes after
    let after = calls.withLock { $0 }
    #expect(waitFor { true } && calls.withLock { $0 } == after)
    var dropped: ClockTicker? = ClockTicker.thread(every: 0.01, name: "test") { calls.withLock { $0 += 1 } }
    let ended = dropped!.ended
    #expect(waitFor { calls.withLock { $0 } > after })
    dropped = nil
    ended.wait()
  }

  /// Polls until `condition` holds (a real thread's progress), for at most 5 s.
  func waitFor(_ condition: () -> Bool) -> Bool {
    for _ in 0..<500 where !condition() { usleep(10_000) }
    return condition()
  }
}
