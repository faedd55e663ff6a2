/// Receives the path of each location a path expression denotes, with the value there; a nil
/// path marks a value that is not a location (an error as soon as something uses it as one).
typealias EmitPath = (_ path: [Value]?, _ value: Value) throws -> Void

/// A compiled jq expression: what `Compiler` makes of an `Expr`, with every name resolved.
///
/// Each kind of expression is a subclass. `run` calls `emit` once per output (generators,
/// `empty` and backtracking need no intermediate arrays); a filter that always has exactly
/// one output (`.name`, `{a: .b}`, `.x + 1`, `ascii_downcase`) also answers `one`, which returns
/// it without a callback, and that is the path a row's `map` takes. `paths` evaluates the same
/// node as locations (`path(f)`, `del`, `|=`): one compiled form serves both modes.
///
/// Threading: filters are immutable once compiled and may be shared; a run's state lives in its
/// ``Frame``s.
class Filter {
  /// Whether it always has exactly one output, which ``one(_:_:_:)`` gives.
  let isSingle: Bool

  init(single: Bool) { isSingle = single }

  /// Calls `emit` with each output for `input`.
  func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try emit(try one(input, frame, c))
  }

  /// The one output (only for filters with ``isSingle``).
  func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    preconditionFailure("\(type(of: self)) has no single output")
  }

  /// Each location this expression denotes in `input` (reached by `path`), with its value. By
  /// default the outputs are values, not locations.
  func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try run(input, frame, c) { try emit(nil, $0) }
  }
}

/// `.`
final class IdentityFilter: Filter {
  init() { super.init(single: true) }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value { input }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try emit(path, input)
  }
}

/// A constant.
final class LiteralFilter: Filter {
  let value: Value
  init(_ value: Value) {
    self.value = value
    super.init(single: true)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value { value }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    // `path(null)`-style no-ops keep the location (jq: getpath([])).
    if case .null = value { try emit(path, input) } else { try emit(nil, value) }
  }
}

/// `$name`, resolved to a frame slot.
final class VariableFilter: Filter {
  let hops: Int
  let slot: Int
  let name: String
  init(hops: Int, slot: Int, name: String) {
    self.hops = hops
    self.slot = slot
    self.name = name
    super.init(single: true)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    if case .value(let value) = frame.ancestor(hops).slots[slot] { return value }
    throw JQError("$\(name) is not defined")
  }
}

/// `$ENV`.
final class EnvironmentFilter: Filter {
  init() { super.init(single: true) }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value { c.environmentObject }
}

/// `.name` on a target (`.a.b` is `.b` on `.a`), the common case of indexing.
final class FieldFilter: Filter {
  let target: Filter?
  let key: String
  let keyValue: Value
  let range: SourceRange
  /// `.name?`: a value that cannot be indexed by name gives nothing.
  let optional: Bool
  init(_ target: Filter?, _ key: String, _ range: SourceRange, optional: Bool = false) {
    self.target = target
    self.key = key
    self.keyValue = .string(key)
    self.range = range
    self.optional = optional
    super.init(single: !optional && (target?.isSingle ?? true))
  }

  @inline(__always) func field(of base: Value, _ c: Interpreter) throws -> Value {
    switch base {
    case .object(let object): return object[key] ?? .null
    case .null: return .null
    default: return try c.index(base, keyValue, range)
    }
  }

  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    if optional {
      guard let target else {
        guard let value = try optionally(true, { try self.field(of: input, c) }) else { return }
        return try emit(value)
      }
      return try target.run(input, frame, c) { base in
        guard let value = try optionally(true, { try self.field(of: base, c) }) else { return }
        try emit(value)
      }
    }
    guard let target else { return try emit(try field(of: input, c)) }
    try target.run(input, frame, c) { try emit(try self.field(of: $0, c)) }
  }

  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    try field(of: target.map { try $0.one(input, frame, c) } ?? input, c)
  }

  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    let base = target ?? IdentityFilter()
    try base.paths(input, path, frame, c) { basePath, value in
      guard let basePath else {
        throw JQError(
          "Invalid path expression near attempt to access element \(errorText(self.keyValue)) of \(errorText(value))",
          at: self.range)
      }
      guard let found = try optionally(self.optional, { try self.field(of: value, c) }) else { return }
      try emit(basePath + [self.keyValue], found)
    }
  }
}

