import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Evaluates jq expressions with jq's semantics: every expression produces zero or more
/// outputs, delivered one at a time to an `emit` callback (no intermediate arrays).
///
/// An expression is compiled once (`compile(_:in:)`: names resolved to slots and direct
/// references, self tail calls turned into loops) and then run as often as needed.
///
/// Threading: an interpreter (its caches, counters and the stack bound it measured) is used on
/// one thread at a time, like the session that owns it.
final class Interpreter: @unchecked Sendable {
  /// Receives one output.
  typealias Emit = (Value) throws -> Void

  /// The process environment programs see as `$ENV` and `env` (secrets already hidden).
  let processEnvironment: [String: String]
  /// Functions registered by an embedder: `name/arity` → implementation.
  var natives: [String: NativeFunction] = [:]
  /// Builtins written in jq, compiled on first use.
  var preludeFunctions: [String: Function] = [:]
  /// Compiled regexes by pattern and flags (bounded; see `RegexBuiltins.compile`).
  var regexCache: [String: Regex<AnyRegexOutput>] = [:]
  private var counter = 0
  /// Sink for `debug` and `stderr`.
  var debugOutput: (String) -> Void = { _ in }
  /// What `now` reads: seconds since the epoch (the system's clock, unless an embedder's —
  /// a sandbox whose clock was moved on — says otherwise).
  var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
  /// The row being evaluated: its input line (`input_line_number`) and source
  /// (`input_filename`), set by ``RowEvaluator`` before each row.
  var currentOrigin = Origin(source: "", line: 0)
  /// The next value of the program's input (`input`, `inputs`); nil when it has ended, or
  /// outside a run.
  var nextInput: (() throws -> Value?)?
  /// When set, evaluation stops (throwing `EvaluationInterrupted`) soon after it is: checked
  /// at every function call and every step of `range`, `reduce` and `foreach`.
  var interruption: Interruption?
  /// Finds and links the modules programs import (`-L` sets its library directories).
  let modules: ModuleLoader
  /// A frame with nothing in it: the parent of builtins written in jq.
  let detachedFrame = Frame(parent: nil, size: 0)
  private var cachedEnvironmentObject: Value?
  /// The lowest stack address calls may reach on the thread that runs now (see ``enterCall``).
  private var stackFloor: UInt = 0
  private var stackThread: pthread_t?

  /// An interpreter whose programs see `processEnvironment` as `$ENV`.
  init(processEnvironment: [String: String] = [:]) {
    self.processEnvironment = processEnvironment
    self.modules = ModuleLoader(
      directory: FileManager.default.currentDirectoryPath, home: processEnvironment["HOME"])
  }

  /// Throws `EvaluationInterrupted` when the run was asked to stop.
  @inline(__always) func checkInterrupt() throws {
    if let interruption, interruption.isSet { throw EvaluationInterrupted() }
  }

  func freshID() -> Int {
    counter += 1
    return counter
  }

  // MARK: Compiling and running

  /// Compiles `expr` in `bindings` (its `let`s and `def`s); the result runs as often as
  /// needed.
  func compile(_ expr: Expr, in bindings: Bindings) throws -> CompiledExpression {
    let level = Level(depth: 1)
    let filter = try Compiler(interpreter: self).compile(expr, bindings.scope, level)
    return CompiledExpression(filter: filter, level: level, bindings: bindings, interpreter: self)
  }

  /// Defines `definition` in `bindings` for the rest of their life (a session's `def`).
  func define(_ definition: FunctionDefinition, in bindings: Bindings) throws {
    let (_, scope) = try Compiler(interpreter: self).define(definition, bindings.scope, bindings.level)
    bindings.scope = scope
  }

  /// Runs a builtin's argument (a compiled filter) on `input` in the caller's `frame`.
  func evaluate(_ filter: Filter, _ input: Value, _ frame: Frame, _ emit: Emit) throws {
    try filter.run(input, frame, self, emit)
  }

  /// All outputs of a builtin's argument on `input`.
  func evaluateAll(_ filter: Filter, input: Value, environment frame: Frame) throws -> [Value] {
    var outputs: [Value] = []
    try filter.run(input, frame, self) { outputs.append($0) }
    return outputs
  }

  /// Evaluates each argument as a value: the cartesian product, the last argument outermost, as
  /// jq calls its builtins written in C (`[pow(1,2; 3,4)]` is `[1,8,1,16]`).
  func withArguments(_ arguments: [Filter], _ input: Value, _ frame: Frame, _ body: ([Value]) throws -> Void) throws {
    var values = [Value](repeating: .null, count: arguments.count)
    func loop(_ index: Int) throws {
      guard index >= 0 else { return try body(values) }
      try arguments[index].run(input, frame, self) { value in
        values[index] = value
        try loop(index - 1)
      }
    }
    try loop(arguments.count - 1)
  }

