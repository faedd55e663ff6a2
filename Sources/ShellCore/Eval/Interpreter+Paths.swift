/// Path mode: evaluating an expression as a set of locations in the input (`path(f)`,
/// assignment, `del`). A nil path marks a value that is not a location, which is an error as
/// soon as something tries to use it as one, with jq's messages.
extension Interpreter {
  typealias EmitPath = (_ path: [Value]?, _ value: Value) throws -> Void

  func evaluatePaths(_ expr: Expr, _ input: Value, _ path: [Value]?, _ env: Environment, _ emit: EmitPath) throws {
    switch expr {
    case .identity:
      try emit(path, input)
    case .recurseAll:
      try recursePaths(input, path, emit)
    case .index(let target, let key, let range):
      try evaluate(key, input, env) { keyValue in
        try evaluatePaths(target, input, path, env) { basePath, base in
          guard let basePath else {
            throw JQError(
              "Invalid path expression near attempt to access element \(errorText(keyValue)) of \(errorText(base))", at: range)
          }
          let value: Value
          if case .null = base { value = .null } else { value = try index(base, keyValue, range) }
          try emit(basePath + [keyValue], value)
        }
      }
    case .slice(let target, let from, let to, let range):
      try evaluatePathOptional(to, input, env) { upper in
        try evaluatePathOptional(from, input, env) { lower in
          try evaluatePaths(target, input, path, env) { basePath, base in
            guard let basePath else {
              throw JQError("Invalid path expression near attempt to access element of \(errorText(base))", at: range)
            }
            let key = Value.object(JSONObject([("start", lower), ("end", upper)]))
            try emit(basePath + [key], try slice(base, lower, upper, range))
          }
        }
      }
    case .iterate(let target, let range):
      try evaluatePaths(target, input, path, env) { basePath, base in
        guard let basePath else {
          throw JQError("Invalid path expression near attempt to iterate through \(errorText(base))", at: range)
        }
        switch base {
        case .array(let array):
          for (position, element) in array.enumerated() { try emit(basePath + [.number(position)], element) }
        case .object(let object):
          for (key, element) in object { try emit(basePath + [.string(key)], element) }
        case .null:
          break
        default:
          throw JQError("Cannot iterate over \(describe(base))", at: range)
        }
      }
    case .pipe(let lhs, let rhs):
      try evaluatePaths(lhs, input, path, env) { leftPath, value in try evaluatePaths(rhs, value, leftPath, env, emit) }
    case .comma(let lhs, let rhs):
      try evaluatePaths(lhs, input, path, env, emit)
      try evaluatePaths(rhs, input, path, env, emit)
    case .ifThen(let condition, let then, let otherwise):
      try evaluate(condition, input, env) { test in
        if test.isTruthy {
          try evaluatePaths(then, input, path, env, emit)
        } else if let otherwise {
          try evaluatePaths(otherwise, input, path, env, emit)
        } else {
          try emit(path, input)
        }
      }
    case .alternative(let lhs, let rhs):
      var any = false
      do {
        try evaluatePaths(lhs, input, path, env) { leftPath, value in
          guard value.isTruthy else { return }
          any = true
          do { try emit(leftPath, value) } catch { throw Downstream(error: error) }
        }
      } catch let downstream as Downstream {
        throw downstream.error
      } catch is JQError {}
      if !any { try evaluatePaths(rhs, input, path, env, emit) }
    case .tryCatch(let body, let handler):
      do {
        try evaluatePaths(body, input, path, env) { p, v in
          do { try emit(p, v) } catch { throw Downstream(error: error) }
        }
      } catch let downstream as Downstream {
        throw downstream.error
      } catch let error as JQError {
        if let handler { try evaluate(handler, error.value, env) { try emit(nil, $0) } }
      }
    case .call(let name, let arguments, let range):
      try callPaths(name, arguments, range, input, path, env, emit)
    case .functionDefinition(let definition, let rest):
      try evaluatePaths(rest, input, path, Environment(parent: env, binding: .function(definition.key, definition)), emit)
    case .bind(let source, let patterns, let body):
      try evaluate(source, input, env) { value in
        try bindPatterns(patterns, value, input, env) { scope in try evaluatePaths(body, input, path, scope, emit) }
      }
    case .label(let name, let body):
      let id = freshID()
      do {
        try evaluatePaths(body, input, path, Environment(parent: env, binding: .label(name, id)), emit)
      } catch let signal as BreakSignal where signal.label == id {}
    case .reduce(let source, let pattern, let initial, let update):
      try evaluatePaths(initial, input, path, env) { startPath, start in
        var accumulator: ([Value]?, Value)? = (startPath, start)
        try evaluate(source, input, env) { item in
          try bind(pattern, item, input, env) { scope in
            var last: ([Value]?, Value)?
            if let (currentPath, current) = accumulator {
              try evaluatePaths(update, current, currentPath, scope) { last = ($0, $1) }
            }
            accumulator = last
          }
        }
        if let (finalPath, final) = accumulator { try emit(finalPath, final) }
      }
    case .literal(.null):
      try emit(path, input)  // `path(null)`-style no-ops keep the location (jq: getpath([]))
    default:
      try evaluate(expr, input, env) { try emit(nil, $0) }
    }
  }

