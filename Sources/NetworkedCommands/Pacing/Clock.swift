import Foundation
public import ShellCore
import Synchronization

/// The time the pacer reads and waits on, in seconds since the Unix epoch.
///
/// Production uses ``SystemClock``; tests inject a ``VirtualClock`` (waiting moves time forward
/// at once, so hours of rate windows run in milliseconds) or a ``ScaledClock`` shared by several
/// processes.
public protocol PacingClock: Sendable {
  /// The current time.
  var now: Double { get }
  /// How many of its seconds pass in a second of real time (1 for the system clock).
  var speed: Double { get }
  /// Blocks this thread until `deadline`; throws `Interrupted` as soon as `interruption` is
  /// set.
  func wait(until deadline: Double, interruption: Interruption) throws
}

extension PacingClock {
  public var speed: Double { 1 }
}

/// Wall-clock time.
public struct SystemClock: PacingClock {
  /// The system clock.
  public init() {}

  public var now: Double { Date().timeIntervalSince1970 }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    guard interruption.sleep(seconds: deadline - now) else { throw Interrupted() }
  }
}

/// A clock that only moves when someone waits on it (or ``advance(by:)`` is called): a wait
/// returns at once with the time set to its deadline.
public final class VirtualClock: PacingClock {
  private let seconds: Mutex<Double>

  /// A clock starting at `start` (seconds since the epoch).
  public init(start: Double = 1_763_800_000) { seconds = Mutex(start) }

  public var now: Double { seconds.withLock { $0 } }

  /// The time in whole milliseconds (what the simulator reads).
  public var milliseconds: Int64 { Int64((now * 1000).rounded(.down)) }

  /// Moves time forward.
  public func advance(by interval: Double) { seconds.withLock { $0 += max(0, interval) } }

  public func wait(until deadline: Double, interruption: Interruption) throws {
    if interruption.isSet { throw Interrupted() }
    seconds.withLock { $0 = max($0, deadline) }
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

  public func wait(until deadline: Double, interruption: Interruption) throws {
    guard interruption.sleep(seconds: (deadline - now) / factor) else { throw Interrupted() }
  }
}
