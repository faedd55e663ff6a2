import Foundation

extension Interpreter {
  /// `a op b` for one pair of values, with jq's type rules and messages.
  func binary(_ op: BinaryOperator, _ lhs: Value, _ rhs: Value, _ range: SourceRange?) throws -> Value {
    switch op {
    case .add:
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)): return .number(Number(a.double + b.double))
      case (.string(let a), .string(let b)): return .string(a + b)
      case (.array(let a), .array(let b)): return .array(a + b)
      case (.object(var a), .object(let b)):
        for (key, value) in b { a[key] = value }
        return .object(a)
      case (.null, _): return rhs
      case (_, .null): return lhs
      default: throw JQError("\(describe(lhs)) and \(describe(rhs)) cannot be added", at: range)
      }
    case .subtract:
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)): return .number(Number(a.double - b.double))
      case (.array(let a), .array(let b)): return .array(a.filter { element in !b.contains { $0 == element } })
      default: throw JQError("\(describe(lhs)) and \(describe(rhs)) cannot be subtracted", at: range)
      }
    case .multiply:
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)): return .number(Number(a.double * b.double))
      case (.string(let text), .number(let count)), (.number(let count), .string(let text)):
        return try repeatString(text, count.double)
      case (.object(let a), .object(let b)): return .object(try deepMerge(a, b))
      default: throw JQError("\(describe(lhs)) and \(describe(rhs)) cannot be multiplied", at: range)
      }
    case .divide:
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)):
        if b.double == 0 {
          throw JQError(
            "\(describe(lhs)) and \(describe(rhs)) cannot be divided because the divisor is zero", at: range)
        }
        return .number(Number(a.double / b.double))
      case (.string(let a), .string(let b)): return .array(Interpreter.split(a, by: b).map(Value.string))
      default: throw JQError("\(describe(lhs)) and \(describe(rhs)) cannot be divided", at: range)
      }
    case .modulo:
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)):
        if a.double.isNaN || b.double.isNaN { return .number(.nan) }
        let divisor = truncateToInt(b.double)
        if divisor == 0 {
          throw JQError(
            "\(describe(lhs)) and \(describe(rhs)) cannot be divided (remainder) because the divisor is zero", at: range
          )
        }
        let dividend = truncateToInt(a.double)
        return .number(Number(Double(divisor == -1 ? 0 : dividend % divisor)))
      default: throw JQError("\(describe(lhs)) and \(describe(rhs)) cannot be divided (remainder)", at: range)
      }
    case .equal: return .bool(try Value.checkedEqual(lhs, rhs))
    case .notEqual: return .bool(!(try Value.checkedEqual(lhs, rhs)))
    case .less: return .bool(try Value.checkedCompare(lhs, rhs) < 0)
    case .lessOrEqual: return .bool(try Value.checkedCompare(lhs, rhs) <= 0)
    case .greater: return .bool(try Value.checkedCompare(lhs, rhs) > 0)
    case .greaterOrEqual: return .bool(try Value.checkedCompare(lhs, rhs) >= 0)
    }
  }

  private func truncateToInt(_ double: Double) -> Int {
    if double >= 9.2e18 { return Int.max }
    if double <= -9.2e18 { return Int.min }
    return Int(double)
  }

  func repeatString(_ text: String, _ count: Double) throws -> Value {
    if count.isNaN || count < 0 { return .null }
    // As jq: C's `(int)` of the count, at most INT_MAX (an infinite count too).
    let times = Swift.min(count.rounded(.towardZero), 2_147_483_647)
    if text.isEmpty || times == 0 { return .string("") }
    if Double(text.utf8.count) * times >= 2_147_483_647 { throw JQError("Repeat string result too long") }
    // By doubling, as jq does: a long result is a few large copies, not one append per repeat.
    let unit = Array(text.utf8)
    let total = unit.count * Int(times)
    return .string(
      String(unsafeUninitializedCapacity: total) { buffer in
        _ = buffer.initialize(from: unit)
        var filled = unit.count
        while filled < total {
          let chunk = Swift.min(filled, total - filled)
          buffer.baseAddress!.advanced(by: filled).update(from: buffer.baseAddress!, count: chunk)
          filled += chunk
        }
        return total
      })
  }

  func deepMerge(_ a: JSONObject, _ b: JSONObject, depth: Int = 0) throws -> JSONObject {
    if depth > Value.depthLimit { throw JQError("Object merge too deep") }
    var result = a
    for (key, value) in b {
      if case .object(let left)? = result[key], case .object(let right) = value {
        result[key] = .object(try deepMerge(left, right, depth: depth + 1))
      } else {
        result[key] = value
      }
    }
    return result
  }

  static func split(_ text: String, by separator: String) -> [String] {
    if text.isEmpty { return [] }
    if separator.isEmpty {
      // jq splits into single characters... of bytes? It splits into code points.
      return text.unicodeScalars.map { String($0) }
    }
    var parts: [String] = []
    let bytes = Array(text.utf8)
    let sep = Array(separator.utf8)
    var start = 0
    var index = 0
    while index + sep.count <= bytes.count {
      if bytes[index..<(index + sep.count)].elementsEqual(sep) {
        parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
        index += sep.count
        start = index
      } else {
        index += 1
      }
    }
    parts.append(String(decoding: bytes[start...], as: UTF8.self))
    return parts
  }
}
