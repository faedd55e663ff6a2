import Foundation

/// `length`, `keys`, `has`, `contains`, `add`, `reverse`, `flatten`, `indices`: arrays and objects as wholes.
extension Builtins {
  static func registerCollections(_ t: inout Registry) {
    t.unary("length/0") { input, range in
      switch input {
      case .null: return .number(0)
      case .bool: throw JQError("\(describe(input)) has no length", at: range)
      // decNumber's absolute value: -0 too becomes 0.
      case .number(let n): return .number(n.double < 0 || (n.double == 0 && n.double.sign == .minus) ? n.negated : n)
      case .string(let s): return .number(s.unicodeScalars.count)
      case .array(let a): return .number(a.count)
      case .object(let o): return .number(o.count)
      }
    }
    t.unary("utf8bytelength/0") { input, range in
      .number(try string(input, "only strings have UTF-8 byte length", range).utf8.count)
    }
    t.unary("keys/0") { input, range in
      switch input {
      case .object(let o): return .array(o.orderedKeys.sorted(by: bytesLess).map(Value.string))
      case .array(let a): return .array(a.indices.map { .number($0) })
      default: throw JQError("\(describe(input)) has no keys", at: range)
      }
    }
    t.unary("keys_unsorted/0") { input, range in
      switch input {
      case .object(let o): return .array(o.members.map { Value.string($0.key) })
      case .array(let a): return .array(a.indices.map { .number($0) })
      default: throw JQError("\(describe(input)) has no keys", at: range)
      }
    }
    t["has/1"] = binary { input, key, range in
      switch (input, key) {
      case (.object(let o), .string(let k)): return .bool(o[k] != nil)
      // jq's `jv_has`: null has nothing; an array index is cut toward zero (`has(-0.5)` is
      // `has(0)`), NaN is no index.
      case (.array(let a), .number(let n)):
        return .bool(!n.double.isNaN && n.double > -1 && n.double < Double(a.count))
      case (.null, _): return .false
      default: throw JQError("Cannot check whether \(input.typeName) has a \(key.typeName) key", at: range)
      }
    }
    t["contains/1"] = binary { input, other, range in .bool(try contains(input, other, range, depth: 0)) }
    t["add/0"] = { interpreter, _, input, _, range, emit in
      var sum: Value = .null
      switch input {
      case .array(let items):
        for item in items { sum = try interpreter.binary(.add, sum, item, range) }
      case .object(let object):
        for item in object.orderedValues { sum = try interpreter.binary(.add, sum, item, range) }
      default: throw JQError("Cannot iterate over \(describe(input))", at: range)
      }
      try emit(sum)
    }
    // jq 1.8 defines it as `[.[length - 1 - range(0; length)]]`: an array reversed, and for
    // anything else what that gives (an empty array for a zero length, else the index's error).
    t.unary("reverse/0") { input, range in
      let length: Double
      switch input {
      case .array(let a): return .array(a.reversed())
      case .null: return .array([])
      case .bool: throw JQError("\(describe(input)) has no length", at: range)
      case .number(let n): length = abs(n.double)
      case .string(let s): length = Double(s.unicodeScalars.count)
      case .object(let o): length = Double(o.count)
      }
      // `range(0; length)` is empty for a length of 0 or less, but never for NaN.
      guard length > 0 || length.isNaN else { return .array([]) }
      let last = Value.number(Number(length - 1))
      throw JQError("Cannot index \(input.typeName) with number (\(errorText(last)))", at: range)
    }
    t["flatten/0"] = { interpreter, _, input, _, range, emit in
      try emit(.array(try flatten(interpreter, input, depth: .number(-1), range)))
    }
    t["flatten/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { depth in
        if Value.compare(depth, .number(0)) < 0 { throw JQError("flatten depth must not be negative", at: range) }
        try emit(.array(try flatten(interpreter, input, depth: depth, range)))
      }
    }
    t["indices/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { try emit(try positions(interpreter, input, $0, range)) }
    }
    // What indices/1 uses on strings, callable as in jq (code point offsets).
    t["_strindices/1"] = binary { input, wanted, range in
      guard case .string = input else {
        throw JQError("\(describe(input)) cannot be searched, as it is not a string", at: range)
      }
      guard case .string(let needle) = wanted, case .string(let text) = input else {
        throw JQError("\(describe(wanted)) is not a string", at: range)
      }
      return stringPositions(text, needle)
    }
    // Binary search of a sorted array: the index, or (-1 - where it would go).
    t["bsearch/1"] = binary { input, target, range in
      guard case .array(let items) = input else {
        throw JQError("\(describe(input)) cannot be searched from", at: range)
      }
      // jq's search, step for step (an unsorted array gives the same answer jq's does).
      var start = 0
      var end = items.count
      while start < end {
        let middle = start + (end - start) / 2
        let order = Value.compare(target, items[middle])
        if order == 0 { return .number(middle) }
        if order < 0 { end = middle } else { start = middle + 1 }
      }
      return .number(-1 - start)
    }
    // `indices($i) | .[0]` and `indices($i) | .[-1:][0]`, as jq defines them.
    t["index/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) {
        try emit(try interpreter.index(try positions(interpreter, input, $0, range), .number(0), range))
      }
    }
    t["rindex/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) {
        let all = try positions(interpreter, input, $0, range)
        let last = try interpreter.slice(all, .number(-1), .null, range, key: Interpreter.sliceKey(.number(-1), .null))
        try emit(try interpreter.index(last, .number(0), range))
      }
    }
  }

  static func contains(_ a: Value, _ b: Value, _ range: SourceRange, depth: Int) throws -> Bool {
    if depth > Value.depthLimit { throw JQError("Containment check too deep", at: range) }
    switch (a, b) {
    case (.object(let x), .object(let y)):
      for (key, value) in y {
        guard let mine = x[key], try contains(mine, value, range, depth: depth + 1) else { return false }
      }
      return true
    case (.array(let x), .array(let y)):
      for wanted in y where !(try x.contains { try contains($0, wanted, range, depth: depth + 1) }) { return false }
      return true
    case (.string(let x), .string(let y)):
      return y.isEmpty || x.utf8.count >= y.utf8.count && Array(x.utf8).firstRange(of: Array(y.utf8)) != nil
    default:
      // jq's kinds: `true` and `false` are two (`true | contains(false)` is an error).
      if a.typeRank == b.typeRank { return a == b }
      // Only the outermost values must be of one type; inside, a mismatch is just "no".
      if depth > 0 { return false }
      throw JQError("\(describe(a)) and \(describe(b)) cannot have their containment checked", at: range)
    }
  }

  /// jq's `_flatten($x)`: `reduce .[] as $i ([]; if $i | type == "array" and $x != 0 then . +
  /// ($i | _flatten($x - 1)) else . + [$i] end)`, so an object's values are flattened too, a
  /// depth that never reaches 0 (`-1`, `1.5`) goes all the way down, and errors are `.[]`'s
  /// and `-`'s.
  static func flatten(_ interpreter: Interpreter, _ input: Value, depth: Value, _ range: SourceRange) throws
    -> [Value]
  {
    var result: [Value] = []
    try interpreter.iterate(input, range) { item in
      if case .array = item, depth != .number(0) {
        let next = try interpreter.binary(.subtract, depth, .number(1), range)
        result += try flatten(interpreter, item, depth: next, range)
      } else {
        result.append(item)
      }
    }
    return result
  }

  /// `indices($i)` as jq defines it: sub-array positions in an array, code point offsets
  /// (overlapping) of a substring in a string, and otherwise `.[$i]`, errors and all.
  static func positions(_ interpreter: Interpreter, _ input: Value, _ wanted: Value, _ range: SourceRange) throws
    -> Value
  {
    switch (input, wanted) {
    case (.string(let text), .string(let needle)):
      return stringPositions(text, needle)
    case (.array(let items), .array(let sub)):
      return .array(Interpreter.indices(of: sub, in: items).map { .number($0) })
    case (.array(let items), _):
      return .array(Interpreter.indices(of: [wanted], in: items).map { .number($0) })
    default:
      return try interpreter.index(input, wanted, range)
    }
  }

  /// Where `needle` starts in `text`, in code points, overlapping (none for an empty needle).
  static func stringPositions(_ text: String, _ needle: String) -> Value {
    guard !needle.isEmpty else { return .array([]) }
    let haystack = Array(text.unicodeScalars)
    let pattern = Array(needle.unicodeScalars)
    var found: [Value] = []
    var index = 0
    while index + pattern.count <= haystack.count {
      if haystack[index..<(index + pattern.count)].elementsEqual(pattern) { found.append(.number(index)) }
      index += 1
    }
    return .array(found)
  }
}
