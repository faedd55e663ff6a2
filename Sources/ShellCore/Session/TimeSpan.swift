import JQ

/// A length of time as people write it: a number and a unit, `90s`, `15m`, `36h`, `7d`, `2w`
/// (a bare number is seconds). Used by command flags (`pending --older-than 7d`) and settings.
public enum TimeSpan {
  /// Seconds in each unit.
  static let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

  /// The seconds `text` stands for, or nil when it is not a non-negative number with an
  /// optional unit (`s`, `m`, `h`, `d`, `w`).
  public static func seconds(_ text: String) -> Double? {
    var number = Substring(text.filter { !$0.isWhitespace })
    var unit = 1.0
    if let last = number.last, let seconds = units[last] {
      unit = seconds
      number = number.dropLast()
    }
    guard let amount = Double(number), amount.isFinite, amount >= 0 else { return nil }
    return amount * unit
  }

  /// `seconds` written back the way people read it: `7d`, `36h`, `90s`.
  public static func text(_ seconds: Double) -> String {
    for (unit, size) in [("w", 604_800.0), ("d", 86_400), ("h", 3600), ("m", 60)]
    where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
      return "\(Int(seconds / size))\(unit)"
    }
    return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
  }
}
