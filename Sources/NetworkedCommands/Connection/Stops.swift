import Foundation
import JQ
import NetworkedAPI
import ShellCore
import Synchronization

/// What makes a run stop sending before its input ends: the API refusing the key, or the API
/// not being reachable at all. Each stops the run (``RunContext/stop(_:)``) once, with one
/// message, and every later request of the session fails at once, without spending a slot.
final class Stops: Sendable {
  private let refused = Mutex<NetworkedAPIError?>(nil)
  /// Connection failures in a row (each at least `minimumSpan` seconds' worth apart in all)
  /// after which the API counts as unreachable.
  static let failuresToTrip = 5
  static let minimumSpan = 30.0

  /// The refusal of the key, once one came.
  var refusal: NetworkedAPIError? { refused.withLock { $0 } }

  /// Whether the connection failures counted in a run (kept in the run: each run gives the API a
  /// fresh chance, as the user may have started the server again) make the API unreachable.
  private static func tripped(_ failures: [Double]) -> Bool {
    guard failures.count >= failuresToTrip, let first = failures.first, let last = failures.last else { return false }
    return last - first >= minimumSpan
  }

  /// Whether nothing more may be sent in `run`: the key was refused (in this session; `run`,
  /// if not stopped yet, stops with that, so a later statement says so too), or the API was
  /// found unreachable during `run` (which stopped it then).
  func forbid(_ run: RunContext?, keySource: String) -> Bool {
    let refusal = self.refusal
    let unreachable = run.map { Self.tripped($0[NetworkedConnection.RunState.self].connectionFailures) } ?? false
    if let refusal {
      keyRefused(refusal, keySource: keySource, run: run)
      return true
    }
    return unreachable
  }

  /// The key was refused (401 or 403): every later request fails at once, and `run` (if any)
  /// stops with exit 77, its rows not sent `skipped` (`authentication_failed`).
  func keyRefused(_ error: NetworkedAPIError, keySource: String, run: RunContext?) {
    refused.withLock { $0 = $0 ?? error }
    guard let run, run.stop == nil else { return }
    run.stop(
      RunStop(
        status: .authentication, result: .skipped, fields: [Value.reason(.authenticationFailed)],
        message: "nwsh: the API refused the key from \(keySource) (\(error.status.map { "HTTP \($0)" } ?? "refused")"
          + ": \(error.message)); nothing more is sent. Check the key (nwsh whoami), then run again"))
  }

  /// A request of `run` reached the server (whatever it answered): the API is reachable.
  func answered(in run: RunContext?) { run?[NetworkedConnection.RunState.self].connectionFailures = [] }

  /// A connection to the API could not be made at `now`. Returns true when that makes it
  /// unreachable: `run` (if any) then stops, its rows not sent `failed` (`not_sent`).
  @discardableResult
  func couldNotConnect(at now: Double, _ error: NetworkedAPIError, baseURL: BaseURL, run: RunContext?) -> Bool {
    guard let run else { return false }
    run[NetworkedConnection.RunState.self].connectionFailures.append(now)
    if run[NetworkedConnection.RunState.self].connectionFailures.count > Self.failuresToTrip * 4 {
      run[NetworkedConnection.RunState.self].connectionFailures.removeFirst()
    }
    let failures = run[NetworkedConnection.RunState.self].connectionFailures
    let unreachable = Self.tripped(failures)
    guard unreachable, run.stop == nil, let first = failures.first else { return unreachable }
    let span = ProgressReporter.duration(now - first)
    run.stop(
      RunStop(
        status: .someFailed, result: .failed,
        fields: [
          (
            "error",
            .error(
              code: .notSent, message: "not sent: the API at \(baseURL.string) could not be reached (\(error.message))",
              [("retryable", .bool(true))])
          )
        ],
        message: "nwsh: cannot reach the API at \(baseURL.string): \(error.message) — \(failures.count) tries over "
          + "\(span); stopping, nothing more is sent. The rows not sent are failed (not_sent): once the API is back, "
          + "run the same job again: they go at once, and those already settled are skipped"))
    return true
  }
}
