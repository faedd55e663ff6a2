/// jq's total order: null < false < true < numbers < strings < arrays < objects; strings by
/// their UTF-8 bytes; arrays element-wise; objects by sorted key sets, then values key by key.
extension Value: Comparable, Hashable {
  var typeRank: Int {
    switch self {
    case .null: 0
    case .bool(false): 1
    case .bool(true): 2
    case .number: 3
    case .string: 4
    case .array: 5
    case .object: 6
    }
  }

  /// -1, 0 or 1, as jq compares values (no depth limit; see `checkedCompare`).
  public static func compare(_ lhs: Value, _ rhs: Value) -> Int {
    switch (lhs, rhs) {
    case (.number(let a), .number(let b)):
      return Number.order(a, b)
    case (.string(let a), .string(let b)):
      return compareBytes(a, b)
    case (.array, .array), (.object, .object):
      // Starting far below the limit, the checked comparison cannot throw.
      return (try? checkedCompare(lhs, rhs, depth: Int.min / 2)) ?? 0
    default:
      let (ra, rb) = (lhs.typeRank, rhs.typeRank)
      return ra < rb ? -1 : (ra == rb ? 0 : 1)
    }
  }

  public static func < (lhs: Value, rhs: Value) -> Bool { compare(lhs, rhs) < 0 }

  public static func == (lhs: Value, rhs: Value) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)): return a.double == b.double && (a.literal == nil || Number.order(a, b) == 0)
    case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
    case (.object(let a), .object(let b)):
      guard a.count == b.count else { return false }
      for (key, value) in a {
        guard let other = b[key], other == value else { return false }
      }
      return true
    default: return false
    }
  }

  public func hash(into hasher: inout Hasher) {
    switch self {
    case .null: hasher.combine(0)
    case .bool(let b): hasher.combine(b ? 2 : 1)
    case .number(let n):
      hasher.combine(3)
      hasher.combine(n.double == 0 ? 0 : n.double)
    case .string(let s):
      hasher.combine(4)
      for byte in s.utf8 { hasher.combine(byte) }
    case .array(let a):
      hasher.combine(5)
      hasher.combine(a.count)
      for v in a { v.hash(into: &hasher) }
    case .object(let o):
      hasher.combine(6)
      hasher.combine(o.count)
      // Order-independent: sum member hashes.
      var sum = 0
      for (key, value) in o {
        var member = Hasher()
        for byte in key.utf8 { member.combine(byte) }
        value.hash(into: &member)
        sum &+= member.finalize()
      }
      hasher.combine(sum)
    }
  }
}

/// Byte-wise comparison of two strings' UTF-8.
func compareBytes(_ a: String, _ b: String) -> Int {
  var a = a
  var b = b
  return a.withUTF8 { x in
    b.withUTF8 { y in
      let common = min(x.count, y.count)
      if common > 0 {
        let order = memcmp(x.baseAddress!, y.baseAddress!, common)
        if order != 0 { return order < 0 ? -1 : 1 }
      }
      return x.count < y.count ? -1 : (x.count == y.count ? 0 : 1)
    }
  }
}

func bytesLess(_ a: String, _ b: String) -> Bool { compareBytes(a, b) < 0 }

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Equality and ordering that refuse values nested deeper than jq's limit (10,000 levels),
/// with jq's messages, instead of recursing without bound.
extension Value {
  static let depthLimit = 10_000

  static func checkedEqual(_ lhs: Value, _ rhs: Value, depth: Int = 0) throws -> Bool {
    if depth > depthLimit { throw JQError("Equality check too deep") }
    switch (lhs, rhs) {
    case (.array(let a), .array(let b)):
      guard a.count == b.count else { return false }
      for (x, y) in zip(a, b) where !(try checkedEqual(x, y, depth: depth + 1)) { return false }
      return true
    case (.object(let a), .object(let b)):
      guard a.count == b.count else { return false }
      for (key, value) in a {
        guard let other = b[key], try checkedEqual(value, other, depth: depth + 1) else { return false }
      }
      return true
    default:
      return lhs == rhs
    }
  }

  /// What a comparison for sorting gives when it meets two NaNs (``checkedCompare(_:_:depth:sorting:)``).
  static let nanTie = Int.min

  /// -1, 0 or 1. With `sorting`, meeting two NaNs ends the comparison with ``nanTie``: jq
  /// compares NaN below everything, itself included, so the comparison stops there with "less",
  /// and glibc's merge sort, which jq's `sort` is, then keeps the two in the order they came, as
  /// a stable sort does with a tie.
  static func checkedCompare(_ lhs: Value, _ rhs: Value, depth: Int = 0, sorting: Bool = false) throws -> Int {
    if depth > depthLimit { throw JQError("Comparison too deep") }
    switch (lhs, rhs) {
    case (.number(let a), .number(let b)) where sorting && a.double.isNaN && b.double.isNaN:
      return nanTie
    case (.array(let a), .array(let b)):
      for (x, y) in zip(a, b) {
        let order = try checkedCompare(x, y, depth: depth + 1, sorting: sorting)
        if order != 0 { return order }
      }
      return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
    case (.object(let a), .object(let b)):
      let keysA = a.orderedKeys.sorted(by: bytesLess)
      let keysB = b.orderedKeys.sorted(by: bytesLess)
      let keyOrder = compare(.array(keysA.map(Value.string)), .array(keysB.map(Value.string)))
      if keyOrder != 0 { return keyOrder }
      for key in keysA {
        let order = try checkedCompare(a[key]!, b[key]!, depth: depth + 1, sorting: sorting)
        if order != 0 { return order }
      }
      return 0
    default:
      return compare(lhs, rhs)
    }
  }
}
