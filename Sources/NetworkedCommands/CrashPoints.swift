import Foundation

/// Named points on the send path where a test can make the process die as `kill -9` would
/// (`NWSH_TEST_CRASH_AT=after-intent|after-send|after-outcome`), to prove the journal keeps
/// every acknowledged fact and a re-run invites nobody twice. Unset, it costs one comparison.
enum CrashPoints {
  static let armed: String? = ProcessInfo.processInfo.environment["NWSH_TEST_CRASH_AT"]

  /// Dies at once, without cleanup, if `point` is the armed one.
  static func reach(_ point: String) {
    guard let armed, armed == point else { return }
    kill(getpid(), SIGKILL)
  }
}
