import Foundation
import Synchronization

/// The only ways a test can change how nwsh behaves from outside, in one place.
///
/// - `NWSH_TEST_CLOCK=virtual`: a ``VirtualClock`` (waits move it: hours of rate windows in a
///   second); `NWSH_TEST_CLOCK=scaled:EPOCH:FACTOR`: a ``ScaledClock`` several processes share;
///   `NWSH_TEST_CLOCK=offset:SECONDS`: the system clock, that far ahead (negative: behind), as a
///   machine whose clock is wrong, or was stepped, would have it.
/// - `NWSH_TEST_CRASH_AT=after-intent|after-send|after-outcome`: die at that point of the send
///   path as `kill -9` would, to prove the journal keeps every acknowledged fact.
/// - `NWSH_TEST_STOP_AT=after-intent|after-send|after-outcome`: stop there (`SIGSTOP`, as a
///   laptop's lid or a frozen VM would), the first time only, until a `SIGCONT`: to prove a
///   process that wakes past its lease sends nobody another process took over.
///
/// They take effect only when the API is a local simulator (the sandbox, or a base URL on a
/// loopback address): against any other server they are ignored, so a stray variable can
/// never speed up the pacer or kill a run against the real API.
public struct TestHooks: Sendable {
  /// The clock to use instead of the system's.
  public var clock: (any PacingClock)?
  /// The point to die at.
  public var crashPoint: CrashPoint?
  /// The point to stop at (once).
  public var stopPoint: CrashPoint?
  private let stopped = Stopped()
  /// The variables that were set but ignored (the API is not local), for a warning.
  public var ignored: [String] = []

  /// Named points on the send path.
  public enum CrashPoint: String, Sendable, CaseIterable {
    /// The intent is written; the request has not left.
    case afterIntent = "after-intent"
    /// The request left and was answered; nothing is recorded.
    case afterSend = "after-send"
    /// The outcomes are recorded; their result lines are not yet printed.
    case afterOutcome = "after-outcome"
  }

  /// No hooks.
  public init() {}

  /// The hooks `variables` set, when the API is local (`apiIsLocal`); none otherwise.
  public init(_ variables: [String: String], apiIsLocal: Bool) {
    let clockSpec = variables["NWSH_TEST_CLOCK"].flatMap { $0.isEmpty ? nil : $0 }
    let crashSpec = variables["NWSH_TEST_CRASH_AT"].flatMap { $0.isEmpty ? nil : $0 }
    let stopSpec = variables["NWSH_TEST_STOP_AT"].flatMap { $0.isEmpty ? nil : $0 }
    guard apiIsLocal else {
      ignored = [
        clockSpec.map { _ in "NWSH_TEST_CLOCK" }, crashSpec.map { _ in "NWSH_TEST_CRASH_AT" },
        stopSpec.map { _ in "NWSH_TEST_STOP_AT" },
      ].compactMap { $0 }
      return
    }
    if let clockSpec {
      if clockSpec == "virtual" {
        clock = VirtualClock(start: Date().timeIntervalSince1970)
      } else if clockSpec.hasPrefix("offset:"), let seconds = Double(clockSpec.dropFirst(7)) {
        clock = OffsetClock(SystemClock(), offset: seconds)
      } else {
        clock = ScaledClock(specification: clockSpec)
      }
    }
    crashPoint = crashSpec.flatMap(CrashPoint.init(rawValue:))
    stopPoint = stopSpec.flatMap(CrashPoint.init(rawValue:))
  }

  /// A clock several processes can share (a scaled one), if one is set.
  public var sharedClock: ScaledClock? { clock as? ScaledClock }

  /// Dies at once, without cleanup, if `point` is the armed one; stops until continued, the
  /// first time, if it is the stop point.
  func reach(_ point: CrashPoint) {
    if crashPoint == point { kill(getpid(), SIGKILL) }
    if stopPoint == point, stopped.first() { kill(getpid(), SIGSTOP) }
  }

  /// Whether the stop point was reached before.
  private final class Stopped: Sendable {
    private let reached = Mutex(false)
    func first() -> Bool {
      reached.withLock { was in
        defer { was = true }
        return !was
      }
    }
  }
}