  // MARK: The stack

  /// Notes the current thread's stack: calls may go down to 256 KiB above its end, and at most
  /// 256 MiB below here (the rest of a large stack is for freeing values nested millions of
  /// levels deep, which Swift does recursively). Called as each compiled expression starts;
  /// cheap when the thread is the same as last time.
  func prepareStack() {
    let thread = pthread_self()
    if let stackThread, pthread_equal(stackThread, thread) != 0 { return }
    stackThread = thread
    var marker: UInt8 = 0
    let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    let budget: UInt = 256 << 20
    let floor = StackBounds.lowest(of: thread).map { $0 + 256 * 1024 } ?? 0
    stackFloor = here > budget ? max(floor, here - budget) : floor
  }

  /// Checks, at each call of a function, that the run was not interrupted and that the stack
  /// has room: a recursion too deep for it is an error, not a crash.
  @inline(__always) func enterCall(_ name: String, _ range: SourceRange?) throws {
    if let interruption, interruption.isSet { throw EvaluationInterrupted() }
    var marker: UInt8 = 0
    let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    if here < stackFloor {
      throw JQError("function calls nested too deep for the stack (runaway recursion in \(name)?)", at: range)
    }
  }

  var environmentObject: Value {
    if let cachedEnvironmentObject { return cachedEnvironmentObject }
    var object = JSONObject(capacity: processEnvironment.count)
    for (key, value) in processEnvironment.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
    cachedEnvironmentObject = .object(object)
    return .object(object)
  }

  // MARK: Values

