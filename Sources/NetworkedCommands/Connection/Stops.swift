import Foundation
import NetworkedAPI
import ShellCore
import Synchronization

/// What makes a run stop sending before its input ends: the API refusing the key, or the API
/// not being reachable at all. Each stops the run (``RunContext/stop(_:)``) once, with one
/// message, and every later request of the session fails at once, without spending a slot.
final class Stops: Sendable {
  private let state = Mutex<(refusal: NetworkedAPIError?, failures: [Double])>((nil, []))
  /// Connection failures in a row (each at least `minimumSpan` seconds' worth apart in all)
  /// after which the API counts as unreachable.
  static let failuresToTrip = 5
  static let minimumSpan = 30.0

  /// The refusal of the key, once one came.
  var refusal: NetworkedAPIError? { state.withLock { $0.refusal } }

  /// Whether the API has counted as unreachable since the last answer.
  var unreachable: Bool {
    state.withLock { state in
      guard state.failures.count >= Self.failuresToTrip, let first = state.failures.first,
        let last = state.failures.last
      else { return false }
      return last - first >= Self.minimumSpan
    }
  }

  /// The key was refused (401 or 403): every later request fails at once, and `run` (if any)
  /// stops with exit 77, its rows not sent `skipped` (`authentication_failed`).
  func keyRefused(_ error: NetworkedAPIError, keySource: String, run: RunContext?) {
    let first = state.withLock { state -> Bool in
      defer { state.refusal = state.refusal ?? error }
      return state.refusal == nil
    }
    guard first || run?.stop == nil, let run else { return }
    run.stop(
      RunStop(
        status: .authentication, result: .skipped, fields: [Value.reason(.authenticationFailed)],
        message: "nwsh: the API refused the key from \(keySource) (\(error.status.map { "HTTP \($0)" } ?? "refused")"
          + ": \(error.message)); nothing more is sent. Check the key (nwsh whoami), then run again"))
  }

  /// A request reached the server (whatever it answered): the API is reachable.
  func answered() { state.withLock { $0.failures = [] } }

  /// A connection to the API could not be made at `now`. Returns true when that makes it
  /// unreachable: `run` (if any) then stops, its rows not sent `failed` (`not_sent`).
  @discardableResult
  func couldNotConnect(at now: Double, _ error: NetworkedAPIError, baseURL: BaseURL, run: RunContext?) -> Bool {
    let failures = state.withLock { state -> [Double] in
      state.failures.append(now)
      return state.failures
    }
    guard unreachable, let run, run.stop == nil, let first = failures.first else { return unreachable }
    let span = ProgressReporter.duration(now - first)
    run.stop(
      RunStop(
        status: .someFailed, result: .failed,
        fields: [
          (
            "error",
            .error(
              code: .notSent, message: "not sent: the API at \(baseURL.string) could not be reached (\(error.message))")
          )
        ],
        message: "nwsh: cannot reach the API at \(baseURL.string): \(error.message) — \(failures.count) tries over "
          + "\(span); stopping, nothing more is sent. The rows not sent are failed (not_sent): once the API is back, "
          + "run the same job again (or retry the failed rows) and they go at once"))
    return true
  }
}
