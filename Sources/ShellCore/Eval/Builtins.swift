import Foundation

/// The builtins implemented in Swift, by `name/arity`.
enum Builtins {
  static func isBuiltinName(_ name: String) -> Bool {
    names.contains(name)
  }

  static let names: Set<String> = Set(
    (Array(table.keys) + Array(Prelude.definitions.keys)).map { String($0.prefix { $0 != "/" }) })

  /// `name/arity` for each form of builtin `name`, by arity.
  static func names(of name: String) -> [String] {
    Set((Array(table.keys) + Array(Prelude.definitions.keys)).filter { $0.hasPrefix(name + "/") }).sorted()
  }

  /// Emits `body(input)`.
  static func unary(_ body: @escaping @Sendable (Value, SourceRange) throws -> Value) -> NativeFunction {
    { _, _, input, _, range, emit in try emit(try body(input, range)) }
  }

  /// Emits `body(input, a)` for each output `a` of the argument.
  static func binary(_ body: @escaping @Sendable (Value, Value, SourceRange) throws -> Value) -> NativeFunction {
    { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { a in try emit(try body(input, a, range)) }
    }
  }

  /// Emits `body(input, a, b)` for each pair (first argument outermost).
  static func ternary(_ body: @escaping @Sendable (Value, Value, Value, SourceRange) throws -> Value) -> NativeFunction
  {
    { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { a in
        try interpreter.evaluate(arguments[1], input, env) { b in try emit(try body(input, a, b, range)) }
      }
    }
  }

  static func mathBody(_ body: @escaping @Sendable (Double) -> Double) -> UnaryBody {
    { input, range in
      guard case .number(let number) = input else { throw JQError("\(describe(input)) number required", at: range) }
      return .number(Number(body(number.double)))
    }
  }

  static func string(_ value: Value, _ what: String, _ range: SourceRange) throws -> String {
    guard case .string(let text) = value else { throw JQError("\(describe(value)) \(what)", at: range) }
    return text
  }

  static func array(_ value: Value, _ what: String, _ range: SourceRange) throws -> [Value] {
    guard case .array(let items) = value else { throw JQError("\(describe(value)) \(what)", at: range) }
    return items
  }

  /// A builtin with no arguments and exactly one output.
  typealias UnaryBody = @Sendable (Value, SourceRange) throws -> Value

  /// The builtins as they are registered: natives by `name/arity`, and those of them with no
  /// arguments and one output also as plain functions (compiled to ``UnaryNativeFilter``).
  struct Registry {
    var natives: [String: NativeFunction] = [:]
    var unaries: [String: UnaryBody] = [:]

    subscript(key: String) -> NativeFunction? {
      get { natives[key] }
      set { natives[key] = newValue }
    }

    mutating func unary(_ key: String, _ body: @escaping UnaryBody) {
      unaries[key] = body
      natives[key] = Builtins.unary(body)
    }
  }

  static let table: [String: NativeFunction] = registry.natives
  static let unaries: [String: UnaryBody] = registry.unaries

  private static let registry: Registry = {
    var t = Registry()
    group0(&t)
    group1(&t)
    group2(&t)
    group3(&t)
    group4(&t)
    group5(&t)
    group6(&t)
    group7(&t)
    group8(&t)
    group9(&t)
    group10(&t)
    group11(&t)
    t.unaries["tojson/0"] = nil  // registered twice; the second wins (below)
    t.unary("tojson/0") { input, _ in .string(JSONWriter.compact(input)) }
    return t
  }()

