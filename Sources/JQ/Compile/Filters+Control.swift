/// `a | b`.
final class PipeFilter: Filter {
  let lhs: Filter
  let rhs: Filter
  init(_ lhs: Filter, _ rhs: Filter) {
    self.lhs = lhs
    self.rhs = rhs
    super.init(single: lhs.isSingle && rhs.isSingle)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if lhs.isSingle { return try rhs.run(try lhs.one(input, frame, c), frame, c, emit) }
    try lhs.run(input, frame, c) { try self.rhs.run($0, frame, c, emit) }
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    try rhs.one(try lhs.one(input, frame, c), frame, c)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try lhs.paths(input, path, frame, c) { leftPath, value in try self.rhs.paths(value, leftPath, frame, c, emit) }
  }
}

/// `a, b`.
final class CommaFilter: Filter {
  let lhs: Filter
  let rhs: Filter
  init(_ lhs: Filter, _ rhs: Filter) {
    self.lhs = lhs
    self.rhs = rhs
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try lhs.run(input, frame, c, emit)
    try rhs.run(input, frame, c, emit)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try lhs.paths(input, path, frame, c, emit)
    try rhs.paths(input, path, frame, c, emit)
  }
}

/// `[e]`.
final class ArrayFilter: Filter {
  let inner: Filter?
  init(_ inner: Filter?) {
    self.inner = inner
    super.init(single: true)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    guard let inner else { return .array([]) }
    if inner.isSingle { return .array([try inner.one(input, frame, c)]) }
    var elements: [Value] = []
    try inner.run(input, frame, c) { elements.append($0) }
    return .array(elements)
  }
}

/// `{k: v, …}`. With constant keys and one value each (the usual row) it is built in place.
final class ObjectFilter: Filter {
  struct Entry {
    let key: Filter
    let constantKey: String?
    let value: Filter
  }
  let entries: [Entry]
  /// Every key is a constant and no two are the same: members are appended without a search.
  let distinctConstantKeys: Bool
  init(_ entries: [Entry]) {
    self.entries = entries
    let constants = entries.compactMap(\.constantKey)
    distinctConstantKeys =
      constants.count == entries.count && Set(constants.map { Array($0.utf8) }).count == constants.count
    super.init(single: entries.allSatisfy { $0.constantKey != nil && $0.value.isSingle })
  }

  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    var object = JSONObject(capacity: entries.count)
    if distinctConstantKeys {
      for entry in entries { object.appendUnchecked(entry.constantKey!, try entry.value.one(input, frame, c)) }
      return .object(object)
    }
    for entry in entries {
      let value = try entry.value.one(input, frame, c)
      object[entry.constantKey!] = value
    }
    return .object(object)
  }

  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if isSingle { return try emit(try one(input, frame, c)) }
    try build(0, input, frame, c, JSONObject(capacity: entries.count), emit)
  }

  private func build(
    _ index: Int, _ input: Value, _ frame: Frame, _ c: Interpreter, _ partial: JSONObject, _ emit: Interpreter.Emit
  ) throws {
    guard index < entries.count else { return try emit(.object(partial)) }
    let entry = entries[index]
    try entry.key.run(input, frame, c) { keyValue in
      guard case .string(let key) = keyValue else {
        throw JQError("Cannot use \(describe(keyValue)) as object key")
      }
      try entry.value.run(input, frame, c) { value in
        var next = partial
        next[key] = value
        try self.build(index + 1, input, frame, c, next, emit)
      }
    }
  }
}

/// `"…\(e)…"`, with an optional `@format` applied to each interpolated value.
final class StringFilter: Filter {
  enum Part {
    case text(String)
    case value(Filter)
  }
  let parts: [Part]
  let format: String?
  init(_ parts: [Part], format: String?) {
    self.parts = parts
    self.format = format
    super.init(
      single: parts.allSatisfy {
        if case .value(let filter) = $0 { return filter.isSingle }
        return true
      })
  }

  private func text(_ value: Value) throws -> String {
    if let format { return try Interpreter.format(format, value, nil) }
    if case .string(let string) = value { return string }
    return JSONWriter.compact(value)
  }

  // As jq: the last interpolation is evaluated first and is the outermost loop
  // (`"\(1,2)-\(3,4)"` is "1-3", "2-3", "1-4", "2-4"), and its error comes first.
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    var pieces: [String] = []
    pieces.reserveCapacity(parts.count)
    for part in parts.reversed() {
      switch part {
      case .text(let text): pieces.append(text)
      case .value(let filter): pieces.append(try text(try filter.one(input, frame, c)))
      }
    }
    return .string(pieces.reversed().joined())
  }

  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if isSingle { return try emit(try one(input, frame, c)) }
    try build(parts.count - 1, input, frame, c, "", emit)
  }

  private func build(
    _ index: Int, _ input: Value, _ frame: Frame, _ c: Interpreter, _ suffix: String, _ emit: Interpreter.Emit
  ) throws {
    guard index >= 0 else { return try emit(.string(suffix)) }
    switch parts[index] {
    case .text(let text): try build(index - 1, input, frame, c, text + suffix, emit)
    case .value(let filter):
      try filter.run(input, frame, c) { value in
        try self.build(index - 1, input, frame, c, (try self.text(value)) + suffix, emit)
      }
    }
  }
}

