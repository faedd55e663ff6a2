/// A function implemented in Swift: gets its (unevaluated) filter arguments, the input, the
/// caller's scope, and emits its outputs.
public typealias NativeFunction = @Sendable (
  _ interpreter: Interpreter, _ arguments: [Expr], _ input: Value, _ scope: Environment, _ range: SourceRange,
  _ emit: Interpreter.Emit
) throws -> Void

extension Interpreter {
  /// Registers a native function `name` taking `arity` filter arguments (for embedders).
  public func define(_ name: String, arity: Int, _ body: @escaping NativeFunction) {
    natives["\(name)/\(arity)"] = body
  }

  func call(
    _ name: String, _ arguments: [Expr], _ range: SourceRange, _ input: Value, _ env: Environment, _ emit: Emit
  ) throws {
    try checkInterrupt()
    let key = "\(name)/\(arguments.count)"
    if let callable = env.lookupFunction(key) {
      switch callable {
      case .closure(let expr, let scope): return try evaluate(expr, input, scope, emit)
      case .function(let definition, let scope):
        return try callDefinition(definition, scope, arguments, input, env, emit)
      }
    }
    if let native = natives[key] ?? Builtins.table[key] {
      return try native(self, arguments, input, env, range, emit)
    }
    if let definition = preludeDefinition(key) {
      return try callDefinition(definition, .empty, arguments, input, env, emit)
    }
    throw JQError("\(key) is not defined", at: range)
  }

  func preludeDefinition(_ key: String) -> FunctionDefinition? {
    if let cached = preludeCache[key] { return cached }
    guard let text = Prelude.definitions[key] else { return nil }
    let source = Source(name: "<builtin>", text: text + " .")
    guard case .functionDefinition(let definition, _)? = try? Parser.parseExpression(source) else {
      fatalError("prelude definition \(key) does not parse")
    }
    preludeCache[key] = definition
    return definition
  }

  /// Binds arguments to parameters and runs the body: filter parameters become closures over
  /// the caller's scope; `$name` parameters take each output of their argument in turn.
  func callDefinition(
    _ definition: FunctionDefinition, _ scope: Environment, _ arguments: [Expr], _ input: Value, _ caller: Environment,
    _ emit: Emit
  ) throws {
    callDepth += 1
    defer { callDepth -= 1 }
    if callDepth > maxCallDepth {
      throw JQError("function calls nested deeper than \(maxCallDepth) (runaway recursion in \(definition.key)?)")
    }
    // The frame that binds the function to itself, so the body can recurse.
    var body = Environment(parent: scope, binding: .function(definition.key, definition))
    if case .function(let bound, _)? = scope.binding, bound == definition.key { body = scope }
    var valueParameters: [(String, Expr)] = []
    for (parameter, argument) in zip(definition.parameters, arguments) {
      if parameter.hasPrefix("$") {
        valueParameters.append((String(parameter.dropFirst()), argument))
      } else {
        body = Environment(parent: body, binding: .closure("\(parameter)/0", argument, caller))
      }
    }
    if valueParameters.isEmpty { return try evaluate(definition.body, input, body, emit) }
    try bindValues(valueParameters[...], input, caller, body) { scope in
      try evaluate(definition.body, input, scope, emit)
    }
  }

  private func bindValues(
    _ parameters: ArraySlice<(String, Expr)>, _ input: Value, _ caller: Environment, _ scope: Environment,
    _ body: (Environment) throws -> Void
  ) throws {
    guard let (name, argument) = parameters.first else { return try body(scope) }
    try evaluate(argument, input, caller) { value in
      let bound = Environment(parent: scope, binding: .value(name, value))
      let asFilter = Environment(parent: bound, binding: .closure("\(name)/0", .literal(value), .empty))
      try bindValues(parameters.dropFirst(), input, caller, asFilter, body)
    }
  }

  /// Evaluates each argument as a value (cartesian product, first argument outermost).
  func withArguments(
    _ arguments: [Expr], _ input: Value, _ env: Environment, _ body: ([Value]) throws -> Void
  ) throws {
    func loop(_ index: Int, _ values: [Value]) throws {
      guard index < arguments.count else { return try body(values) }
      try evaluate(arguments[index], input, env) { value in try loop(index + 1, values + [value]) }
    }
    try loop(0, [])
  }

  // MARK: Patterns

  func bind(_ pattern: Pattern, _ value: Value, _ input: Value, _ env: Environment, _ body: (Environment) throws -> Void)
    throws
  {
    switch pattern {
    case .variable(let name):
      try body(Environment(parent: env, binding: .value(name, value)))
    case .array(let items):
      func loop(_ index: Int, _ scope: Environment) throws {
        guard index < items.count else { return try body(scope) }
        let element: Value
        switch value {
        case .array(let array): element = index < array.count ? array[index] : .null
        case .null: element = .null
        default: throw JQError("Cannot index \(value.typeName) with number")
        }
        try bind(items[index], element, input, scope) { try loop(index + 1, $0) }
      }
      try loop(0, env)
    case .object(let entries):
      func loop(_ index: Int, _ scope: Environment) throws {
        guard index < entries.count else { return try body(scope) }
        let entry = entries[index]
        func member(_ key: Value) throws -> Value {
          guard case .string = key else { throw JQError("Cannot index \(value.typeName) with \(key.typeName)") }
          switch value {
          case .object(let object): return object[key.stringValue!] ?? .null
          case .null: return .null
          default: throw JQError("Cannot index \(value.typeName) with string (\(errorText(key)))")
          }
        }
        switch entry.key {
        case .variable(let name):
          let element = try member(.string(name))
          let bound = Environment(parent: scope, binding: .value(name, element))
          if let sub = entry.pattern {
            try bind(sub, element, input, bound) { try loop(index + 1, $0) }
          } else {
            try loop(index + 1, bound)
          }
        case .expression(let keyExpr):
          try evaluate(keyExpr, input, scope) { key in
            guard case .string = key else { throw JQError("Cannot index \(value.typeName) with \(key.typeName)") }
            try bind(entry.pattern!, try member(key), input, scope) { try loop(index + 1, $0) }
          }
        }
      }
      try loop(0, env)
    }
  }

  /// `source as P1 ?// P2 … | body`: the first pattern that binds without error is used;
  /// every variable of every pattern is bound (null when its pattern is not the one used).
  func bindPatterns(
    _ patterns: [Pattern], _ value: Value, _ input: Value, _ env: Environment, _ body: (Environment) throws -> Void
  ) throws {
    if patterns.count == 1 { return try bind(patterns[0], value, input, env, body) }
    let all = patterns.flatMap(\.variables)
    var nulls = env
    for name in all { nulls = Environment(parent: nulls, binding: .value(name, .null)) }
    for (position, pattern) in patterns.enumerated() {
      do {
        try bind(pattern, value, input, nulls) { scope in
          do { try body(scope) } catch let error as JQError where position < patterns.count - 1 {
            throw Downstream(error: error)
          }
        }
        return
      } catch let downstream as Downstream {
        // An error in the body moves on to the next alternative, as jq does.
        if position == patterns.count - 1 { throw downstream.error }
        continue
      } catch let error as JQError {
        if position == patterns.count - 1 { throw error }
      }
    }
  }
}
