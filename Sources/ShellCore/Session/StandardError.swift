import Foundation
import JQ
import Synchronization

/// Standard error, as the shell's diagnostics and progress write it: straight to file
/// descriptor 2, unless something that holds the terminal for a while (the interactive shell's
/// pager) has taken it over with ``divert(_:)``.
public enum StandardError {
  /// What text written to standard error is.
  public enum Kind: Sendable {
    /// A line that stays (a diagnostic, a run's summary).
    case lasting
    /// A live line redrawn in place (progress): worth nothing once stale.
    case transient
  }

  private static let route = Mutex<(@Sendable (String, Kind) -> Bool)?>(nil)

  /// Writes `text` as is (no newline added).
  public static func write(_ text: String, _ kind: Kind = .lasting) {
    if let route = route.withLock({ $0 }), route(text, kind) { return }
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes { Foundation.write(2, $0.baseAddress! + offset, $0.count - offset) }
      if written <= 0 { break }
      offset += written
    }
  }

  /// Until ``restore()``, text written here is first offered to `handler`, which returns true
  /// when it took care of it.
  public static func divert(_ handler: @escaping @Sendable (String, Kind) -> Bool) {
    route.withLock { $0 = handler }
  }

  /// Ends a ``divert(_:)``.
  public static func restore() { route.withLock { $0 = nil } }
}
