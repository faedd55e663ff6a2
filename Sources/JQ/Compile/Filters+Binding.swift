/// A destructuring pattern with its variables resolved to slots of the current frame.
enum Binder {
  /// `$name`.
  case slot(Int)
  /// `[p, q, …]` or `{key: p, $name, …}`, as steps.
  case steps(BindingSteps)

  /// Binds `value` into `frame`, then runs `body` once per way of binding (an object pattern
  /// with a generator as key binds several times).
  ///
  /// A slot's earlier value is put back when `body` returns: bindings nest exactly as the
  /// evaluation does, so a binding site entered again from downstream of itself (through a
  /// filter argument run twice, `def twice(f): f | f`) never disturbs the outer binding.
  func bind(_ value: Value, _ input: Value, _ frame: Frame, _ c: Interpreter, _ body: () throws -> Void) throws {
    switch self {
    case .slot(let slot):
      let saved = frame.slots[slot]
      frame.slots[slot] = .value(value)
      defer { frame.slots[slot] = saved }
      try body()
    case .steps(let steps):
      var registers = [Value](repeating: .null, count: steps.registers)
      registers[0] = value
      try steps.run(from: 0, &registers, input, frame, c, body)
    }
  }
}

/// A destructuring pattern as a flat list of steps, in the order jq binds (depth first, left to
/// right): each takes an element or a member of a value already reached (register 0 is the
/// whole value) into a register, or binds a slot to one.
///
/// It replaced three functions that called each other with the rest of the pattern as a
/// closure: the optimizer specialized each of them for each closure it could receive,
/// recursively, and this one file became 37 MB of machine code and most of a release build's
/// time. Here only a computed key, which may give several keys, runs the rest of the steps from
/// inside its generator.
final class BindingSteps {
  enum Step {
    /// `registers[to] = registers[from][index]` (an array pattern's element).
    case element(from: Int, index: Int, to: Int)
    /// `registers[to] = registers[from][key]` (an object pattern's `$name` or `name:`).
    case member(from: Int, key: String, to: Int)
    /// For each key `key` gives (on the input, with what is bound so far), `registers[to] =
    /// registers[from][key]`, then the rest of the steps.
    case computedMember(from: Int, key: Filter, to: Int)
    /// Binds `slot` to `registers[from]`.
    case assign(slot: Int, from: Int)
  }

  let steps: [Step]
  /// How many values the steps keep (the whole value and each one reached).
  let registers: Int

  init(_ steps: [Step], registers: Int) {
    self.steps = steps
    self.registers = registers
  }

  /// Runs the steps from `start`, then `body`; puts back every slot it bound when done.
  func run(
    from start: Int, _ registers: inout [Value], _ input: Value, _ frame: Frame, _ c: Interpreter,
    _ body: () throws -> Void
  ) throws {
    var saved: [(slot: Int, value: Frame.Slot)] = []
    defer { for (slot, value) in saved.reversed() { frame.slots[slot] = value } }
    var index = start
    while index < steps.count {
      switch steps[index] {
      case .element(let from, let position, let to):
        let value = registers[from]
        switch value {
        case .array(let array): registers[to] = position < array.count ? array[position] : .null
        case .null: registers[to] = .null
        default: throw JQError("Cannot index \(value.typeName) with number (\(position))")
        }
      case .member(let from, let key, let to):
        registers[to] = try Self.member(registers[from], .string(key))
      case .assign(let slot, let from):
        saved.append((slot, frame.slots[slot]))
        frame.slots[slot] = .value(registers[from])
      case .computedMember(let from, let key, let to):
        let rest = index + 1
        try key.run(input, frame, c) { keyValue in
          registers[to] = try c.index(registers[from], keyValue, nil)
          try run(from: rest, &registers, input, frame, c, body)
        }
        return
      }
      index += 1
    }
    try body()
  }

  private static func member(_ value: Value, _ key: Value) throws -> Value {
    guard case .string(let name) = key else { throw JQError("Cannot index \(value.typeName) with \(key.typeName)") }
    switch value {
    case .object(let object): return object[name] ?? .null
    case .null: return .null
    default: throw JQError("Cannot index \(value.typeName) with string (\(errorText(key)))")
    }
  }
}

/// `source as $p | body`, and `?//` alternatives: the first pattern that binds (and whose body
/// runs) without error is used; every variable of every pattern is bound, null when its
/// pattern is not the one used.
final class BindFilter: Filter {
  let source: Filter
  let patterns: [Binder]
  let allSlots: [Int]
  let body: Filter
  init(_ source: Filter, _ patterns: [Binder], allSlots: [Int], _ body: Filter) {
    self.source = source
    self.patterns = patterns
    self.allSlots = allSlots
    self.body = body
    super.init(single: false)
  }

  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try source.run(input, frame, c) { value in
      try self.bindEach(value, input, frame, c) { try self.body.run(input, frame, c, emit) }
    }
  }

  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try source.run(input, frame, c) { value in
      try self.bindEach(value, input, frame, c) { try self.body.paths(input, path, frame, c, emit) }
    }
  }

  private func bindEach(_ value: Value, _ input: Value, _ frame: Frame, _ c: Interpreter, _ body: () throws -> Void)
    throws
  {
    if patterns.count == 1 { return try patterns[0].bind(value, input, frame, c, body) }
    let saved = allSlots.map { frame.slots[$0] }
    defer { for (slot, value) in zip(allSlots, saved) { frame.slots[slot] = value } }
    for (position, pattern) in patterns.enumerated() {
      for slot in allSlots { frame.slots[slot] = .value(.null) }
      do {
        try pattern.bind(value, input, frame, c) {
          guard position < self.patterns.count - 1 else { return try body() }
          do {
            try body()
          } catch let error as JQError {
            throw NextAlternative(error: error)
          } catch is Downstream {
            // An error after a `try` around all this (marked as its consumer's): jq moves on
            // to the next pattern for it too; from the last one it goes on, still marked.
            throw NextAlternative(error: JQError("downstream"))
          }
        }
        return
      } catch is NextAlternative {
        // An error in the body, or after it, moves on to the next alternative, as jq does.
        continue
      } catch let error as JQError {
        if position == patterns.count - 1 { throw error }
      }
    }
  }
}

