/// Evaluates jq expressions with jq's semantics: every expression produces zero or more
/// outputs, delivered one at a time to an `emit` callback (no intermediate arrays).
public final class Interpreter: @unchecked Sendable {
  /// Receives one output.
  public typealias Emit = (Value) throws -> Void

  /// `$ENV` and `env`.
  public var environment: [String: String]
  /// Functions registered by an embedder: `name/arity` → implementation.
  var natives: [String: NativeFunction] = [:]
  var preludeCache: [String: FunctionDefinition] = [:]
  /// Compiled regexes by pattern and flags (bounded; see `RegexBuiltins.compile`).
  var regexCache: [String: Regex<AnyRegexOutput>] = [:]
  private var counter = 0
  /// How deep calls of defined functions are nested now; past ``maxCallDepth`` it is an error.
  var callDepth = 0
  /// The deepest nesting of function calls allowed (a runaway recursion stops here).
  public var maxCallDepth = 100_000
  /// Sink for `debug` and `stderr`.
  public var debugOutput: (String) -> Void = { _ in }
  /// When set, evaluation stops (throwing ``EvaluationInterrupted``) soon after it is: checked
  /// at every function call and every step of `range`, `reduce` and `foreach`.
  public var interruption: Interruption?

  /// An interpreter with the process environment.
  public init(environment: [String: String] = [:]) {
    self.environment = environment
  }

  /// Throws ``EvaluationInterrupted`` when the run was asked to stop.
  @inline(__always) func checkInterrupt() throws {
    if let interruption, interruption.isSet { throw EvaluationInterrupted() }
  }

  func freshID() -> Int {
    counter += 1
    return counter
  }

  /// All outputs of `expr` on `input`, collected (for tests and one-shot use).
  public func evaluateAll(_ expr: Expr, input: Value, environment scope: Environment = .empty) throws -> [Value] {
    var outputs: [Value] = []
    try evaluate(expr, input, scope) { outputs.append($0) }
    return outputs
  }

  // MARK: Evaluation

  /// Calls `emit` with each output of `expr` applied to `input`, in jq's order.
  public func evaluate(_ expr: Expr, _ input: Value, _ env: Environment, _ emit: Emit) throws {
    switch expr {
    case .identity:
      try emit(input)
    case .literal(let value):
      try emit(value)
    case .index(let target, let key, let range):
      if case .identity = target, case .literal(let keyValue) = key {
        try emit(try index(input, keyValue, range))  // the common `.name` fast path
        return
      }
      try evaluate(key, input, env) { keyValue in
        try evaluate(target, input, env) { base in try emit(try index(base, keyValue, range)) }
      }
    case .pipe(let lhs, let rhs):
      try evaluate(lhs, input, env) { try evaluate(rhs, $0, env, emit) }
    case .comma(let lhs, let rhs):
      try evaluate(lhs, input, env, emit)
      try evaluate(rhs, input, env, emit)
    case .object(let entries):
      // Fast path: constant keys, one value each — build in place, no copies.
      var object = JSONObject(capacity: entries.count)
      var simple = true
      for entry in entries {
        guard case .literal(.string(let key)) = entry.key, let value = try singleValue(entry.value, input, env) else {
          simple = false
          break
        }
        object[key] = value
      }
      if simple { return try emit(.object(object)) }
      try buildObject(entries[...], input, env, JSONObject(capacity: entries.count), emit)
    case .array(let inner):
      var elements: [Value] = []
      if let inner { try evaluate(inner, input, env) { elements.append($0) } }
      try emit(.array(elements))
    case .string(let segments, let format):
      try interpolate(segments[...], format: format, input, env, "", emit)
    case .binary(let op, let lhs, let rhs, let range):
      if let right = try single(rhs, input, env), let left = try single(lhs, input, env) {
        try emit(try binary(op, left, right, range))
        return
      }
      try evaluate(rhs, input, env) { right in
        try evaluate(lhs, input, env) { left in try emit(try binary(op, left, right, range)) }
      }
    case .and(let lhs, let rhs):
      try evaluate(lhs, input, env) { left in
        if !left.isTruthy { return try emit(.false) }
        try evaluate(rhs, input, env) { try emit(.bool($0.isTruthy)) }
      }
    case .or(let lhs, let rhs):
      try evaluate(lhs, input, env) { left in
        if left.isTruthy { return try emit(.true) }
        try evaluate(rhs, input, env) { try emit(.bool($0.isTruthy)) }
      }
    case .alternative(let lhs, let rhs):
      var any = false
      do {
        try evaluate(lhs, input, env) { value in
          guard value.isTruthy else { return }
          any = true
          do { try emit(value) } catch { throw Downstream(error: error) }
        }
      } catch let downstream as Downstream {
        throw downstream.error
      } catch is JQError {
        // An error on the left ends its outputs, as in jq.
      }
      if !any { try evaluate(rhs, input, env, emit) }
    case .negate(let inner, let range):
      try evaluate(inner, input, env) { value in
        guard case .number(let number) = value else {
          throw JQError("\(describe(value)) cannot be negated", at: range)
        }
        try emit(.number(Number(-number.double)))
      }
    case .ifThen(let condition, let then, let otherwise):
      try evaluate(condition, input, env) { test in
        if test.isTruthy {
          try evaluate(then, input, env, emit)
        } else if let otherwise {
          try evaluate(otherwise, input, env, emit)
        } else {
          try emit(input)
        }
      }
    case .tryCatch(let body, let handler):
      try evaluateTry(body, handler, input, env, emit)
    case .iterate(let target, let range):
      try evaluate(target, input, env) { try iterate($0, range, emit) }
    case .slice(let target, let from, let to, let range):
      try evaluateOptional(to, input, env) { upper in
        try evaluateOptional(from, input, env) { lower in
          try evaluate(target, input, env) { try emit(try slice($0, lower, upper, range)) }
        }
      }
    case .recurseAll:
      try recurse(input, emit)
    case .variable(let name, let range):
      if let value = env.lookupVariable(name) { return try emit(value) }
      if name == "ENV" { return try emit(environmentObject) }
      throw JQError("$\(name) is not defined", at: range)
    case .call(let name, let arguments, let range):
      try call(name, arguments, range, input, env, emit)
    case .functionDefinition(let definition, let rest):
      try evaluate(rest, input, Environment(parent: env, binding: .function(definition.key, definition)), emit)
    case .bind(let source, let patterns, let body):
      try evaluate(source, input, env) { value in
        try bindPatterns(patterns, value, input, env) { scope in try evaluate(body, input, scope, emit) }
      }
    case .reduce(let source, let pattern, let initial, let update):
      try evaluate(initial, input, env) { start in
        var accumulator: Value? = start
        try evaluate(source, input, env) { item in
          try checkInterrupt()
          try bind(pattern, item, input, env) { scope in
            var last: Value?
            if let current = accumulator { try evaluate(update, current, scope) { last = $0 } }
            accumulator = last
          }
        }
        if let accumulator { try emit(accumulator) }
      }
    case .foreach(let source, let pattern, let initial, let update, let extract):
      try evaluate(initial, input, env) { start in
        var state = start
        try evaluate(source, input, env) { item in
          try checkInterrupt()
          try bind(pattern, item, input, env) { scope in
            try evaluate(update, state, scope) { next in
              state = next
              if let extract { try evaluate(extract, next, scope, emit) } else { try emit(next) }
            }
          }
        }
      }
    case .label(let name, let body):
      let id = freshID()
      do {
        try evaluate(body, input, Environment(parent: env, binding: .label(name, id)), emit)
      } catch let signal as BreakSignal where signal.label == id {
        return
      }
    case .breakLabel(let name, let range):
      guard let id = env.lookupLabel(name) else { throw JQError("$*label-\(name) is not defined", at: range) }
      throw BreakSignal(label: id)
    case .format(let name, let range):
      try emit(.string(try Interpreter.format(name, input, range)))
    case .assign(let op, let lhs, let rhs, let range):
      try assign(op, lhs, rhs, range, input, env, emit)
    }
  }