  func index(_ base: Value, _ key: Value, _ range: SourceRange?) throws -> Value {
    switch (base, key) {
    case (.object(let object), .string(let name)):
      return object[name] ?? .null
    case (.array(let array), .number(let number)):
      guard !number.double.isNaN else { return .null }
      // As C converts it (jq's `(int)`): toward zero, so `.[-1.5]` is `.[-1]`.
      var position = Int(exactly: number.double.rounded(.towardZero)) ?? (number.double < 0 ? Int.min / 2 : Int.max / 2)
      if position < 0 { position += array.count }
      return position >= 0 && position < array.count ? array[position] : .null
    case (.null, .string), (.null, .number), (.null, .object):
      return .null
    case (.array, .object(let bounds)), (.string, .object(let bounds)):
      return try slice(base, bounds["start"], bounds["end"], range, key: key)
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

  /// `base[lower:upper]`, as jq's `jv_get` slices: a bound that is missing (an index object
  /// without `start` or `end`) or not a number is an error, a null start is 0 and a null end
  /// the length, and a base
  /// that is not an array or a string is refused with the index `key` in the message.
  func slice(
    _ base: Value, _ lower: Value?, _ upper: Value?, _ range: SourceRange?, key: @autoclosure () -> Value
  ) throws -> Value {
    switch base {
    case .null: return .null
    case .array(let array):
      let (start, end) = try sliceBounds(array.count, lower, upper, range)
      return .array(Array(array[start..<end]))
    case .string(let string):
      let scalars = Array(string.unicodeScalars)
      let (start, end) = try sliceBounds(scalars.count, lower, upper, range)
      var result = String.UnicodeScalarView()
      result.append(contentsOf: scalars[start..<end])
      return .string(String(result))
    default:
      throw JQError("Cannot index \(base.typeName) with object (\(errorText(key())))", at: range)
    }
  }

  /// `.[lower:upper]`'s index object, as jq builds it (and names it in errors).
  static func sliceKey(_ lower: Value, _ upper: Value) -> Value {
    .object(JSONObject([("start", lower), ("end", upper)]))
  }

  /// The positions a slice of `count` elements takes, as jq's `parse_slice` finds them: a
  /// null start is 0 and a null end is `count`; negative bounds count from the end; the start
  /// rounds down and the end up; NaN is the start or the end.
  func sliceBounds(_ count: Int, _ lower: Value?, _ upper: Value?, _ range: SourceRange? = nil) throws -> (Int, Int) {
    func bound(_ value: Value?, _ null: Double) -> Double? {
      switch value {
      case .null?: return null
      case .number(let number)?: return number.double
      default: return nil
      }
    }
    let length = Double(count)
    guard let from = bound(lower, 0), let to = bound(upper, length) else {
      throw JQError("Array/string slice indices must be integers", at: range)
    }
    var start = from.isNaN ? 0 : from
    if start < 0 { start += length }
    start = max(0, min(length, start))
    let first = Int(start)
    var end = to.isNaN ? length : to
    if end < 0 { end += length }
    if end < 0 { end = Double(first) }
    var last = Int(min(end, 1e15))
    if last > count { last = count }
    if last < count && Double(last) < end { last += 1 }
    return (first, max(first, last))
  }

  func iterate(_ value: Value, _ range: SourceRange?, _ emit: Emit) throws {
    switch value {
    case .array(let array): for element in array { try emit(element) }
    case .object(let object): for member in object.members { try emit(member.value) }
    default: throw JQError("Cannot iterate over \(describe(value))", at: range)
    }
  }

  /// Every location under `value` (`..` in path mode), parents first, depth first, with the
  /// way down kept on the heap (data 10,000 levels deep needs no stack).
  func recursePaths(_ value: Value, _ path: [Value]?, _ emit: EmitPath) throws {
    guard let path else { return try emit(nil, value) }
    var pending: [([Value], Value)] = [(path, value)]
    while let (at, current) = pending.popLast() {
      try emit(at, current)
      switch current {
      case .array(let array):
        for (position, element) in array.enumerated().reversed() { pending.append((at + [.number(position)], element)) }
      case .object(let object):
        for (key, element) in zip(object.orderedKeys, object.orderedValues).reversed() {
          pending.append((at + [.string(key)], element))
        }
      default: break
      }
    }
  }

  /// `..`: `value` and everything in it, parents first, depth first, on the heap.
  func recurse(_ value: Value, _ emit: Emit) throws {
    var pending: [Value] = [value]
    while let current = pending.popLast() {
      try emit(current)
      switch current {
      case .array(let array): pending.append(contentsOf: array.reversed())
      case .object(let object): pending.append(contentsOf: object.orderedValues.reversed())
      default: break
      }
    }
  }
}

/// Wraps an error thrown downstream of a `try` or `//`, so that they do not catch it.
struct Downstream: Error {
  let error: any Error
}

/// An expression compiled for a session's bindings, ready to run on any number of inputs.
///
/// Threading: run on one thread at a time.
final class CompiledExpression {
  let filter: Filter
  let level: Level
  let bindings: Bindings
  let interpreter: Interpreter
  /// The frame of the last run, reused by the next (runs do not overlap, except re-entrantly).
  private var spare: Frame?

  init(filter: Filter, level: Level, bindings: Bindings, interpreter: Interpreter) {
    self.filter = filter
    self.level = level
    self.bindings = bindings
    self.interpreter = interpreter
  }

  /// Whether it always has exactly one output (then ``one(_:)`` gives it).
  var isSingle: Bool { filter.isSingle }

  @inline(__always) private func takeFrame() -> Frame {
    if let frame = spare {
      spare = nil
      return frame
    }
    return Frame(parent: bindings.frame, size: level.slotCount)
  }

  /// Calls `emit` with each output for `input`.
  func run(_ input: Value, _ emit: Interpreter.Emit) throws {
    interpreter.prepareStack()
    let frame = takeFrame()
    defer { spare = frame }
    try filter.run(input, frame, interpreter, emit)
  }

  /// The one output for `input` (only when ``isSingle``).
  func one(_ input: Value) throws -> Value {
    interpreter.prepareStack()
    let frame = takeFrame()
    defer { spare = frame }
    return try filter.one(input, frame, interpreter)
  }
}

/// Where a thread's stack ends.
enum StackBounds {
  #if canImport(Glibc)
    private typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutableRawPointer) -> Int32
    /// `pthread_getattr_np` is a GNU extension the Glibc module does not declare.
    private static let getAttributes: GetAttributes? = {
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_getattr_np") else { return nil }
      return unsafeBitCast(symbol, to: GetAttributes.self)
    }()
  #endif

  /// The lowest address of `thread`'s stack, if the system says.
  static func lowest(of thread: pthread_t) -> UInt? {
    #if canImport(Glibc)
      guard let getAttributes else { return nil }
      let attributes = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
      defer { attributes.deallocate() }
      guard getAttributes(thread, attributes) == 0 else { return nil }
      let typed = attributes.assumingMemoryBound(to: pthread_attr_t.self)
      defer { pthread_attr_destroy(typed) }
      var low: UnsafeMutableRawPointer?
      var size = 0
      guard pthread_attr_getstack(typed, &low, &size) == 0, let low else { return nil }
      return UInt(bitPattern: low)
    #else
      let top = UInt(bitPattern: pthread_get_stackaddr_np(thread))
      return top - UInt(pthread_get_stacksize_np(thread))
    #endif
  }
}