/// Arithmetic and comparison. jq evaluates the right operand first.
final class BinaryFilter: Filter {
  let op: BinaryOperator
  let lhs: Filter
  let rhs: Filter
  let range: SourceRange
  init(_ op: BinaryOperator, _ lhs: Filter, _ rhs: Filter, _ range: SourceRange) {
    self.op = op
    self.lhs = lhs
    self.rhs = rhs
    self.range = range
    super.init(single: lhs.isSingle && rhs.isSingle)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    let right = try rhs.one(input, frame, c)
    return try c.binary(op, try lhs.one(input, frame, c), right, range)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if isSingle { return try emit(try one(input, frame, c)) }
    try rhs.run(input, frame, c) { right in
      try self.lhs.run(input, frame, c) { left in try emit(try c.binary(self.op, left, right, self.range)) }
    }
  }
}

/// `a and b`, `a or b`: for each output of `a`, `b` runs only when `a` did not decide the
/// result (`false` decides `and`, `true` decides `or`).
final class ShortCircuitFilter: Filter {
  let lhs: Filter
  let rhs: Filter
  /// The truth of `a` that decides on its own: false for `and`, true for `or`.
  let decisive: Bool
  init(_ lhs: Filter, _ rhs: Filter, decisive: Bool) {
    self.lhs = lhs
    self.rhs = rhs
    self.decisive = decisive
    super.init(single: lhs.isSingle && rhs.isSingle)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    if try lhs.one(input, frame, c).isTruthy == decisive { return .bool(decisive) }
    return .bool(try rhs.one(input, frame, c).isTruthy)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try lhs.run(input, frame, c) { left in
      if left.isTruthy == self.decisive { return try emit(.bool(self.decisive)) }
      try self.rhs.run(input, frame, c) { try emit(.bool($0.isTruthy)) }
    }
  }
}

/// `a // b`: the truthy outputs of `a`, or else (when it has none) the outputs of `b`. An error
/// in `a` is raised, as jq 1.8 does (`"s" | .a // "x"` is an error, not "x").
final class AlternativeFilter: Filter {
  let lhs: Filter
  let rhs: Filter
  init(_ lhs: Filter, _ rhs: Filter) {
    self.lhs = lhs
    self.rhs = rhs
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if lhs.isSingle {
      // The usual `.x // "default"`: no closures.
      let left = try lhs.one(input, frame, c)
      if left.isTruthy { return try emit(left) }
      return try rhs.run(input, frame, c, emit)
    }
    var any = false
    try lhs.run(input, frame, c) { value in
      guard value.isTruthy else { return }
      any = true
      try emit(value)
    }
    if !any { try rhs.run(input, frame, c, emit) }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    var any = false
    try lhs.paths(input, path, frame, c) { leftPath, value in
      guard value.isTruthy else { return }
      any = true
      try emit(leftPath, value)
    }
    if !any { try rhs.paths(input, path, frame, c, emit) }
  }
}

/// `-e`.
final class NegateFilter: Filter {
  let inner: Filter
  let range: SourceRange
  init(_ inner: Filter, _ range: SourceRange) {
    self.inner = inner
    self.range = range
    super.init(single: inner.isSingle)
  }
  private func negate(_ value: Value) throws -> Value {
    guard case .number(let number) = value else { throw JQError("\(describe(value)) cannot be negated", at: range) }
    return .number(number.negated)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    try negate(try inner.one(input, frame, c))
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try inner.run(input, frame, c) { try emit(try self.negate($0)) }
  }
}

/// `if c then a elif … else b end` (no else: `.`).
final class IfFilter: Filter {
  let condition: Filter
  let then: Filter
  let otherwise: Filter?
  init(_ condition: Filter, _ then: Filter, _ otherwise: Filter?) {
    self.condition = condition
    self.then = then
    self.otherwise = otherwise
    super.init(single: condition.isSingle && then.isSingle && (otherwise?.isSingle ?? true))
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    if try condition.one(input, frame, c).isTruthy { return try then.one(input, frame, c) }
    return try otherwise?.one(input, frame, c) ?? input
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if condition.isSingle {
      let test = try condition.one(input, frame, c)
      return try branch(test, input, frame, c, emit)
    }
    try condition.run(input, frame, c) { try self.branch($0, input, frame, c, emit) }
  }
  private func branch(_ test: Value, _ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws
  {
    if test.isTruthy {
      try then.run(input, frame, c, emit)
    } else if let otherwise {
      try otherwise.run(input, frame, c, emit)
    } else {
      try emit(input)
    }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try condition.run(input, frame, c) { test in
      if test.isTruthy {
        try self.then.paths(input, path, frame, c, emit)
      } else if let otherwise = self.otherwise {
        try otherwise.paths(input, path, frame, c, emit)
      } else {
        try emit(path, input)
      }
    }
  }
}

/// `try e catch handler` and `e?` (no handler: errors are swallowed). Errors raised downstream
/// (by `emit`) pass through untouched: only the body's own are caught.
final class TryFilter: Filter {
  let body: Filter
  let handler: Filter?
  init(_ body: Filter, _ handler: Filter?) {
    self.body = body
    self.handler = handler
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    do {
      try body.run(input, frame, c) { value in
        do { try emit(value) } catch { throw Downstream(error: error) }
      }
    } catch let downstream as Downstream {
      throw downstream.error
    } catch let error as JQError {
      if let handler { try handler.run(error.value, frame, c, emit) }
    }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    do {
      try body.paths(input, path, frame, c) { p, v in
        do { try emit(p, v) } catch { throw Downstream(error: error) }
      }
    } catch let downstream as Downstream {
      throw downstream.error
    } catch let error as JQError {
      if let handler { try handler.run(error.value, frame, c) { try emit(nil, $0) } }
    }
  }
}