  /// The only output of `expr` when it is a constant or a plain path of fields; else nil.
  @inline(__always) private func single(_ expr: Expr, _ input: Value, _ env: Environment) throws -> Value? {
    switch expr {
    case .literal(let value): return value
    case .identity: return input
    case .index(.identity, .literal(let key), let range): return try index(input, key, range)
    case .variable(let name, _): return env.lookupVariable(name)
    default: return nil
    }
  }

  /// The only output of an expression known to have exactly one (paths of fields, constants,
  /// variables, and arithmetic on those); nil when it may have another number of outputs.
  private func singleValue(_ expr: Expr, _ input: Value, _ env: Environment) throws -> Value? {
    switch expr {
    case .binary(let op, let lhs, let rhs, let range):
      // jq evaluates the right operand first (it matters when the right side is empty).
      guard let right = try singleValue(rhs, input, env), let left = try singleValue(lhs, input, env) else { return nil }
      return try binary(op, left, right, range)
    case .index(let target, .literal(let key), let range):
      guard let base = try singleValue(target, input, env) else { return nil }
      return try index(base, key, range)
    case .pipe(let lhs, let rhs):
      guard let left = try singleValue(lhs, input, env) else { return nil }
      return try singleValue(rhs, left, env)
    default:
      return try single(expr, input, env)
    }
  }

  private func evaluateOptional(_ expr: Expr?, _ input: Value, _ env: Environment, _ body: (Value) throws -> Void) throws {
    if let expr { try evaluate(expr, input, env, body) } else { try body(.null) }
  }

  private func evaluateTry(_ body: Expr, _ handler: Expr?, _ input: Value, _ env: Environment, _ emit: Emit) throws {
    // Errors raised by `emit` (downstream) must pass through untouched: only the body's own.
    do {
      try evaluate(body, input, env) { value in
        do { try emit(value) } catch { throw Downstream(error: error) }
      }
    } catch let downstream as Downstream {
      throw downstream.error
    } catch let error as JQError {
      if let handler { try evaluate(handler, error.value, env, emit) }
    }
  }

