import Foundation
import ShellCore
import Synchronization

/// Where progress goes: a live, rewritten line on a terminal; occasional plain lines otherwise.
public struct ProgressOutput: Sendable {
  /// Whether the output is a terminal.
  public var isTerminal: Bool
  /// Writes text as is (no newline added).
  public var write: @Sendable (String) -> Void

  /// Creates an output.
  public init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
    self.isTerminal = isTerminal
    self.write = write
  }

  /// Standard error, live when it is a terminal.
  public static var standardError: ProgressOutput {
    ProgressOutput(isTerminal: isatty(2) == 1) { StandardError.write($0, .transient) }
  }

  /// Nowhere.
  public static let silent = ProgressOutput(isTerminal: false) { _ in }
}

/// Says what the pacer is doing while rows wait: rows done, requests sent, the next send time
/// and an ETA for the rows already read.
final class ProgressReporter: Sendable {
  private struct State {
    var rowsDone = 0
    var requestsSent = 0
    var pendingRequests = 0
    var lastPlainLine = -Double.infinity
    var liveLineShown = false
  }

  private let output: ProgressOutput
  private let clock: any PacingClock
  private let state = Mutex(State())
  private let planner = Mutex<(@Sendable (Int) -> Double?)?>(nil)

  /// Waits shorter than this are not worth a plain line.
  static let quietWait = 5.0
  /// At most one plain line about waiting per this many seconds.
  static let plainInterval = 60.0

  init(output: ProgressOutput, clock: any PacingClock) {
    self.output = output
    self.clock = clock
  }

  /// How to estimate when `n` more requests would be done.
  func setPlanner(_ body: @escaping @Sendable (Int) -> Double?) { planner.withLock { $0 = body } }

  /// Counts finished rows.
  func rowsFinished(_ count: Int) {
    state.withLock { $0.rowsDone += count }
    refreshLiveLine()
  }

  /// How many requests the rows already read still need.
  func setPendingRequests(_ count: Int) { state.withLock { $0.pendingRequests = count } }

  func pacer(_ event: Pacer.Event) {
    let now = clock.now
    switch event {
    case .sent:
      let first = state.withLock { state -> Bool in
        state.requestsSent += 1
        return state.requestsSent == 1
      }
      // A run that sends is one to watch: whoever holds the terminal (the shell's pager) hears
      // so before its first result, and lets the results stream, unpaged.
      if first && output.isTerminal { output.write("") }
      refreshLiveLine()
    case .waiting(let until, _, _):
      let wait = until - now
      guard wait >= 1 else { return }
      let snapshot = state.withLock { $0 }
      let eta = snapshot.pendingRequests > 0 ? planner.withLock { $0 }?(snapshot.pendingRequests) : nil
      var text = "waiting for the rate window: next request at \(Self.clockTime(until)) (in \(Self.duration(wait)))"
      text += " · \(snapshot.rowsDone) rows done · \(snapshot.requestsSent) requests sent"
      if let eta { text += " · ETA \(Self.duration(eta - now))" }
      if output.isTerminal {
        live(text)
      } else if wait >= Self.quietWait {
        let due = state.withLock { state -> Bool in
          guard now - state.lastPlainLine >= Self.plainInterval else { return false }
          state.lastPlainLine = now
          return true
        }
        if due { output.write("nwsh: \(text)\n") }
      }
    case .paused(let until, let reason):
      plain(
        "the server refused a request (\(reason)); pausing until \(Self.clockTime(until)) (\(Self.duration(until - now)))"
      )
    case .retrying(let at, let reason):
      plain("could not reach the server (\(reason)); trying again in \(Self.duration(at - now))")
    }
  }

  /// Clears the live line (before a summary or when the pipeline ends).
  func clear() {
    let shown = state.withLock { state -> Bool in
      defer { state.liveLineShown = false }
      return state.liveLineShown
    }
    if shown { output.write("\r\u{1B}[2K") }
  }

  /// Resets the counters for a new pipeline.
  func reset() {
    clear()
    state.withLock { $0 = State() }
  }

  private func plain(_ text: String) {
    clear()
    output.write("nwsh: \(text)\n")
  }

  private func live(_ text: String) {
    state.withLock { $0.liveLineShown = true }
    output.write("\r\u{1B}[2K" + text)
  }

  private func refreshLiveLine() {
    guard output.isTerminal, state.withLock({ $0.liveLineShown }) else { return }
    let snapshot = state.withLock { $0 }
    live("\(snapshot.rowsDone) rows done · \(snapshot.requestsSent) requests sent")
  }

  /// `14:03:07` (UTC).
  static func clockTime(_ epoch: Double) -> String {
    let seconds = Int(epoch.rounded(.up)) % 86_400
    return String(format: "%02d:%02d:%02dZ", seconds / 3600, seconds / 60 % 60, seconds % 60)
  }

  /// `42s`, `3m 05s`, `1h 02m`.
  static func duration(_ interval: Double) -> String {
    let total = max(0, Int(interval.rounded()))
    if total < 60 { return "\(total)s" }
    if total < 3600 { return String(format: "%dm %02ds", total / 60, total % 60) }
    return String(format: "%dh %02dm", total / 3600, total / 60 % 60)
  }
}
