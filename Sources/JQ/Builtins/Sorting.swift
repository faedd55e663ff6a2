import Foundation

/// `sort`, `sort_by`, `group_by`, `unique`, `min`, `max` and their `_by` forms: jq's total order at work.
extension Builtins {
  static func registerSorting(_ t: inout Registry) {
    t.unary("sort/0") { input, range in
      .array(
        try array(input, "cannot be sorted, as it is not an array", range).sorted {
          try sortOrder($0, $1) < 0
        })
    }
    t["sort_by/1"] = { interpreter, arguments, input, env, range, emit in
      try emit(.array(try stableSorted(try keyed(interpreter, arguments[0], input, env, range)).map(\.0)))
    }
    t["group_by/1"] = { interpreter, arguments, input, env, range, emit in
      let keyed = try keyed(interpreter, arguments[0], input, env, range)
      var groups: [Value] = []
      var current: [Value] = []
      var currentKey: Value?
      for (item, key) in try stableSorted(keyed) {
        if let existing = currentKey, existing == key {
          current.append(item)
        } else {
          if !current.isEmpty { groups.append(.array(current)) }
          current = [item]
          currentKey = key
        }
      }
      if !current.isEmpty { groups.append(.array(current)) }
      try emit(.array(groups))
    }
    t.unary("unique/0") { input, range in
      let sorted = try array(input, "cannot be sorted, as it is not an array", range).sorted {
        try sortOrder($0, $1) < 0
      }
      var result: [Value] = []
      for item in sorted where result.last.map({ !($0 == item) }) ?? true { result.append(item) }
      return .array(result)
    }
    t["_min_by/1"] = binary { input, keys, range in
      try extreme(input, keys, range, pickLater: { Value.compare($0, $1) < 0 })
    }
    t["_max_by/1"] = binary { input, keys, range in
      try extreme(input, keys, range, pickLater: { Value.compare($0, $1) >= 0 })
    }
    t.unary("min/0") { input, range in try extreme(input, input, range, pickLater: { Value.compare($0, $1) < 0 }) }
    t.unary("max/0") { input, range in try extreme(input, input, range, pickLater: { Value.compare($0, $1) >= 0 }) }
  }

  /// Each element of `input` with its key `[f]`, as jq's `_sort_by_impl(map([f]))` has them:
  /// `map` refuses what it cannot iterate, and the sort what is not an array (an object's
  /// values have keys, but the object is not sorted).
  static func keyed(
    _ interpreter: Interpreter, _ key: Filter, _ input: Value, _ env: Frame, _ range: SourceRange
  ) throws -> [(Value, Value)] {
    var keys: [Value] = []
    try interpreter.iterate(input, range) { item in
      keys.append(.array(try interpreter.evaluateAll(key, input: item, environment: env)))
    }
    guard case .array(let items) = input else {
      throw JQError(
        "\(describe(input)) and \(describe(.array(keys))) cannot be sorted, as they are not both arrays", at: range)
    }
    return Array(zip(items, keys))
  }

  /// How jq's sort orders two values: its comparison, two NaNs a tie.
  static func sortOrder(_ a: Value, _ b: Value) throws -> Int {
    let order = try Value.checkedCompare(a, b, sorting: true)
    return order == Value.nanTie ? 0 : order
  }

  static func stableSorted(_ keyed: [(Value, Value)]) throws -> [(Value, Value)] {
    try keyed.enumerated().sorted { lhs, rhs in
      let order = try sortOrder(lhs.element.1, rhs.element.1)
      return order < 0 || (order == 0 && lhs.offset < rhs.offset)
    }.map(\.element)
  }

  /// jq's `minmax_by`: the element whose key is least (the first of equal ones) or greatest
  /// (the last), null for none.
  static func extreme(_ input: Value, _ keys: Value, _ range: SourceRange, pickLater: (Value, Value) -> Bool) throws
    -> Value
  {
    guard case .array(let items) = input, case .array(let keyList) = keys else {
      throw JQError("\(describe(input)) and \(describe(keys)) cannot be iterated over", at: range)
    }
    guard keyList.count == items.count else {
      throw JQError("\(describe(input)) and \(describe(keys)) have wrong length", at: range)
    }
    guard !items.isEmpty else { return .null }
    var best = 0
    for index in 1..<items.count where pickLater(keyList[index], keyList[best]) { best = index }
    return items[best]
  }
}
