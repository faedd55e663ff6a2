import CTime
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Dates as jq has them: `gmtime`, `localtime`, `mktime`, `strftime`, `strflocaltime`,
/// `strptime` (the rest — `todate`, `fromdate`, `todateiso8601`… — are written in jq, in the prelude).
///
/// A "broken down time" is jq's array `[year, month (0–11), day, hours, minutes, seconds (with
/// its fraction), weekday (0 = Sunday), day of the year (0–365)]`. Formatting and parsing are
/// the C library's `strftime` and `strptime`, as in jq, so every conversion means what it means
/// there; times are UTC unless the name says local (which follows `TZ`).
extension Builtins {
  static func registerDates(_ t: inout Registry) {
    t.unary("gmtime/0") { input, range in
      guard case .number(let number) = input else { throw JQError("gmtime() requires numeric inputs", at: range) }
      return try brokenDown(number.double, local: false, range)
    }
    t.unary("localtime/0") { input, range in
      guard case .number(let number) = input else { throw JQError("localtime() requires numeric inputs", at: range) }
      return try brokenDown(number.double, local: true, range)
    }
    t.unary("mktime/0") { input, range in
      guard case .array = input else { throw JQError("mktime requires array inputs", at: range) }
      guard var time = structTime(input, local: false) else {
        throw JQError("mktime requires parsed datetime inputs", at: range)
      }
      let seconds = timegm(&time)
      // jq takes -1 for the C library's failure, whatever the date (1969-12-31T23:59:59Z too).
      if seconds == -1 { throw JQError("invalid gmtime representation", at: range) }
      return .number(Number(Double(seconds)))
    }
    t["strftime/1"] = binary { input, format, range in try formatted(input, format, local: false, range) }
    t["strflocaltime/1"] = binary { input, format, range in try formatted(input, format, local: true, range) }
    t["strptime/1"] = binary { input, format, range in
      guard case .string(let text) = input, case .string(let pattern) = format else {
        throw JQError("strptime/1 requires string inputs and arguments", at: range)
      }
      var time = tm()
      // Sentinels: what the format did not set is computed from the date, as jq does.
      time.tm_wday = 8
      time.tm_yday = 367
      let rest: String? = text.withCString { start in
        pattern.withCString { format in
          guard let end = nwsh_strptime(start, format, &time) else { return nil }
          return String(cString: end)
        }
      }
      guard let rest, rest.allSatisfy(\.isWhitespace) else {
        throw JQError("date \"\(text)\" does not match format \"\(pattern)\"", at: range)
      }
      if time.tm_wday == 8 || time.tm_yday == 367, (1...31).contains(time.tm_mday) {
        var copy = time
        copy.tm_isdst = 0
        var seconds = timegm(&copy)
        var normalized = tm()
        gmtime_r(&seconds, &normalized)
        if time.tm_wday == 8 { time.tm_wday = normalized.tm_wday }
        if time.tm_yday == 367 { time.tm_yday = normalized.tm_yday }
      }
      return array(time, fraction: 0)
    }
  }

  /// `seconds` since the epoch as a broken down time, the fraction of a second kept.
  private static func brokenDown(_ seconds: Double, local: Bool, _ range: SourceRange) throws -> Value {
    guard seconds.isFinite, abs(seconds) < 1e17 else {
      throw JQError("error converting number of seconds since epoch to datetime", at: range)
    }
    var whole = time_t(seconds)
    var time = tm()
    let converted = local ? localtime_r(&whole, &time) : gmtime_r(&whole, &time)
    guard converted != nil else {
      throw JQError("error converting number of seconds since epoch to datetime", at: range)
    }
    return array(time, fraction: seconds - seconds.rounded(.down))
  }

  private static func array(_ time: tm, fraction: Double) -> Value {
    .array([
      .number(Int(time.tm_year) + 1900), .number(Int(time.tm_mon)), .number(Int(time.tm_mday)),
      .number(Int(time.tm_hour)), .number(Int(time.tm_min)), .number(Number(Double(time.tm_sec) + fraction)),
      .number(Int(time.tm_wday)), .number(Int(time.tm_yday)),
    ])
  }

  /// A broken down time (missing members 0) as C's `tm`, normalised (weekday and day of the
  /// year computed); nil when a member is not a number.
  private static func structTime(_ value: Value, local: Bool) -> tm? {
    guard case .array(let items) = value else { return nil }
    var fields = [Int32](repeating: 0, count: 8)
    for (index, item) in items.prefix(8).enumerated() {
      guard case .number(let number) = item, !number.double.isNaN else { return nil }
      var double = number.double
      if index == 0 { double -= 1900 }
      fields[index] = double < Double(Int32.min) ? .min : double > Double(Int32.max) ? .max : Int32(double)
    }
    var time = tm()
    time.tm_year = fields[0]
    time.tm_mon = fields[1]
    time.tm_mday = fields[2]
    time.tm_hour = fields[3]
    time.tm_min = fields[4]
    time.tm_sec = fields[5]
    time.tm_wday = fields[6]
    time.tm_yday = fields[7]
    // As jq's `jv2tm`: the C library normalizes the fields in place (a day past the month's
    // end rolls over), and leaves them as they were where it cannot.
    if local {
      time.tm_isdst = -1
      _ = mktime(&time)
    } else {
      _ = timegm(&time)
    }
    return time
  }

  /// `strftime`/`strflocaltime`: a number (seconds) or a broken down time, formatted.
  private static func formatted(_ input: Value, _ format: Value, local: Bool, _ range: SourceRange) throws -> Value {
    let name = local ? "strflocaltime/1" : "strftime/1"
    guard case .string(let pattern) = format else { throw JQError("\(name) requires a string format", at: range) }
    var time: tm
    switch input {
    case .number(let number):
      guard case .array(let parts) = try brokenDown(number.double, local: local, range),
        let converted = structTime(.array(parts), local: local)
      else { throw JQError("\(name) requires parsed datetime inputs", at: range) }
      time = converted
    case .array:
      guard let converted = structTime(input, local: local) else {
        throw JQError("\(name) requires parsed datetime inputs", at: range)
      }
      time = converted
    default:
      throw JQError("\(name) requires parsed datetime inputs", at: range)
    }
    if pattern.isEmpty { return .string("") }
    var buffer = [CChar](repeating: 0, count: 512)
    let count = pattern.withCString { strftime(&buffer, buffer.count, $0, &time) }
    guard count > 0 else { throw JQError("\(name): unknown system failure", at: range) }
    return .string(String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }
}