  private static func group0(_ t: inout Registry) {
    t["empty/0"] = { _, _, _, _, _, _ in }
    t.unary("not/0") { input, _ in .bool(!input.isTruthy) }
    t["error/0"] = { _, _, input, _, range, _ in throw JQError(value: input, at: range) }
    t["error/1"] = { interpreter, arguments, input, env, range, _ in
      try interpreter.evaluate(arguments[0], input, env) { throw JQError(value: $0, at: range) }
    }
    t["path/1"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.paths(arguments[0], input, env) { try emit(.array($0)) }
    }
    t["getpath/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { path in
        guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
        if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
        try emit((try? interpreter.getpath(input, steps)) ?? .null)
      }
    }
    t["setpath/2"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[1], input, env) { value in
        try interpreter.evaluate(arguments[0], input, env) { path in
          guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
          if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
          try emit(try interpreter.setpath(input, steps[...], value))
        }
      }
    }
    t["delpaths/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { paths in
        guard case .array(let list) = paths else { throw JQError("Paths must be specified as an array", at: range) }
        let steps = try list.map { path -> [Value] in
          guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
          if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
          return steps
        }
        try emit(try interpreter.deletePaths(input, steps))
      }
    }
  }

  private static func group1(_ t: inout Registry) {
    t.unary("length/0") { input, range in
      switch input {
      case .null: return .number(0)
      case .bool: throw JQError("\(describe(input)) has no length", at: range)
      case .number(let n): return .number(Number(abs(n.double)))
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
      case (.array(let a), .number(let n)): return .bool(n.double >= 0 && n.double < Double(a.count))
      case (.null, .string), (.null, .number): return .false
      default: throw JQError("Cannot check whether \(input.typeName) has a \(key.typeName) key", at: range)
      }
    }
    t["contains/1"] = binary { input, other, range in .bool(try contains(input, other, range, depth: 0)) }
  }

  private static func group2(_ t: inout Registry) {
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
    t["range/1"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.evaluate(arguments[0], input, env) { upper in
        guard case .number(let end) = upper else { throw JQError("Range bounds must be numeric") }
        var value = 0.0
        while value < end.double {
          try interpreter.checkInterrupt()
          try emit(.number(Number(value)))
          value += 1
        }
      }
    }
    t["range/2"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.evaluate(arguments[0], input, env) { lower in
        try interpreter.evaluate(arguments[1], input, env) { upper in
          guard case .number(let start) = lower, case .number(let end) = upper else {
            throw JQError("Range bounds must be numeric")
          }
          var value = start.double
          while value < end.double {
            try interpreter.checkInterrupt()
            try emit(.number(Number(value)))
            value += 1
          }
        }
      }
    }
  }

  private static func group3(_ t: inout Registry) {
    t["range/3"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.evaluate(arguments[0], input, env) { lower in
        try interpreter.evaluate(arguments[1], input, env) { upper in
          try interpreter.evaluate(arguments[2], input, env) { stepValue in
            guard case .number(let start) = lower, case .number(let end) = upper, case .number(let step) = stepValue
            else {
              throw JQError("Range bounds must be numeric")
            }
            var value = start.double
            if step.double > 0 {
              while value < end.double {
                try interpreter.checkInterrupt()
                try emit(.number(Number(value)))
                value += step.double
              }
            } else if step.double < 0 {
              while value > end.double {
                try interpreter.checkInterrupt()
                try emit(.number(Number(value)))
                value += step.double
              }
            }
          }
        }
      }
    }
    for (name, function) in mathFunctions { t.unary("\(name)/0", mathBody(function)) }
    t["pow/2"] = ternary { _, a, b, range in
      guard let x = a.doubleValue, let y = b.doubleValue else { throw JQError("pow requires numbers", at: range) }
      return .number(Number(pow(x, y)))
    }
    t["atan2/2"] = ternary { _, a, b, range in
      guard let x = a.doubleValue, let y = b.doubleValue else { throw JQError("atan2 requires numbers", at: range) }
      return .number(Number(atan2(x, y)))
    }
    t["fmin/2"] = ternary { _, a, b, _ in .number(Number(fmin(a.doubleValue ?? .nan, b.doubleValue ?? .nan))) }
    t["fmax/2"] = ternary { _, a, b, _ in .number(Number(fmax(a.doubleValue ?? .nan, b.doubleValue ?? .nan))) }
    t.unary("infinite/0") { _, _ in .number(Number(.infinity)) }
  }

  private static func group4(_ t: inout Registry) {
    t.unary("nan/0") { _, _ in .number(Number(.nan)) }
    t.unary("isinfinite/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isInfinite)
    }
    t.unary("isnan/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isNaN)
    }
    t.unary("isnormal/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isNormal)
    }
    t.unary("type/0") { input, _ in .string(input.typeName) }
    t.unary("tostring/0") { input, _ in
      if case .string = input { return input }
      return .string(JSONWriter.compact(input))
    }
    t.unary("tojson/0") { input, _ in .string(JSONWriter.compact(input)) }
    t.unary("fromjson/0") { input, range in
      let text = try string(input, "only strings can be parsed", range)
      // jq 1.8 reads nan and NaN (optionally negated) here.
      let bare = text.trimmingCharacters(in: .whitespaces)
      if ["nan", "NaN", "-nan", "-NaN"].contains(bare) { return .number(Number(.nan)) }
      do throws(JSONParser.SyntaxError) {
        return try JSONParser.parse(text)
      } catch {
        throw JQError("\(error.message) (while parsing '\(text)')", at: range)
      }
    }
    t.unary("tonumber/0") { input, range in
      switch input {
      case .number: return input
      case .string(let text):
        guard let number = parseNumberText(text) else {
          throw JQError("\(describe(input)) cannot be parsed as a number", at: range)
        }
        return .number(number)
      default: throw JQError("\(describe(input)) cannot be parsed as a number", at: range)
      }
    }
  }

  private static func group5(_ t: inout Registry) {
    t.unary("toboolean/0") { input, range in
      switch input {
      case .bool: return input
      case .string("true"): return .true
      case .string("false"): return .false
      default: throw JQError("\(describe(input)) cannot be parsed as a boolean", at: range)
      }
    }
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
  }

  private static func group6(_ t: inout Registry) {
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
    t.unary("reverse/0") { input, range in
      switch input {
      case .array(let a): return .array(a.reversed())
      case .string(let s): return .string(String(s.unicodeScalars.reversed().map(Character.init)))
      case .null: return .array([])
      default: throw JQError("Cannot reverse \(describe(input))", at: range)
      }
    }
    t.unary("flatten/0") { input, range in .array(try flatten(input, depth: 1e9, range)) }
    t["flatten/1"] = binary { input, depth, range in
      guard let d = depth.doubleValue, d >= 0 else { throw JQError("flatten depth must not be negative", at: range) }
      return .array(try flatten(input, depth: d, range))
    }
    t["indices/1"] = binary { input, wanted, range in try positions(input, wanted, range) }
    t["index/1"] = binary { input, wanted, range in
      guard case .array(let all) = try positions(input, wanted, range) else { return .null }
      return all.first ?? .null
    }
    t["rindex/1"] = binary { input, wanted, range in
      guard case .array(let all) = try positions(input, wanted, range) else { return .null }
      return all.last ?? .null
    }
    t.unary("to_entries/0") { input, range in
      switch input {
      case .object(let object):
        return .array(object.map { key, value in .object(JSONObject([("key", .string(key)), ("value", value)])) })
      case .array(let items):
        return .array(
          items.enumerated().map { .object(JSONObject([("key", .number($0.offset)), ("value", $0.element)])) })
      default:
        throw JQError("\(describe(input)) has no keys", at: range)
      }
    }
  }

  private static func group7(_ t: inout Registry) {
    t.unary("from_entries/0") { input, range in
      var object = JSONObject()
      for entry in try array(input, "cannot be iterated over", range) {
        var key: Value = .null
        for name in ["key", "k", "name", "Name", "K", "Key"] {
          if let candidate = entry[name], candidate.isTruthy || name == "key" && candidate == .false {
            key = candidate
            break
          }
        }
        let value = entry["value"] ?? entry["v"] ?? entry["Value"] ?? entry["V"] ?? .null
        switch key {
        case .string(let text): object[text] = value
        case .number, .bool: object[JSONWriter.compact(key)] = value
        case .null: object["null"] = value
        default: throw JQError("Cannot use \(describe(key)) as object key", at: range)
        }
      }
      return .object(object)
    }
    t["first/1"] = { interpreter, arguments, input, env, _, emit in
      let token = interpreter.freshID()
      do {
        try interpreter.evaluate(arguments[0], input, env) { value in
          try emit(value)
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
    }
    t["last/1"] = { interpreter, arguments, input, env, _, emit in
      var last: Value?
      try interpreter.evaluate(arguments[0], input, env) { last = $0 }
      if let last { try emit(last) }
    }
    t["limit/2"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { countValue in
        guard let count = countValue.doubleValue else { throw JQError("Invalid limit: not a number", at: range) }
        if count < 0 { throw JQError("limit doesn't support negative count", at: range) }
        guard count > 0 else { return }
        var seen = 0.0
        let token = interpreter.freshID()
        do {
          try interpreter.evaluate(arguments[1], input, env) { value in
            seen += 1
            try emit(value)
            if seen >= count { throw StopSignal(token: token) }
          }
        } catch let stop as StopSignal where stop.token == token {}
      }
    }
  }

  private static func group8(_ t: inout Registry) {
    t["isempty/1"] = { interpreter, arguments, input, env, _, emit in
      let token = interpreter.freshID()
      var empty = true
      do {
        try interpreter.evaluate(arguments[0], input, env) { _ in
          empty = false
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
      try emit(.bool(empty))
    }
    // jq's `def repeat(f): def _repeat: f, _repeat; _repeat;` — f on the same input, forever.
    t["repeat/1"] = { interpreter, arguments, input, env, _, emit in
      while true { try interpreter.evaluate(arguments[0], input, env, emit) }
    }
    t["recurse/0"] = { interpreter, _, input, _, _, emit in try interpreter.recurse(input, emit) }
    // Depth first, parents first, on the heap: a chain of a million steps needs no stack.
    t["recurse/1"] = { interpreter, arguments, input, env, _, emit in
      func walk(_ start: Value) throws {
        var pending: [Value] = [start]
        while let value = pending.popLast() {
          try emit(value)
          var children: [Value] = []
          do {
            try interpreter.evaluate(arguments[0], value, env) { children.append($0) }
          } catch let error as JQError {
            // The children before the error come out first, as jq's lazy recursion has it.
            for child in children { try walk(child) }
            throw error
          }
          pending.append(contentsOf: children.reversed())
        }
      }
      try walk(input)
    }
    t["env/0"] = { interpreter, _, _, _, _, emit in try emit(interpreter.environmentObject) }
    t.unary("builtins/0") { _, _ in
      .array(
        (Array(table.keys) + Array(Prelude.definitions.keys)).filter { !$0.hasPrefix("_") }.sorted().map(Value.string))
    }
    t.unary("input_line_number/0") { _, _ in .number(0) }
    t["debug/0"] = { interpreter, _, input, _, _, emit in
      interpreter.debugOutput("[\"DEBUG:\",\(JSONWriter.compact(input))]")
      try emit(input)
    }
    t["stderr/0"] = { interpreter, _, input, _, _, emit in
      interpreter.debugOutput(JSONWriter.compact(input))
      try emit(input)
    }
  }

  private static func group9(_ t: inout Registry) {
    t["ltrimstr/1"] = binary { input, prefix, range in
      guard case .string(let text) = input, case .string(let p) = prefix else {
        throw JQError("startswith() requires string inputs", at: range)
      }
      guard text.utf8.starts(with: p.utf8) else { return input }
      return .string(String(decoding: text.utf8.dropFirst(p.utf8.count), as: UTF8.self))
    }
    t["rtrimstr/1"] = binary { input, suffix, range in
      guard case .string(let text) = input, case .string(let s) = suffix else {
        throw JQError("endswith() requires string inputs", at: range)
      }
      guard text.utf8.count >= s.utf8.count, text.utf8.reversed().starts(with: s.utf8.reversed()) else { return input }
      return .string(String(decoding: text.utf8.dropLast(s.utf8.count), as: UTF8.self))
    }
    t["startswith/1"] = binary { input, prefix, range in
      guard case .string(let text) = input, case .string(let p) = prefix else {
        throw JQError("startswith() requires string inputs", at: range)
      }
      return .bool(text.utf8.starts(with: p.utf8))
    }
    t["endswith/1"] = binary { input, suffix, range in
      guard case .string(let text) = input, case .string(let s) = suffix else {
        throw JQError("endswith() requires string inputs", at: range)
      }
      return .bool(text.utf8.reversed().starts(with: s.utf8.reversed()))
    }
    for (name, leading, trailing) in [("trim", true, true), ("ltrim", true, false), ("rtrim", false, true)] {
      t.unary("\(name)/0") { input, range in
        guard case .string(let text) = input else { throw JQError("trim input must be a string", at: range) }
        var scalars = Substring(text).unicodeScalars[...]
        if leading { while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() } }
        if trailing { while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() } }
        return .string(String(String.UnicodeScalarView(scalars)))
      }
    }
  }

  private static func group10(_ t: inout Registry) {
    t.unary("ascii_downcase/0") { input, range in
      let text = try string(input, "cannot be lowercased", range)
      return .string(String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self))
    }
    t.unary("ascii_upcase/0") { input, range in
      let text = try string(input, "cannot be uppercased", range)
      return .string(String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }, as: UTF8.self))
    }
    t.unary("explode/0") { input, range in
      .array(try string(input, "cannot be exploded", range).unicodeScalars.map { .number(Int($0.value)) })
    }
    t.unary("implode/0") { input, range in
      guard case .array(let codes) = input else { throw JQError("Implode input must be an array", at: range) }
      var view = String.UnicodeScalarView()
      for code in codes {
        guard let number = code.doubleValue else { throw JQError("Unicode codepoint must be numeric", at: range) }
        view.append(UnicodeScalar(UInt32(exactly: number.rounded(.down)) ?? 0xFFFD) ?? "\u{FFFD}")
      }
      return .string(String(view))
    }
    t["split/1"] = binary { input, separator, range in
      guard case .string(let text) = input, case .string(let sep) = separator else {
        throw JQError("split input and separator must be strings", at: range)
      }
      return .array(Interpreter.split(text, by: sep).map(Value.string))
    }
    t["join/1"] = binary { input, separator, range in
      guard case .string(let sep) = separator else { throw JQError("join separator must be a string", at: range) }
      var result = ""
      var first = true
      for item in try array(input, "cannot be joined", range) {
        if !first { result += sep }
        first = false
        switch item {
        case .null: break
        case .string(let s): result += s
        case .number, .bool: result += JSONWriter.compact(item)
        default: throw JQError("\(describe(.string(result))) and \(describe(item)) cannot be added", at: range)
        }
      }
      return .string(result)
    }
  }

  private static func group11(_ t: inout Registry) {
    t.unary("tojson/0") { input, _ in .string(JSONWriter.compact(input)) }
    t["halt/0"] = { _, _, _, _, _, _ in throw HaltSignal(status: 0, message: nil) }
    t["halt_error/1"] = { interpreter, arguments, input, env, _, _ in
      try interpreter.evaluate(arguments[0], input, env) { code in
        throw HaltSignal(status: Int32(code.doubleValue ?? 5), message: input)
      }
    }
    t.unary("now/0") { _, _ in .number(Number(Date().timeIntervalSince1970)) }
    t["test/2"] = RegexBuiltins.test
    t["match/2"] = RegexBuiltins.match
    t["split/2"] = RegexBuiltins.split
    t["sub/3"] = RegexBuiltins.sub
    t["format/1"] = binary { input, name, range in
      .string(try Interpreter.format(try string(name, "is not a valid format", range), input, range))
    }
  }

  static let mathFunctions: [(String, @Sendable (Double) -> Double)] = {
    var list: [(String, @Sendable (Double) -> Double)] = []
    list.append(("floor", { Foundation.floor($0) }))
    list.append(("ceil", { Foundation.ceil($0) }))
    list.append(("round", { $0.rounded(.toNearestOrAwayFromZero) }))
    list.append(("sqrt", { Foundation.sqrt($0) }))
    list.append(("fabs", { Swift.abs($0) }))
    list.append(("log", { Foundation.log($0) }))
    list.append(("log2", { Foundation.log2($0) }))
    list.append(("log10", { Foundation.log10($0) }))
    list.append(("exp", { Foundation.exp($0) }))
    list.append(("exp2", { Foundation.exp2($0) }))
    list.append(("exp10", { Foundation.pow(10, $0) }))
    list.append(("sin", { Foundation.sin($0) }))
    list.append(("cos", { Foundation.cos($0) }))
    list.append(("tan", { Foundation.tan($0) }))
    list.append(("asin", { Foundation.asin($0) }))
    list.append(("acos", { Foundation.acos($0) }))
    list.append(("atan", { Foundation.atan($0) }))
    list.append(("sinh", { Foundation.sinh($0) }))
    list.append(("cosh", { Foundation.cosh($0) }))
    list.append(("tanh", { Foundation.tanh($0) }))
    list.append(("cbrt", { Foundation.cbrt($0) }))
    list.append(("trunc", { Foundation.trunc($0) }))
    list.append(("expm1", { Foundation.expm1($0) }))
    list.append(("log1p", { Foundation.log1p($0) }))
    list.append(("gamma", { Foundation.lgamma($0) }))
    list.append(("lgamma", { Foundation.lgamma($0) }))
    list.append(("tgamma", { Foundation.tgamma($0) }))
    list.append(("rint", { $0.rounded(.toNearestOrEven) }))
    list.append(("nearbyint", { $0.rounded(.toNearestOrEven) }))
    list.append(("logb", { $0 == 0 ? -.infinity : Foundation.floor(Foundation.log2(Swift.abs($0))) }))
    list.append(
      ("significand", { $0 == 0 ? 0 : $0 / Foundation.pow(2, Foundation.floor(Foundation.log2(Swift.abs($0)))) }))
    return list
  }()

  /// A number as `tonumber` reads it: an optional sign, digits with an optional point (or a
  /// leading point), an optional exponent; nothing else, not even spaces.
  static func parseNumberText(_ text: String) -> Number? {
    let bytes = Array(text.utf8)
    var index = 0
    func digits() -> Int {
      let start = index
      while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
      return index - start
    }
    if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
    var count = digits()
    if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
      index += 1
      count += digits()
    }
    guard count > 0 else { return nil }
    if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
      index += 1
      if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
      guard digits() > 0 else { return nil }
    }
    guard index == bytes.count, let double = Double(text) else { return nil }
    // Keep the text only when it is itself valid JSON and says more than the double would.
    let isJSON =
      text.first != "+" && !text.hasPrefix(".") && !text.hasPrefix("-.") && !text.contains(".e")
      && !text.hasSuffix(".") && !(text.first == "0" && text.count > 1 && text.dropFirst().first?.isNumber == true)
    let simple = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) && text.count <= 15 && text != "-0"
    return Number(double, literal: isJSON && !simple ? text : nil)
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
      if a.typeName == b.typeName { return a == b }
      // Only the outermost values must be of one type; inside, a mismatch is just "no".
      if depth > 0 { return false }
      throw JQError("\(describe(a)) and \(describe(b)) cannot have their containment checked", at: range)
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

  static func flatten(_ input: Value, depth: Double, _ range: SourceRange) throws -> [Value] {
    var result: [Value] = []
    for item in try array(input, "cannot be flattened", range) {
      if case .array = item, depth > 0 {
        result += try flatten(item, depth: depth - 1, range)
      } else {
        result.append(item)
      }
    }
    return result
  }

  static func positions(_ input: Value, _ wanted: Value, _ range: SourceRange) throws -> Value {
    switch (input, wanted) {
    case (.null, _), (_, .null): return .null
    case (.string(let text), .string(let needle)):
      guard !needle.isEmpty else { return .null }
      let haystack = Array(text.unicodeScalars)
      let pattern = Array(needle.unicodeScalars)
      var found: [Value] = []
      var index = 0
      while index + pattern.count <= haystack.count {
        if haystack[index..<(index + pattern.count)].elementsEqual(pattern) {
          found.append(.number(index))
        }
        index += 1
      }
      return .array(found)
    case (.array(let items), .array(let sub)):
      return .array(Interpreter.indices(of: sub, in: items).map { .number($0) })
    case (.array(let items), _):
      return .array(Interpreter.indices(of: [wanted], in: items).map { .number($0) })
    default:
      throw JQError("Cannot determine indices of \(describe(wanted)) in \(describe(input))", at: range)
    }
  }
}

/// `halt` and `halt_error`: stop the program with an exit status.
public struct HaltSignal: Error, Sendable {
  /// The exit status.
  public let status: Int32
  /// What `halt_error` prints (strings raw, other values as JSON).
  public let message: Value?
}