  private func buildObject(
    _ entries: ArraySlice<ObjectEntry>, _ input: Value, _ env: Environment, _ partial: JSONObject, _ emit: Emit
  ) throws {
    guard let entry = entries.first else { return try emit(.object(partial)) }
    let rest = entries.dropFirst()
    if case .literal(.string(let key)) = entry.key, let value = try single(entry.value, input, env) {
      var next = partial
      next[key] = value
      return try buildObject(rest, input, env, next, emit)
    }
    try evaluate(entry.key, input, env) { keyValue in
      guard case .string(let key) = keyValue else {
        throw JQError("Cannot use \(describe(keyValue)) as object key")
      }
      try evaluate(entry.value, input, env) { value in
        var next = partial
        next[key] = value
        try buildObject(rest, input, env, next, emit)
      }
    }
  }

  private func interpolate(
    _ segments: ArraySlice<StringSegment>, format: String?, _ input: Value, _ env: Environment, _ prefix: String,
    _ emit: Emit
  ) throws {
    guard let segment = segments.first else { return try emit(.string(prefix)) }
    switch segment {
    case .text(let text):
      try interpolate(segments.dropFirst(), format: format, input, env, prefix + text, emit)
    case .interpolation(let expr):
      try evaluate(expr, input, env) { value in
        let text: String
        if let format {
          text = try Interpreter.format(format, value, nil)
        } else if case .string(let string) = value {
          text = string
        } else {
          text = JSONWriter.compact(value)
        }
        try interpolate(segments.dropFirst(), format: format, input, env, prefix + text, emit)
      }
    }
  }

  var environmentObject: Value {
    var object = JSONObject(capacity: environment.count)
    for (key, value) in environment.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
    return .object(object)
  }

  // MARK: Values

  func index(_ base: Value, _ key: Value, _ range: SourceRange?) throws -> Value {
    switch (base, key) {
    case (.object(let object), .string(let name)):
      return object[name] ?? .null
    case (.array(let array), .number(let number)):
      guard !number.double.isNaN else { return .null }
      var position = Int(exactly: number.double.rounded(.down)) ?? (number.double < 0 ? Int.min / 2 : Int.max / 2)
      if position < 0 { position += array.count }
      return position >= 0 && position < array.count ? array[position] : .null
    case (.null, .string), (.null, .number), (.null, .null):
      return .null
    case (.null, .object):
      return .null
    case (.array, .object(let bounds)):
      return try slice(base, bounds["start"] ?? .null, bounds["end"] ?? .null, range)
    case (.array(let array), .array(let wanted)):
      return .array(Interpreter.indices(of: wanted, in: array).map { .number($0) })
    default:
      throw JQError("Cannot index \(base.typeName) with \(key.typeName) (\(errorText(key)))", at: range)
    }
  }

  static func indices(of wanted: [Value], in array: [Value]) -> [Int] {
    guard !wanted.isEmpty, wanted.count <= array.count else { return [] }
    var found: [Int] = []
    for start in 0...(array.count - wanted.count) where zip(array[start...], wanted).allSatisfy({ $0 == $1 }) {
      found.append(start)
    }
    return found
  }

  func slice(_ base: Value, _ lower: Value, _ upper: Value, _ range: SourceRange?) throws -> Value {
    func bounds(_ count: Int) throws -> (Int, Int) {
      func resolve(_ value: Value, _ fallback: Int, roundUp: Bool) throws -> Int {
        switch value {
        case .null: return fallback
        case .number(let number) where number.double.isNaN: return fallback
        case .number(let number):
          let double = roundUp ? number.double.rounded(.up) : number.double.rounded(.down)
          var position = double.isNaN ? 0 : Int(max(-1e15, min(1e15, double)))
          if position < 0 { position += count }
          return max(0, min(count, position))
        default: throw JQError("Start and end indices of an array slice must be numbers", at: range)
        }
      }
      let start = try resolve(lower, 0, roundUp: false)
      let end = try resolve(upper, count, roundUp: true)
      return (start, max(start, end))
    }
    switch base {
    case .null: return .null
    case .array(let array):
      let (start, end) = try bounds(array.count)
      return .array(Array(array[start..<end]))
    case .string(let string):
      let scalars = Array(string.unicodeScalars)
      let (start, end) = try bounds(scalars.count)
      var result = String.UnicodeScalarView()
      result.append(contentsOf: scalars[start..<end])
      return .string(String(result))
    default:
      throw JQError("Cannot index \(base.typeName) with object", at: range)
    }
  }

  func iterate(_ value: Value, _ range: SourceRange?, _ emit: Emit) throws {
    switch value {
    case .array(let array): for element in array { try emit(element) }
    case .object(let object): for element in object.values { try emit(element) }
    default: throw JQError("Cannot iterate over \(describe(value))", at: range)
    }
  }

  func recurse(_ value: Value, _ emit: Emit) throws {
    try emit(value)
    switch value {
    case .array(let array): for element in array { try recurse(element, emit) }
    case .object(let object): for element in object.values { try recurse(element, emit) }
    default: break
    }
  }
}

/// Wraps an error thrown downstream of a `try` or `//`, so that they do not catch it.
struct Downstream: Error {
  let error: any Error
}
