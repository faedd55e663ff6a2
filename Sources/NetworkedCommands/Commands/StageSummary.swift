import Foundation
import NetworkedAPI
import ShellCore

/// Why a stage stopped sending: every later row is `skipped` with this reason.
enum StopReason {
  case interrupted
  case authenticationFailed

  var reason: SkipReason {
    switch self {
    case .interrupted: .interrupted
    case .authenticationFailed: .authenticationFailed
    }
  }
}

/// Counts a stage's outcomes and prints its summary line on stderr.
struct StageSummary {
  let op: String
  let started: Double
  var statuses: [ResultStatus: Int] = [:]
  var requests = 0
  /// When the last planned request would go out (dry run).
  var lastPlanned: Double?

  mutating func count(_ status: ResultStatus) { statuses[status, default: 0] += 1 }

  /// The line: counts by status, then the requests and the time taken (a dry run: the requests
  /// and time it would take), then how to see more (`report`, e.g. `nwsh report --run ID`).
  func line(now: Double, dryRun: Bool, report: String) -> String {
    let rows = statuses.values.reduce(0, +)
    let parts = statuses.keys.sorted { $0.order < $1.order }.map { "\(statuses[$0]!) \($0.name)" }
    var text = "nwsh: \(op): \(rows) row\(rows == 1 ? "" : "s")"
    if !parts.isEmpty { text += " (" + parts.joined(separator: ", ") + ")" }
    if dryRun {
      text += "; dry run: would take \(requests) request\(requests == 1 ? "" : "s")"
      if let last = lastPlanned {
        text += ", \(ProgressReporter.duration(last - started)) under the rate windows"
      }
    } else if requests == 0 {
      text += ", nothing to send"
    } else {
      text += " in \(requests) request\(requests == 1 ? "" : "s"), \(ProgressReporter.duration(now - started))"
      text += "; by role and error: \(report)"
    }
    return text
  }
}