/// An error in the body of a `?//` alternative that is not the last: the next one is tried.
private struct NextAlternative: Error {
  let error: JQError
}

/// `reduce source as $p (initial; update)`.
final class ReduceFilter: Filter {
  let source: Filter
  let pattern: Binder
  let initial: Filter
  let update: Filter
  init(_ source: Filter, _ pattern: Binder, _ initial: Filter, _ update: Filter) {
    self.source = source
    self.pattern = pattern
    self.initial = initial
    self.update = update
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try initial.run(input, frame, c) { start in
      var accumulator: Value? = start
      try self.source.run(input, frame, c) { item in
        try c.checkInterrupt()
        try self.pattern.bind(item, input, frame, c) {
          guard let current = accumulator else { return }
          // Give up our reference first, so an update that changes it in place does not copy;
          // an update that fails leaves the state as it was (a `?//` in the source may give
          // the item again, and jq reduces it into that state).
          accumulator = nil
          do {
            if self.update.isSingle {
              accumulator = try self.update.one(current, frame, c)
            } else {
              // jq 1.8: an update with no output makes the state null.
              var last: Value = .null
              try self.update.run(current, frame, c) { last = $0 }
              accumulator = last
            }
          } catch {
            accumulator = current
            throw error
          }
        }
      }
      if let accumulator { try emit(accumulator) }
    }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try initial.paths(input, path, frame, c) { startPath, start in
      var accumulator: ([Value]?, Value)? = (startPath, start)
      try self.source.run(input, frame, c) { item in
        try self.pattern.bind(item, input, frame, c) {
          var last: ([Value]?, Value)?
          if let (currentPath, current) = accumulator {
            try self.update.paths(current, currentPath, frame, c) { last = ($0, $1) }
          }
          accumulator = last
        }
      }
      if let (finalPath, final) = accumulator { try emit(finalPath, final) }
    }
  }
}

/// `foreach source as $p (initial; update; extract)`.
final class ForeachFilter: Filter {
  let source: Filter
  let pattern: Binder
  let initial: Filter
  let update: Filter
  let extract: Filter?
  init(_ source: Filter, _ pattern: Binder, _ initial: Filter, _ update: Filter, _ extract: Filter?) {
    self.source = source
    self.pattern = pattern
    self.initial = initial
    self.update = update
    self.extract = extract
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try initial.run(input, frame, c) { start in
      var state = start
      try self.source.run(input, frame, c) { item in
        try c.checkInterrupt()
        try self.pattern.bind(item, input, frame, c) {
          // jq 1.8: an update with no output makes the state null.
          let previous = state
          state = .null
          try self.update.run(previous, frame, c) { next in
            state = next
            if let extract = self.extract { try extract.run(next, frame, c, emit) } else { try emit(next) }
          }
        }
      }
    }
  }
}

/// `label $name | body`: a fresh label id in a slot, which `break $name` throws.
final class LabelFilter: Filter {
  let slot: Int
  let body: Filter
  init(slot: Int, _ body: Filter) {
    self.slot = slot
    self.body = body
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    let id = c.freshID()
    let saved = frame.slots[slot]
    frame.slots[slot] = .value(.number(id))
    defer { frame.slots[slot] = saved }
    do {
      try body.run(input, frame, c, emit)
    } catch let signal as BreakSignal where signal.label == id {}
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    let id = c.freshID()
    let saved = frame.slots[slot]
    frame.slots[slot] = .value(.number(id))
    defer { frame.slots[slot] = saved }
    do {
      try body.paths(input, path, frame, c, emit)
    } catch let signal as BreakSignal where signal.label == id {}
  }
}

/// `break $name`.
final class BreakFilter: Filter {
  let hops: Int
  let slot: Int
  init(hops: Int, slot: Int) {
    self.hops = hops
    self.slot = slot
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    guard case .value(.number(let id)) = frame.ancestor(hops).slots[slot] else {
      throw JQError("break outside its label")
    }
    throw BreakSignal(label: Int(id.double))
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try run(input, frame, c) { _ in }
  }
}

/// `lhs op rhs` for `=`, `|=`, `+=`, `-=`, `*=`, `/=`, `%=`, `//=`.
final class AssignFilter: Filter {
  let op: String
  let lhs: Filter
  let rhs: Filter
  let range: SourceRange
  init(_ op: String, _ lhs: Filter, _ rhs: Filter, _ range: SourceRange) {
    self.op = op
    self.lhs = lhs
    self.rhs = rhs
    self.range = range
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try c.assign(op, lhs, rhs, range, input, frame, emit)
  }
}
