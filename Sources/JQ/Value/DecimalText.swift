/// A number's source text read as a decimal: what jq 1.8 (built with decNumber, its default)
/// keeps of a literal. Printing uses decNumber's to-scientific-string form (`1e2` prints as
/// `1E+2`, `1.000` stays `1.000`, a 30-digit id stays 30 digits), and two literals compare
/// exactly (`13911860366432393 != 13911860366432392`, which doubles cannot tell apart).
struct DecimalText {
  /// The sign.
  var negative: Bool
  /// The coefficient's digits, without leading zeros ("0" for zero).
  var digits: [UInt8]
  /// The power of ten the coefficient is multiplied by.
  var exponent: Int

  /// `text` (JSON number syntax) read; nil if it is not one, or its exponent is absurd.
  init?(_ text: String) {
    var bytes = Array(text.utf8)[...]
    negative = bytes.first == UInt8(ascii: "-")
    if negative || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
    var coefficient: [UInt8] = []
    var scale = 0
    var seenPoint = false
    while let byte = bytes.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
      bytes = bytes.dropFirst()
      if byte == UInt8(ascii: ".") {
        guard !seenPoint else { return nil }
        seenPoint = true
        continue
      }
      guard (0x30...0x39).contains(byte) else { return nil }
      coefficient.append(byte)
      if seenPoint { scale += 1 }
    }
    guard !coefficient.isEmpty else { return nil }
    var power = 0
    if !bytes.isEmpty {
      bytes = bytes.dropFirst()
      let text = String(decoding: bytes, as: UTF8.self)
      guard let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text), abs(value) < 1_000_000_000_000
      else { return nil }
      power = value
    }
    let firstNonZero = coefficient.firstIndex { $0 != 0x30 } ?? (coefficient.count - 1)
    digits = Array(coefficient[firstNonZero...])
    exponent = power - scale
  }

  /// decNumber's to-scientific-string: plain when the exponent is at most 0 and the adjusted
  /// exponent at least -6, else one digit, a point, the rest and `E±n`.
  var canonical: String {
    let sign = negative ? "-" : ""
    let adjusted = exponent + digits.count - 1
    let coefficient = String(decoding: digits, as: UTF8.self)
    if exponent <= 0 && adjusted >= -6 {
      if exponent == 0 { return sign + coefficient }
      let point = digits.count + exponent
      if point > 0 {
        return sign + String(coefficient.prefix(point)) + "." + String(coefficient.dropFirst(point))
      }
      return sign + "0." + String(repeating: "0", count: -point) + coefficient
    }
    var text = sign + String(coefficient.prefix(1))
    if digits.count > 1 { text += "." + String(coefficient.dropFirst()) }
    return text + "E" + (adjusted >= 0 ? "+" : "-") + String(abs(adjusted))
  }

  /// Whether it is zero (of any sign and exponent).
  var isZero: Bool { digits == [0x30] }

  /// The same number with the other sign, as decNumber's minus (0 - x) gives it: a zero is
  /// positive (`-0` prints `0`, `-0.0` prints `0.0`, as in jq 1.8).
  var negated: DecimalText {
    var copy = self
    copy.negative = isZero ? false : !negative
    return copy
  }

  /// -1, 0 or 1: the exact order of two decimals.
  static func compare(_ a: DecimalText, _ b: DecimalText) -> Int {
    let aZero = a.digits == [0x30]
    let bZero = b.digits == [0x30]
    if aZero && bZero { return 0 }
    let aSign = aZero ? 0 : (a.negative ? -1 : 1)
    let bSign = bZero ? 0 : (b.negative ? -1 : 1)
    if aSign != bSign { return aSign < bSign ? -1 : 1 }
    let magnitude = compareMagnitude(a, b)
    return aSign < 0 ? -magnitude : magnitude
  }

  private static func compareMagnitude(_ a: DecimalText, _ b: DecimalText) -> Int {
    // Trailing zeros do not change the value: compare significant digits at their positions.
    func trimmed(_ d: DecimalText) -> (digits: ArraySlice<UInt8>, adjusted: Int) {
      var digits = d.digits[...]
      while digits.count > 1, digits.last == 0x30 { digits = digits.dropLast() }
      return (digits, d.exponent + d.digits.count - 1)
    }
    let (x, y) = (trimmed(a), trimmed(b))
    if x.adjusted != y.adjusted { return x.adjusted < y.adjusted ? -1 : 1 }
    for (p, q) in zip(x.digits, y.digits) where p != q { return p < q ? -1 : 1 }
    return x.digits.count == y.digits.count ? 0 : (x.digits.count < y.digits.count ? -1 : 1)
  }
}

extension Number {
  /// The text jq 1.8 prints for this number's literal (decNumber's form), if it has one.
  var canonicalLiteral: String? {
    guard let literal else { return nil }
    // The usual literal (no exponent, no run of leading zeros after the point) prints as it is.
    if !literal.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
      && (literal.utf8.count < 8 || !literal.contains("0.000000"))
    {
      return literal
    }
    return DecimalText(literal)?.canonical ?? literal
  }

  /// Negated, keeping the precision of a literal (`-.` on 13911860366432393); a literal zero
  /// stays a positive zero, as decNumber negates it (a computed zero's sign flips, as a double's).
  var negated: Number {
    guard let literal, let decimal = DecimalText(literal) else { return Number(-double) }
    let result = decimal.negated
    return Number(result.isZero ? 0 : -double, literal: result.canonical)
  }

  /// Whether two numbers are the same: exactly, when both have literals; else as doubles.
  static func order(_ a: Number, _ b: Number) -> Int {
    // jq compares NaN as if it were null: below every number, itself included.
    if a.double.isNaN { return -1 }
    if b.double.isNaN { return 1 }
    if a.double != b.double { return a.double < b.double ? -1 : 1 }
    guard let x = a.literal, let y = b.literal, x != y, let p = DecimalText(x), let q = DecimalText(y) else { return 0 }
    return DecimalText.compare(p, q)
  }
}
