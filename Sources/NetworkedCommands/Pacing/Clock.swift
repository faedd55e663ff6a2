import Foundation
public import JQ
import ShellCore
import Synchronization

/// The time the pacer reads and waits on, in seconds since the Unix epoch, and the time that
/// passes for this process (its leases' fence).
///
/// Production uses ``SystemClock``; tests inject a ``VirtualClock`` (waiting moves time forward
/// at once, so hours of rate windows run in milliseconds) or a ``ScaledClock`` shared by several
/// processes.
public protocol PacingClock: Sendable {
  /// The current time.
  var now: Double { get }
  /// Seconds on a clock that never steps and counts time the machine spent suspended (Linux's
  /// `CLOCK_BOOTTIME`, for the system clock): how long this process has been away, whatever
  /// the wall clock did meanwhile. Only differences mean anything.
  var elapsed: Double { get }
  /// How many of its seconds pass in a second of real time (1 for the system clock).
  var speed: Double { get }
  /// Blocks this thread until `deadline`; throws `Interrupted` as soon as `interruption` is
  /// set.
  func wait(until deadline: Double, interruption: Interruption) throws
  /// Calls `body` every `interval` of ``elapsed`` seconds (from a thread of its own, or, for a
  /// ``VirtualClock``, as its time moves) until the returned ticker is stopped.
  func every(_ interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker
}

extension PacingClock {
  public var speed: Double { 1 }

  public func every(_ interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker {
    ClockTicker.thread(every: interval / max(1, speed), name: name, body)
  }
}

/// Linux's `CLOCK_BOOTTIME`: monotonic, never stepped, and counting the time the machine was
/// suspended (which `CLOCK_MONOTONIC` leaves out).
public enum BootClock {
  /// Seconds since boot.
  public static var now: Double {
    var time = timespec()
    clock_gettime(CLOCK_BOOTTIME, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}

/// Something ``PacingClock/every(_:name:_:)`` calls again and again; ``stop()`` ends it (as
/// does letting it go).
public final class ClockTicker: Sendable {
  private let stopping: @Sendable () -> Void
  private let stopped = Atomic<Bool>(false)
  /// Signalled once its thread has ended (never, for a ticker without one).
  let ended: DispatchSemaphore

  init(ended: DispatchSemaphore = DispatchSemaphore(value: 0), stop: @escaping @Sendable () -> Void) {
    self.ended = ended
    stopping = stop
  }

  deinit { stop() }

  /// Stops the calls (a call under way finishes).
  public func stop() {
    guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
    stopping()
  }

  /// Calls `body` every `interval` seconds of `CLOCK_BOOTTIME` from a thread of its own. The
  /// thread sleeps in `poll`, whose timeouts run on `CLOCK_MONOTONIC` (a stepped wall clock
  /// cannot stretch them), at most a second at a time, and reads `CLOCK_BOOTTIME` on each wake:
  /// after a machine's suspension it is due within a second of waking. ``stop()`` wakes it
  /// through a pipe (or, should no pipe be had, within that second).
  static func thread(every interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker {
    var descriptors: [Int32] = [-1, -1]
    // Close-on-exec from the start would need pipe2, which Glibc's module leaves out; nwsh
    // starts no program while a ticker is being made.
    let piped = pipe(&descriptors) == 0
    if piped { for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) } }
    let (read, write) = piped ? (descriptors[0], descriptors[1]) : (Int32(-1), Int32(-1))
    let done = Done()
    let ended = DispatchSemaphore(value: 0)
    let thread = Thread {
      defer { ended.signal() }
      var due = BootClock.now + interval
      while !done.flag.load(ordering: .acquiring) {
        let left = due - BootClock.now
        if left <= 0 {
          body()
          due = BootClock.now + interval
          continue
        }
        var wake = pollfd(fd: read, events: Int16(POLLIN), revents: 0)
        if poll(&wake, 1, Int32(min(left, 1) * 1000) + 1) > 0 { break }
      }
      if read >= 0 { close(read) }
    }
    thread.name = name
    thread.stackSize = 1 << 18
    thread.start()
    return ClockTicker(ended: ended) {
      done.flag.store(true, ordering: .releasing)
      guard write >= 0 else { return }
      var byte: UInt8 = 1
      _ = Glibc.write(write, &byte, 1)
      close(write)
    }
  }

  /// A flag a ticker's thread and its stopper share.
  private final class Done: Sendable {
    let flag = Atomic<Bool>(false)
  }
}

/// Wall-clock time.
public struct SystemClock: PacingClock {
  /// The system clock.
  public init() {}

  public var now: Double { Date().timeIntervalSince1970 }