/// `target[key]` with a computed key (the key is evaluated on the same input, first).
final class IndexFilter: Filter {
  let target: Filter
  let key: Filter
  let range: SourceRange
  /// `target[key]?`: an index that fails gives nothing (the target's and the key's errors
  /// still stop the run, as jq's `INDEX_OPT` has it).
  let optional: Bool
  init(_ target: Filter, _ key: Filter, _ range: SourceRange, optional: Bool = false) {
    self.target = target
    self.key = key
    self.range = range
    self.optional = optional
    super.init(single: !optional && target.isSingle && key.isSingle)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try key.run(input, frame, c) { keyValue in
      try self.target.run(input, frame, c) { base in
        guard let value = try optionally(self.optional, { try c.index(base, keyValue, self.range) }) else { return }
        try emit(value)
      }
    }
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    let keyValue = try key.one(input, frame, c)
    return try c.index(try target.one(input, frame, c), keyValue, range)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try key.run(input, frame, c) { keyValue in
      try self.target.paths(input, path, frame, c) { basePath, base in
        guard let basePath else {
          throw JQError(
            "Invalid path expression near attempt to access element \(errorText(keyValue)) of \(errorText(base))",
            at: self.range)
        }
        let value: Value
        if case .null = base {
          value = .null
        } else {
          guard let found = try optionally(self.optional, { try c.index(base, keyValue, self.range) }) else { return }
          value = found
        }
        try emit(basePath + [keyValue], value)
      }
    }
  }
}

/// `target[from:to]`.
final class SliceFilter: Filter {
  let target: Filter
  let from: Filter?
  let to: Filter?
  let range: SourceRange
  /// `target[from:to]?`: a slice that fails gives nothing.
  let optional: Bool
  init(_ target: Filter, _ from: Filter?, _ to: Filter?, _ range: SourceRange, optional: Bool = false) {
    self.target = target
    self.from = from
    self.to = to
    self.range = range
    self.optional = optional
    super.init(single: !optional && target.isSingle && (from?.isSingle ?? true) && (to?.isSingle ?? true))
  }
  private func bound(
    _ filter: Filter?, _ input: Value, _ frame: Frame, _ c: Interpreter, _ body: (Value) throws -> Void
  ) throws {
    if let filter { try filter.run(input, frame, c, body) } else { try body(.null) }
  }
  // As jq builds the index object: the start's outputs outermost, then the end's, then the
  // target for each pair.
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try bound(from, input, frame, c) { lower in
      try self.bound(self.to, input, frame, c) { upper in
        try self.target.run(input, frame, c) { base in
          let key = Interpreter.sliceKey(lower, upper)
          guard let value = try optionally(self.optional, { try c.slice(base, lower, upper, self.range, key: key) })
          else { return }
          try emit(value)
        }
      }
    }
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    let lower = try from?.one(input, frame, c) ?? .null
    let upper = try to?.one(input, frame, c) ?? .null
    return try c.slice(try target.one(input, frame, c), lower, upper, range, key: Interpreter.sliceKey(lower, upper))
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try bound(from, input, frame, c) { lower in
      try self.bound(self.to, input, frame, c) { upper in
        try self.target.paths(input, path, frame, c) { basePath, base in
          guard let basePath else {
            throw JQError(
              "Invalid path expression near attempt to access element \(errorText(Interpreter.sliceKey(lower, upper))) of \(errorText(base))",
              at: self.range)
          }
          let key = Interpreter.sliceKey(lower, upper)
          guard let value = try optionally(self.optional, { try c.slice(base, lower, upper, self.range, key: key) })
          else { return }
          try emit(basePath + [key], value)
        }
      }
    }
  }
}

/// `target[]`.
final class IterateFilter: Filter {
  let target: Filter
  let range: SourceRange
  /// `target[]?`: a value that cannot be iterated gives nothing.
  let optional: Bool
  init(_ target: Filter, _ range: SourceRange, optional: Bool = false) {
    self.target = target
    self.range = range
    self.optional = optional
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try target.run(input, frame, c) { base in
      if self.optional, !base.isIterable { return }
      try c.iterate(base, self.range, emit)
    }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try target.paths(input, path, frame, c) { basePath, base in
      guard let basePath else {
        throw JQError("Invalid path expression near attempt to iterate through \(errorText(base))", at: self.range)
      }
      switch base {
      case .array(let array):
        for (position, element) in array.enumerated() { try emit(basePath + [.number(position)], element) }
      case .object(let object):
        for (key, element) in object { try emit(basePath + [.string(key)], element) }
      default:
        if self.optional { return }
        throw JQError("Cannot iterate over \(describe(base))", at: self.range)
      }
    }
  }
}

/// `..`: the input and every value inside it, parents first.
final class RecurseAllFilter: Filter {
  init() { super.init(single: false) }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try c.recurse(input, emit)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try c.recursePaths(input, path, emit)
  }
}

/// `@name` on its own.
final class FormatFilter: Filter {
  let name: String
  let range: SourceRange
  init(_ name: String, _ range: SourceRange) {
    self.name = name
    self.range = range
    super.init(single: true)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    .string(try Interpreter.format(name, input, range))
  }
}

/// `step()`'s value; when `optional`, nil for the error jq's `?` after an index drops.
@inline(__always) func optionally(_ optional: Bool, _ step: () throws -> Value) throws -> Value? {
  guard optional else { return try step() }
  do {
    return try step()
  } catch is JQError {
    return nil
  }
}

extension Value {
  /// Whether `.[]` goes through this value (an array or an object).
  var isIterable: Bool {
    switch self {
    case .array, .object: return true
    default: return false
    }
  }
}
