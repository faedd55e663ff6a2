import Foundation

/// `sort`, `sort_by`, `group_by`, `unique`, `min`, `max` and their `_by` forms: jq's total order at work.
extension Builtins {
  static func registerSorting(_ t: inout Registry) {
    t.unary("sort/0") { input, range in
      .array(
        try array(input, "cannot be sorted, as it is not an array", range).sorted {
          try Value.checkedCompare($0, $1) < 0
        })
    }
    t["sort_by/1"] = { interpreter, arguments, input, env, range, emit in
      let items = try array(input, "cannot be sorted, as it is not an array", range)
      let keyed = try items.map { item in
        (item, Value.array(try interpreter.evaluateAll(arguments[0], input: item, environment: env)))
      }
      try emit(.array(try stableSorted(keyed).map(\.0)))
    }
    t["group_by/1"] = { interpreter, arguments, input, env, range, emit in
      let items = try array(input, "cannot be grouped, as it is not an array", range)
      let keyed = try items.map { item in
        (item, Value.array(try interpreter.evaluateAll(arguments[0], input: item, environment: env)))
      }
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
        try Value.checkedCompare($0, $1) < 0
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
    t.unary("min/0") { input, range in
      try extreme(
        input, .array(try array(input, "cannot be sorted", range)), range, pickLater: { Value.compare($0, $1) < 0 })
    }
    t.unary("max/0") { input, range in
      try extreme(
        input, .array(try array(input, "cannot be sorted", range)), range, pickLater: { Value.compare($0, $1) >= 0 })
    }
  }

  static func stableSorted(_ keyed: [(Value, Value)]) throws -> [(Value, Value)] {
    try keyed.enumerated().sorted { lhs, rhs in
      let order = try Value.checkedCompare(lhs.element.1, rhs.element.1)
      return order < 0 || (order == 0 && lhs.offset < rhs.offset)
    }.map(\.element)
  }

  static func extreme(_ input: Value, _ keys: Value, _ range: SourceRange, pickLater: (Value, Value) -> Bool) throws
    -> Value
  {
    let items = try array(input, "cannot be sorted", range)
    guard case .array(let keyList) = keys, !items.isEmpty else { return .null }
    var best = 0
    for index in 1..<items.count where pickLater(keyList[index], keyList[best]) { best = index }
    return items[best]
  }
}