  public var elapsed: Double { BootClock.now }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    guard interruption.sleep(seconds: deadline - now) else { throw Interrupted() }
  }
}

/// A clock that only moves when someone waits on it (or ``advance(by:)`` is called): a wait
/// returns at once with the time set to its deadline.
///
/// Its ``elapsed`` time is its own time. What runs ``every(_:name:_:)`` runs as time moves: a
/// wait or an advance of an hour with a ticker every 150 s moves in 150 s steps, calling the
/// ticker at each, as a process alive through that hour would have (a lease keeper renews).
/// The tickers run on the thread that moves the clock, one move at a time: a ticker must not
/// wait on, or advance, its own clock.
public final class VirtualClock: PacingClock {
  private let state: Mutex<(seconds: Double, tickers: [Int: Ticker], next: Int)>
  /// Serializes movers, so tickers run in time order.
  private let moving = NSLock()

  private struct Ticker {
    var interval: Double
    var due: Double
    var body: @Sendable () -> Void
  }

  /// A clock starting at `start` (seconds since the epoch).
  public init(start: Double = 1_763_800_000) { state = Mutex((start, [:], 0)) }

  public var now: Double { state.withLock { $0.seconds } }

  public var elapsed: Double { now }

  /// The time in whole milliseconds (what the simulator reads).
  public var milliseconds: Int64 { Int64((now * 1000).rounded(.down)) }

  /// Moves time forward.
  public func advance(by interval: Double) { move { $0 + max(0, interval) } }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    if interruption.isSet { throw Interrupted() }
    move(interruption: interruption) { _ in deadline }
    if interruption.isSet { throw Interrupted() }
  }

  public func every(_ interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker {
    let id = state.withLock { state in
      let id = state.next
      state.next += 1
      state.tickers[id] = Ticker(interval: max(interval, 1e-3), due: state.seconds + interval, body: body)
      return id
    }
    return ClockTicker { [weak self] in _ = self?.state.withLock { $0.tickers.removeValue(forKey: id) } }
  }

  /// Moves to the time `target` gives for the time the move starts at (never back), stopping
  /// at each ticker's due time to call it; an interrupt ends the move there.
  private func move(interruption: Interruption? = nil, to target: (Double) -> Double) {
    moving.lock()
    defer { moving.unlock() }
    let target = target(now)
    while interruption?.isSet != true {
      let due: (id: Int, at: Double, body: @Sendable () -> Void)? = state.withLock { state in
        guard let (id, ticker) = state.tickers.min(by: { $0.value.due < $1.value.due }), ticker.due <= target else {
          state.seconds = max(state.seconds, target)
          return nil
        }
        state.seconds = max(state.seconds, ticker.due)
        state.tickers[id]?.due = ticker.due + ticker.interval
        return (id, ticker.due, ticker.body)
      }
      guard let due else { return }
      due.body()
    }
  }
}

/// Another clock moved on by a fixed number of seconds: the sandbox's, after `nwsh sandbox
/// --advance 8d` (a week later, rehearsed). Waits and elapsed time are the other clock's.
public struct OffsetClock: PacingClock {
  /// The clock moved on.
  public let base: any PacingClock
  /// By how many seconds.
  public let offset: Double

  /// `base` moved on by `offset` seconds.
  public init(_ base: any PacingClock, offset: Double) {
    self.base = base
    self.offset = offset
  }

  public var now: Double { base.now + offset }
  public var elapsed: Double { base.elapsed }
  public var speed: Double { base.speed }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    try base.wait(until: deadline - offset, interruption: interruption)
  }

  public func every(_ interval: Double, name: String, _ body: @escaping @Sendable () -> Void) -> ClockTicker {
    base.every(interval, name: name, body)
  }
}

/// Real time sped up by `factor` from `epoch`: `now = epoch + (wall − epoch) × factor`. Several
/// processes given the same epoch and factor agree on the time, so a test can run two nwsh
/// processes against one simulator through an hour of rate windows in seconds.
public struct ScaledClock: PacingClock {
  /// The wall-clock moment where scaled and real time agree.
  public let epoch: Double
  /// How many scaled seconds pass per real second.
  public let factor: Double

  /// A clock running `factor` times faster than real time from `epoch`.
  public init(epoch: Double, factor: Double) {
    self.epoch = epoch
    self.factor = max(1, factor)
  }

  /// Reads `scaled:EPOCH:FACTOR` (the `NWSH_TEST_CLOCK` variable), or nil.
  public init?(specification: String) {
    let parts = specification.split(separator: ":")
    guard parts.count == 3, parts[0] == "scaled", let epoch = Double(parts[1]), let factor = Double(parts[2]) else {
      return nil
    }
    self.init(epoch: epoch, factor: factor)
  }

  public var now: Double { epoch + (Date().timeIntervalSince1970 - epoch) * factor }

  public var speed: Double { factor }

  public var elapsed: Double { BootClock.now * factor }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    guard interruption.sleep(seconds: (deadline - now) / factor) else { throw Interrupted() }
  }
}
