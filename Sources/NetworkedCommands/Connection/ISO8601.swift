import Foundation
import NetworkedAPI
import ShellCore

/// UTC timestamps without Foundation's formatters (which load ICU data, megabytes of it).
public enum ISO8601 {
  private static func fields(_ epoch: Double) -> tm {
    var seconds = time_t(epoch.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return parts
  }

  private static func pad(_ value: Int32, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }

  /// `2026-11-22T05:03:40Z`.
  public static func format(_ epoch: Double) -> String {
    let t = fields(epoch)
    return pad(t.tm_year + 1900, 4) + "-" + pad(t.tm_mon + 1, 2) + "-" + pad(t.tm_mday, 2) + "T" + pad(t.tm_hour, 2)
      + ":"
      + pad(t.tm_min, 2) + ":" + pad(t.tm_sec, 2) + "Z"
  }

  /// `20261122T050340`.
  public static func compact(_ epoch: Double) -> String {
    let t = fields(epoch)
    return pad(t.tm_year + 1900, 4) + pad(t.tm_mon + 1, 2) + pad(t.tm_mday, 2) + "T" + pad(t.tm_hour, 2)
      + pad(t.tm_min, 2)
      + pad(t.tm_sec, 2)
  }
}
