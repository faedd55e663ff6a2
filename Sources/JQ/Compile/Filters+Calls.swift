/// A compiled `def`. Its frame holds the filter arguments first (slot `i` for parameter `i`;
/// a `$param` is also a filter parameter, bound to a value by its body), then its variables.
final class Function {
  let key: String
  let arity: Int
  /// Which parameters are `$params` (they may be passed as values by a tail call).
  let valueParameters: [Bool]
  /// The level its body is compiled at.
  let level: Level
  /// Set once its body is compiled (a recursive call site is compiled before that).
  var body: Filter!
  var frameSize: Int { level.slotCount }

  init(key: String, valueParameters: [Bool], level: Level) {
    self.key = key
    self.arity = valueParameters.count
    self.valueParameters = valueParameters
    self.level = level
  }
}

/// A call of a `def`: a new frame whose parent is the frame the function was defined in, with
/// the arguments as closures over the caller's frame.
final class CallFunctionFilter: Filter {
  let function: Function
  /// How many frames out the defining frame is; nil for a builtin written in jq (no parent).
  let hops: Int?
  let arguments: [Filter]
  let range: SourceRange
  init(_ function: Function, hops: Int?, _ arguments: [Filter], _ range: SourceRange) {
    self.function = function
    self.hops = hops
    self.arguments = arguments
    self.range = range
    super.init(single: function.body?.isSingle ?? false)
  }
  @inline(__always) private func frame(for caller: Frame, _ c: Interpreter) -> Frame {
    let callee = Frame(parent: hops.map { caller.ancestor($0) } ?? c.detachedFrame, size: function.frameSize)
    for (index, argument) in arguments.enumerated() { callee.slots[index] = .closure(argument, caller) }
    return callee
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try c.enterCall(function.key, range)
    try function.body.run(input, self.frame(for: frame, c), c, emit)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value {
    try c.enterCall(function.key, range)
    return try function.body.one(input, self.frame(for: frame, c), c)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try c.enterCall(function.key, range)
    try function.body.paths(input, path, self.frame(for: frame, c), c, emit)
  }
}

/// A call of a filter parameter: its expression, in the frame it was passed from.
final class ClosureCallFilter: Filter {
  let hops: Int
  let slot: Int
  let name: String
  init(hops: Int, slot: Int, name: String) {
    self.hops = hops
    self.slot = slot
    self.name = name
    super.init(single: false)
  }
  @inline(__always) private func closure(_ frame: Frame) throws -> (Filter, Frame) {
    guard case .closure(let filter, let closureFrame) = frame.ancestor(hops).slots[slot] else {
      throw JQError("\(name)/0 is not defined")
    }
    return (filter, closureFrame)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    let (filter, closureFrame) = try closure(frame)
    try c.enterCall(name, nil)
    try filter.run(input, closureFrame, c, emit)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    let (filter, closureFrame) = try closure(frame)
    try filter.paths(input, path, closureFrame, c, emit)
  }
}

/// A builtin written in Swift (or registered by an embedder), given its arguments compiled.
final class NativeCallFilter: Filter {
  let key: String
  let native: NativeFunction
  let arguments: [Filter]
  let range: SourceRange
  init(key: String, _ native: @escaping NativeFunction, _ arguments: [Filter], _ range: SourceRange) {
    self.key = key
    self.native = native
    self.arguments = arguments
    self.range = range
    super.init(single: false)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try native(c, arguments, input, frame, range, emit)
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try c.nativePaths(key, arguments, range, input, path, frame, emit) ?? run(input, frame, c) { try emit(nil, $0) }
  }
}

/// A builtin with no arguments and exactly one output (`length`, `ascii_downcase`, …).
final class UnaryNativeFilter: Filter {
  let body: Builtins.UnaryBody
  let range: SourceRange
  init(_ body: @escaping Builtins.UnaryBody, _ range: SourceRange) {
    self.body = body
    self.range = range
    super.init(single: true)
  }
  override func one(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> Value { try body(input, range) }
}

/// How a self tail call passes each argument to the next round.
enum TailArgument {
  /// The function's own parameter, passed on unchanged (`def f(g): … g … | f(g)`).
  case same(Int)
  /// A `$param` given a new value, evaluated now (`def loop($n): … loop($n - 1)`).
  case value(Filter)
}

/// A call of the enclosing function in tail position, with arguments that can be passed on:
/// instead of calling, it leaves the input with the ``TailLoopFilter`` that runs the body, which
/// loops. A recursion of a million steps then needs no stack.
final class TailCallFilter: Filter {
  let function: Function
  let arguments: [TailArgument]
  let range: SourceRange
  init(_ function: Function, _ arguments: [TailArgument], _ range: SourceRange) {
    self.function = function
    self.arguments = arguments
    self.range = range
    super.init(single: false)
  }
  private func slots(_ input: Value, _ frame: Frame, _ c: Interpreter) throws -> [Frame.Slot] {
    try arguments.map { argument in
      switch argument {
      case .same(let slot): return frame.slots[slot]
      case .value(let filter): return .closure(LiteralFilter(try filter.one(input, frame, c)), c.detachedFrame)
      }
    }
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    try c.checkInterrupt()
    frame.pendingTailCalls.append((input, try slots(input, frame, c)))
    if frame.pendingTailCalls.count >= 64, let runWaiting = frame.runWaitingTailCalls { try runWaiting() }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    // Path mode calls for real (no loop there).
    try c.enterCall(function.key, range)
    let callee = Frame(parent: frame.parent, size: function.frameSize)
    for (index, slot) in try slots(input, frame, c).enumerated() { callee.slots[index] = slot }
    try function.body.paths(input, path, callee, c, emit)
  }
}

/// The body of a function with self tail calls: each round runs the body on one input; the
/// tail calls it makes are taken in order afterwards, each in a fresh frame, so the stack does
/// not grow. If an output comes while tail calls are waiting (a tail call that was not last
/// after all), those are run first, recursively, so the order of outputs is always jq's.
final class TailLoopFilter: Filter {
  let body: Filter
  init(_ body: Filter) {
    self.body = body
    super.init(single: false)
  }
  private func next(_ frame: Frame, _ call: (input: Value, arguments: [Frame.Slot])) -> (Value, Frame) {
    let callee = Frame(parent: frame.parent, size: frame.slots.count)
    for (index, slot) in call.arguments.enumerated() { callee.slots[index] = slot }
    return (call.input, callee)
  }
  override func run(_ input: Value, _ frame: Frame, _ c: Interpreter, _ emit: Interpreter.Emit) throws {
    // The frame keeps `runWaiting` only while its body runs (it is cleared after).
    try withoutActuallyEscaping(emit) { emit in
      var work: [(Value, Frame)] = [(input, frame)]
      while let (value, current) = work.popLast() {
        try c.checkInterrupt()
        let runWaiting = {
          let waiting = current.pendingTailCalls
          current.pendingTailCalls = []
          for call in waiting {
            let (input, callee) = self.next(current, call)
            try self.run(input, callee, c, emit)
          }
        }
        current.runWaitingTailCalls = runWaiting
        defer { current.runWaitingTailCalls = nil }
        do {
          try body.run(value, current, c) { output in
            if !current.pendingTailCalls.isEmpty { try runWaiting() }
            try emit(output)
          }
        } catch let error as JQError {
          // jq would have made the waiting calls before it came to this error: they go first
          // (and an error of theirs is the one raised).
          if !current.pendingTailCalls.isEmpty { try runWaiting() }
          throw error
        }
        let calls = current.pendingTailCalls
        current.pendingTailCalls = []
        for call in calls.reversed() { work.append(next(current, call)) }
      }
    }
  }
  override func paths(_ input: Value, _ path: [Value]?, _ frame: Frame, _ c: Interpreter, _ emit: EmitPath) throws {
    try body.paths(input, path, frame, c, emit)
  }
}
