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

  /// Emits `body(input, a, b)` for each pair (the second argument outermost, as jq does).
  static func ternary(_ body: @escaping @Sendable (Value, Value, Value, SourceRange) throws -> Value) -> NativeFunction
  {
    { interpreter, arguments, input, env, range, emit in
      // As jq calls its builtins written in C: the last argument outermost.
      try interpreter.evaluate(arguments[1], input, env) { b in
        try interpreter.evaluate(arguments[0], input, env) { a in try emit(try body(input, a, b, range)) }
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
    registerControl(&t)
    registerPaths(&t)
    registerCollections(&t)
    registerSorting(&t)
    registerGenerators(&t)
    registerMath(&t)
    registerConversions(&t)
    registerStrings(&t)
    registerSystem(&t)
    registerDates(&t)
    return t
  }()
}
