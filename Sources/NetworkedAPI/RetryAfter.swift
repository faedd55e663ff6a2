/// A parsed `Retry-After` header value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter: Sendable, Hashable, CustomStringConvertible {
  /// A number of seconds to wait.
  case seconds(Int)
  /// A moment, in seconds since the Unix epoch.
  case date(epochSeconds: Int64)

  /// Parses a header value; nil when it is neither form.
  ///
  /// Accepts delay-seconds (`120`) and the three HTTP-date forms: IMF-fixdate
  /// (`Sun, 06 Nov 1994 08:49:37 GMT`), obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
  /// and asctime (`Sun Nov  6 08:49:37 1994`).
  public init?(parsing value: String) {
    let text = value.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
    let bytes = Array(text)
    guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
    if bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
      // Cap absurd values rather than overflow: a day is the most anyone should wait.
      var seconds = 0
      for byte in bytes {
        seconds = seconds * 10 + Int(byte - 0x30)
        if seconds > 1_000_000_000 { seconds = 1_000_000_000 }
      }
      self = .seconds(seconds)
      return
    }
    guard let epoch = HTTPDate.parse(bytes) else { return nil }
    self = .date(epochSeconds: epoch)
  }

  /// Seconds to wait from `nowEpochSeconds`; never negative (a date in the past means now).
  public func delay(fromEpochSeconds now: Double) -> Double {
    switch self {
    case .seconds(let seconds): return Double(seconds)
    case .date(let epoch): return max(0, Double(epoch) - now)
    }
  }

  public var description: String {
    switch self {
    case .seconds(let seconds): return "\(seconds)s"
    case .date(let epoch): return "epoch \(epoch)"
    }
  }
}

/// HTTP-date parsing without Foundation's formatters (fast, and safe to fuzz).
enum HTTPDate {
  private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

  static func parse(_ bytes: [UInt8]) -> Int64? {
    // Split on spaces, commas and dashes into words, keeping the hh:mm:ss word whole.
    var words: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
      if byte == 0x20 || byte == 0x2C || byte == 0x2D {
        if !current.isEmpty {
          words.append(current)
          current = []
        }
      } else {
        current.append(byte)
      }
    }
    if !current.isEmpty { words.append(current) }

    var day: Int?
    var month: Int?
    var year: Int?
    var time: (Int, Int, Int)?
    for word in words.dropFirst() {  // the first word is the weekday
      if word.contains(0x3A) {
        time = parseTime(word)
        if time == nil { return nil }
      } else if let number = parseNumber(word) {
        if day == nil && word.count <= 2 {
          day = number
        } else if year == nil {
          year = word.count == 2 ? (number < 70 ? 2000 + number : 1900 + number) : number
        } else {
          return nil
        }
      } else if let index = months.firstIndex(of: String(decoding: word, as: UTF8.self).lowercased()) {
        month = index + 1
      } else if String(decoding: word, as: UTF8.self).uppercased() == "GMT" {
        continue
      } else {
        return nil
      }
    }
    guard words.count >= 5, let day, let month, let year, let (hour, minute, second) = time,
      (1...31).contains(day), (1...9999).contains(year), hour < 24, minute < 60, second < 61
    else { return nil }
    return daysFromCivil(year: year, month: month, day: day) * 86_400
      + Int64(hour * 3600 + minute * 60 + second)
  }

  private static func parseNumber(_ word: [UInt8]) -> Int? {
    guard !word.isEmpty, word.count <= 4, word.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    return word.reduce(0) { $0 * 10 + Int($1 - 0x30) }
  }

  private static func parseTime(_ word: [UInt8]) -> (Int, Int, Int)? {
    let parts = word.split(separator: 0x3A, omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
      let h = parseNumber(Array(parts[0])), let m = parseNumber(Array(parts[1])),
      let s = parseNumber(Array(parts[2]))
    else { return nil }
    return (h, m, s)
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let m = Int64(month)
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// Formats epoch seconds as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
  static func format(epochSeconds: Int64) -> String {
    let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
    let secs = Int(epochSeconds - days * 86_400)
    // civil from days
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = Int(doy - (153 * mp + 2) / 5 + 1)
    let m = Int(mp < 10 ? mp + 3 : mp - 9)
    let y = Int(yoe + era * 400) + (m <= 2 ? 1 : 0)
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
    return "\(weekday), \(two(d)) \(month) \(y) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)) GMT"
  }
}