  private func evaluatePathOptional(_ expr: Expr?, _ input: Value, _ env: Environment, _ body: (Value) throws -> Void) throws {
    if let expr { try evaluate(expr, input, env, body) } else { try body(.null) }
  }

  private func recursePaths(_ value: Value, _ path: [Value]?, _ emit: EmitPath) throws {
    try emit(path, value)
    guard let path else { return }
    switch value {
    case .array(let array):
      for (position, element) in array.enumerated() { try recursePaths(element, path + [.number(position)], emit) }
    case .object(let object):
      for (key, element) in object { try recursePaths(element, path + [.string(key)], emit) }
    default: break
    }
  }

  private func callPaths(
    _ name: String, _ arguments: [Expr], _ range: SourceRange, _ input: Value, _ path: [Value]?, _ env: Environment,
    _ emit: EmitPath
  ) throws {
    let key = "\(name)/\(arguments.count)"
    func run(_ definition: FunctionDefinition, _ scope: Environment) throws {
      var body = Environment(parent: scope, binding: .function(definition.key, definition))
      if case .function(let bound, _)? = scope.binding, bound == definition.key { body = scope }
      var values: [(String, Expr)] = []
      for (parameter, argument) in zip(definition.parameters, arguments) {
        if parameter.hasPrefix("$") {
          values.append((String(parameter.dropFirst()), argument))
        } else {
          body = Environment(parent: body, binding: .closure("\(parameter)/0", argument, env))
        }
      }
      func loop(_ index: Int, _ scope: Environment) throws {
        guard index < values.count else { return try evaluatePaths(definition.body, input, path, scope, emit) }
        try evaluate(values[index].1, input, env) { value in
          let bound = Environment(parent: scope, binding: .value(values[index].0, value))
          try loop(index + 1, Environment(parent: bound, binding: .closure("\(values[index].0)/0", .literal(value), .empty)))
        }
      }
      try loop(0, body)
    }
    if let callable = env.lookupFunction(key) {
      switch callable {
      case .closure(let expr, let scope): return try evaluatePaths(expr, input, path, scope, emit)
      case .function(let definition, let scope): return try run(definition, scope)
      }
    }
    switch key {
    case "empty/0": return
    case "error/0", "error/1", "not/0": break
    case "getpath/1":
      return try evaluate(arguments[0], input, env) { wanted in
        guard case .array(let steps) = wanted else { throw JQError("Path must be specified as an array", at: range) }
        let value = (try? getpath(input, steps)) ?? .null
        try emit(path.map { $0 + steps }, value)
      }
    case "first/1", "last/1", "limit/2", "recurse/0", "recurse/1", "select/1", "paths/0":
      break
    default:
      if natives[key] == nil, Builtins.table[key] == nil, let definition = preludeDefinition(key) {
        return try run(definition, .empty)
      }
    }
    switch key {
    case "first/1":
      let token = freshID()
      do {
        try evaluatePaths(arguments[0], input, path, env) { p, v in
          try emit(p, v)
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
    case "last/1":
      var last: ([Value]?, Value)?
      try evaluatePaths(arguments[0], input, path, env) { last = ($0, $1) }
      if let (p, v) = last { try emit(p, v) }
    case "limit/2":
      try evaluate(arguments[0], input, env) { countValue in
        let count = Int(countValue.doubleValue ?? 0)
        guard count > 0 else { return }
        var seen = 0
        let token = freshID()
        do {
          try evaluatePaths(arguments[1], input, path, env) { p, v in
            seen += 1
            try emit(p, v)
            if seen >= count { throw StopSignal(token: token) }
          }
        } catch let stop as StopSignal where stop.token == token {}
      }
    case "recurse/0":
      try recursePaths(input, path, emit)
    case "recurse/1":
      func walk(_ value: Value, _ at: [Value]?) throws {
        try emit(at, value)
        try evaluatePaths(arguments[0], value, at, env) { p, v in try walk(v, p) }
      }
      try walk(input, path)
    case "select/1":
      try evaluate(arguments[0], input, env) { if $0.isTruthy { try emit(path, input) } }
    default:
      try call(name, arguments, range, input, env) { try emit(nil, $0) }
    }
  }

  /// Every location `expr` denotes in `input`; an error if it yields something that is not one.
  func paths(_ expr: Expr, _ input: Value, _ env: Environment, _ body: ([Value]) throws -> Void) throws {
    try evaluatePaths(expr, input, [], env) { path, value in
      guard let path else { throw JQError("Invalid path expression with result \(errorText(value))") }
      try body(path)
    }
  }

  // MARK: Assignment

  func assign(_ op: String, _ lhs: Expr, _ rhs: Expr, _ range: SourceRange, _ input: Value, _ env: Environment, _ emit: Emit)
    throws
  {
    var locations: [[Value]] = []
    try paths(lhs, input, env) { locations.append($0) }
    switch op {
    case "|=":
      // jq 1.8: paths whose update is empty are deleted together at the end, so deleting
      // one does not shift the others.
      var result = input
      var deletions: [[Value]] = []
      for location in locations {
        var replacement: Value?
        let token = freshID()
        do {
          try evaluate(rhs, try getpath(result, location), env) { value in
            replacement = value
            throw StopSignal(token: token)
          }
        } catch let stop as StopSignal where stop.token == token {}
        if let replacement {
          result = try setpath(result, location[...], replacement)
        } else {
          deletions.append(location)
        }
      }
      try emit(deletions.isEmpty ? result : try deletePaths(result, deletions))
    case "=":
      try evaluate(rhs, input, env) { value in
        var result = input
        for location in locations { result = try setpath(result, location[...], value) }
        try emit(result)
      }
    default:
      try evaluate(rhs, input, env) { operand in
        var result = input
        for location in locations {
          let old = try getpath(result, location)
          let new: Value
          if op == "//=" {
            new = old.isTruthy ? old : operand
          } else {
            new = try binary(BinaryOperator(rawValue: String(op.dropLast()))!, old, operand, range)
          }
          result = try setpath(result, location[...], new)
        }
        try emit(result)
      }
    }
  }

  func getpath(_ value: Value, _ path: [Value]) throws -> Value {
    var current = value
    for step in path {
      if case .null = current { return .null }
      current = try index(current, step, nil)
    }
    return current
  }

  func setpath(_ value: Value, _ path: ArraySlice<Value>, _ newValue: Value) throws -> Value {
    guard let step = path.first else { return newValue }
    let rest = path.dropFirst()
    switch (value, step) {
    case (.object(var object), .string(let key)):
      object[key] = try setpath(object[key] ?? .null, rest, newValue)
      return .object(object)
    case (.null, .string(let key)):
      return .object(JSONObject([(key, try setpath(.null, rest, newValue))]))
    case (.array, .number), (.null, .number):
      var array: [Value]
      if case .array(let existing) = value { array = existing } else { array = [] }
      guard case .number(let number) = step else { fatalError() }
      if number.double.isNaN { throw JQError("Cannot set array element at NaN index") }
      var position = Int(max(-1e9, min(1e9, number.double.rounded(.down))))
      if position < 0 {
        position += array.count
        if position < 0 { throw JQError("Out of bounds negative array index") }
      }
      if position >= array.count {
        if position > 100_000_000 { throw JQError("Array index too large") }
        array += Array(repeating: .null, count: position - array.count + 1)
      }
      array[position] = try setpath(array[position], rest, newValue)
      return .array(array)
    case (.array, .object(let bounds)), (.null, .object(let bounds)):
      var existing: [Value] = []
      if case .array(let items) = value { existing = items }
      let current = try slice(.array(existing), bounds["start"] ?? .null, bounds["end"] ?? .null, nil)
      let replacement = try setpath(current, rest, newValue)
      guard case .array(let items) = replacement else {
        throw JQError("A slice of an array can only be assigned another array")
      }
      let (start, end) = sliceBounds(existing.count, bounds["start"] ?? .null, bounds["end"] ?? .null)
      existing.replaceSubrange(start..<end, with: items)
      return .array(existing)
    case (.string, .object):
      throw JQError("Cannot update string slices")
    case (.array, .array):
      throw JQError("Cannot update field at array index of array")
    default:
      _ = try index(value, step, nil)  // produces jq's error for the mismatch
      throw JQError("Cannot index \(value.typeName) with \(step.typeName)")
    }
  }

  func sliceBounds(_ count: Int, _ lower: Value, _ upper: Value) -> (Int, Int) {
    func resolve(_ value: Value, _ fallback: Int, roundUp: Bool) -> Int {
      guard case .number(let number) = value else { return fallback }
      let double = roundUp ? number.double.rounded(.up) : number.double.rounded(.down)
      var position = double.isNaN ? 0 : Int(max(-1e15, min(1e15, double)))
      if position < 0 { position += count }
      return max(0, min(count, position))
    }
    let start = resolve(lower, 0, roundUp: false)
    return (start, max(start, resolve(upper, count, roundUp: true)))
  }

  /// Deletes every path; later (deeper, higher-index) paths first so earlier ones stay valid.
  func deletePaths(_ value: Value, _ paths: [[Value]]) throws -> Value {
    var result = value
    // Resolve negative indices and slices against the value first, so sorting puts every
    // path after the ones it would shift.
    let resolved = paths.compactMap { canonical(value, $0[...]) }
    for path in resolved.sorted(by: { Value.compare(.array($0), .array($1)) > 0 }) {
      result = try deletePath(result, path[...])
    }
    return result
  }

  /// `path` with negative array indices made positive; nil when it points before an array.
  private func canonical(_ value: Value, _ path: ArraySlice<Value>) -> [Value]? {
    guard let step = path.first else { return [] }
    let rest = path.dropFirst()
    switch (value, step) {
    case (.array(let array), .number(let number)):
      var position = Int(max(-1e9, min(1e9, number.double.rounded(.down))))
      if position < 0 { position += array.count }
      if position < 0 { return nil }
      let child = position < array.count ? array[position] : .null
      return canonical(child, rest).map { [.number(position)] + $0 }
    case (.array(let array), .object(let bounds)):
      let (start, end) = sliceBounds(array.count, bounds["start"] ?? .null, bounds["end"] ?? .null)
      let key = Value.object(JSONObject([("start", .number(start)), ("end", .number(end))]))
      return canonical(.array(Array(array[start..<end])), rest).map { [key] + $0 }
    case (.object(let object), .string(let key)):
      return canonical(object[key] ?? .null, rest).map { [step] + $0 }
    default:
      return [step] + rest
    }
  }

  private func deletePath(_ value: Value, _ path: ArraySlice<Value>) throws -> Value {
    guard let step = path.first else { return .null }
    let rest = path.dropFirst()
    switch (value, step) {
    case (.null, _): return .null
    case (.object(var object), .string(let key)):
      guard let child = object[key] else { return value }
      if rest.isEmpty { object[key] = nil } else { object[key] = try deletePath(child, rest) }
      return .object(object)
    case (.array(var array), .number(let number)):
      var position = Int(max(-1e9, min(1e9, number.double.rounded(.down))))
      if position < 0 { position += array.count }
      guard position >= 0 && position < array.count else {
        if position < 0 { throw JQError("Out of bounds negative array index") }
        return value
      }
      if rest.isEmpty { array.remove(at: position) } else { array[position] = try deletePath(array[position], rest) }
      return .array(array)
    case (.array(var array), .object(let bounds)):
      let (start, end) = sliceBounds(array.count, bounds["start"] ?? .null, bounds["end"] ?? .null)
      if rest.isEmpty {
        array.removeSubrange(start..<end)
        return .array(array)
      }
      let inner = try deletePath(.array(Array(array[start..<end])), rest)
      guard case .array(let items) = inner else { return value }
      array.replaceSubrange(start..<end, with: items)
      return .array(array)
    default:
      _ = try index(value, step, nil)
      throw JQError("Cannot delete field at \(step.typeName) index of \(value.typeName)")
    }
  }
}
