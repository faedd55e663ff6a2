/// Turns an `Expr` into a ``Filter`` tree, once: every `$variable` becomes a frame slot, every
/// call a direct reference (to a `def`, a filter parameter, a Swift builtin or a builtin written
/// in jq), and calls of a function to itself in tail position become loops.
///
/// Threading: one compilation at a time, on one thread.
final class Compiler {
  let interpreter: Interpreter
  /// Self tail calls compiled so far in the body of the innermost definition being compiled.
  private var tailCalls = 0

  init(interpreter: Interpreter) { self.interpreter = interpreter }

  /// The function whose body is being compiled, when the expression at hand is in tail
  /// position in it (its outputs are the body's last outputs).
  struct Tail {
    let function: Function
    /// Parameter `i`'s name, as written without `$`.
    let parameters: [String]
  }

  func compile(_ expr: Expr, _ scope: Scope, _ level: Level, tail: Tail? = nil) throws -> Filter {
    switch expr {
    case .identity:
      return IdentityFilter()
    case .recurseAll:
      return RecurseAllFilter()
    case .literal(let value):
      return LiteralFilter(value)
    case .string(let segments, let format):
      return StringFilter(
        try segments.map { segment in
          switch segment {
          case .text(let text): return .text(text)
          case .interpolation(let inner): return .value(try compile(inner, scope, level))
          }
        }, format: format)
    case .format(let name, let range):
      return FormatFilter(name, range)
    case .index(let target, .literal(.string(let key)), let range):
      if case .identity = target { return FieldFilter(nil, key, range) }
      return FieldFilter(try compile(target, scope, level), key, range)
    case .index(let target, let key, let range):
      return IndexFilter(try compile(target, scope, level), try compile(key, scope, level), range)
    case .slice(let target, let from, let to, let range):
      return SliceFilter(
        try compile(target, scope, level), try from.map { try compile($0, scope, level) },
        try to.map { try compile($0, scope, level) },
        range)
    case .iterate(let target, let range):
      return IterateFilter(try compile(target, scope, level), range)
    case .tryCatch(let body, let handler):
      return TryFilter(try compile(body, scope, level), try handler.map { try compile($0, scope, level) })
    case .optional(let step):
      switch step {
      case .index(let target, .literal(.string(let key)), let range):
        if case .identity = target { return FieldFilter(nil, key, range, optional: true) }
        return FieldFilter(try compile(target, scope, level), key, range, optional: true)
      case .index(let target, let key, let range):
        return IndexFilter(try compile(target, scope, level), try compile(key, scope, level), range, optional: true)
      case .slice(let target, let from, let to, let range):
        return SliceFilter(
          try compile(target, scope, level), try from.map { try compile($0, scope, level) },
          try to.map { try compile($0, scope, level) }, range, optional: true)
      case .iterate(let target, let range):
        return IterateFilter(try compile(target, scope, level), range, optional: true)
      default:
        return TryFilter(try compile(step, scope, level), nil)
      }
    case .array(let inner):
      return ArrayFilter(try inner.map { try compile($0, scope, level) })
    case .object(let entries):
      return ObjectFilter(
        try entries.map { entry in
          var constant: String?
          if case .literal(.string(let key)) = entry.key { constant = key }
          return ObjectFilter.Entry(
            key: try compile(entry.key, scope, level), constantKey: constant,
            value: try compile(entry.value, scope, level))
        })
    case .negate(let inner, let range):
      return NegateFilter(try compile(inner, scope, level), range)
    case .pipe(let lhs, let rhs):
      return PipeFilter(try compile(lhs, scope, level), try compile(rhs, scope, level, tail: tail))
    case .comma(let lhs, let rhs):
      return CommaFilter(try compile(lhs, scope, level), try compile(rhs, scope, level, tail: tail))
    case .binary(let op, let lhs, let rhs, let range):
      return BinaryFilter(op, try compile(lhs, scope, level), try compile(rhs, scope, level), range)
    case .and(let lhs, let rhs):
      return ShortCircuitFilter(try compile(lhs, scope, level), try compile(rhs, scope, level), decisive: false)
    case .or(let lhs, let rhs):
      return ShortCircuitFilter(try compile(lhs, scope, level), try compile(rhs, scope, level), decisive: true)
    case .alternative(let lhs, let rhs):
      return AlternativeFilter(try compile(lhs, scope, level), try compile(rhs, scope, level))
    case .ifThen(let condition, let then, let otherwise):
      return IfFilter(
        try compile(condition, scope, level), try compile(then, scope, level, tail: tail),
        try otherwise.map { try compile($0, scope, level, tail: tail) })
    case .reduce(let source, let pattern, let initial, let update):
      let (binder, _, inner) = try binders([pattern], scope, level)
      return ReduceFilter(
        try compile(source, scope, level), binder[0], try compile(initial, scope, level),
        try compile(update, inner, level))
    case .foreach(let source, let pattern, let initial, let update, let extract):
      let (binder, _, inner) = try binders([pattern], scope, level)
      return ForeachFilter(
        try compile(source, scope, level), binder[0], try compile(initial, scope, level),
        try compile(update, inner, level),
        try extract.map { try compile($0, inner, level) })
    case .functionDefinition(let definition, let rest):
      let (_, inner) = try define(definition, scope, level)
      return try compile(rest, inner, level, tail: tail)
    case .call(let name, let arguments, let range):
      return try call(name, arguments, range, scope, level, tail: tail)
    case .variable(let name, let range):
      if let (bound, slot) = scope.variable(name) {
        return VariableFilter(hops: level.depth - bound.depth, slot: slot, name: name)
      }
      if name == "ENV" { return EnvironmentFilter() }
      throw JQError("$\(name) is not defined", at: range)
    case .bind(let source, let patterns, let body):
      let (binders, slots, inner) = try binders(patterns, scope, level)
      return BindFilter(
        try compile(source, scope, level), binders, allSlots: slots, try compile(body, inner, level, tail: tail))
    case .label(let name, let body):
      let slot = level.allocate()
      return LabelFilter(slot: slot, try compile(body, scope.adding(.label(name, level, slot)), level))
    case .breakLabel(let name, let range):
      guard let (bound, slot) = scope.label(name) else { throw JQError("$*label-\(name) is not defined", at: range) }
      return BreakFilter(hops: level.depth - bound.depth, slot: slot)
    case .assign(let op, let lhs, let rhs, let range):
      return AssignFilter(op, try compile(lhs, scope, level), try compile(rhs, scope, level), range)
    }
  }

  // MARK: Definitions

  /// Compiles `def name(params): body;` at `level`; returns the function and the scope that
  /// knows it. A `$param` is a filter parameter whose body binds it: `def f($a): body` is
  /// `def f(a): a as $a | body`, as in jq.
  func define(_ definition: FunctionDefinition, _ scope: Scope, _ level: Level) throws -> (Function, Scope) {
    let bodyLevel = Level(depth: level.depth + 1)
    let names = definition.parameters.map { $0.hasPrefix("$") ? String($0.dropFirst()) : $0 }
    let function = Function(
      key: definition.key, valueParameters: definition.parameters.map { $0.hasPrefix("$") }, level: bodyLevel)
    let outer = scope.adding(.function(definition.key, function, level))
    var inner = outer
    for name in names { inner = inner.adding(.parameter("\(name)/0", bodyLevel, bodyLevel.allocate())) }
    // The `$param` bindings, innermost around the body.
    var valueSlots: [(slot: Int, parameter: Int)] = []
    for (index, parameter) in definition.parameters.enumerated() where parameter.hasPrefix("$") {
      let slot = bodyLevel.allocate()
      inner = inner.adding(.variable(names[index], bodyLevel, slot))
      valueSlots.append((slot, index))
    }
    let outerTailCalls = tailCalls
    tailCalls = 0
    defer { tailCalls = outerTailCalls }
    var body = try compile(definition.body, inner, bodyLevel, tail: Tail(function: function, parameters: names))
    for (slot, parameter) in valueSlots.reversed() {
      body = BindFilter(
        ClosureCallFilter(hops: 0, slot: parameter, name: names[parameter]), [.slot(slot)], allSlots: [slot], body)
    }
    function.body = tailCalls > 0 ? TailLoopFilter(body) : body
    return (function, outer)
  }

  // MARK: Calls

  private func call(
    _ name: String, _ arguments: [Expr], _ range: SourceRange, _ scope: Scope, _ level: Level, tail: Tail?
  ) throws -> Filter {
    let key = "\(name)/\(arguments.count)"
    switch scope.function(key) {
    case .parameter(_, let bound, let slot)?:
      return ClosureCallFilter(hops: level.depth - bound.depth, slot: slot, name: name)
    case .function(_, let function, let defined)?:
      if let tail, tail.function === function, level === function.level,
        let passing = try tailArguments(arguments, tail, scope, level)
      {
        tailCalls += 1
        return TailCallFilter(function, passing, range)
      }
      return CallFunctionFilter(
        function, hops: level.depth - defined.depth, try arguments.map { try compile($0, scope, level) }, range)
    default:
      break
    }
    let compiled = { try arguments.map { try self.compile($0, scope, level) } }
    if let native = interpreter.natives[key] { return NativeCallFilter(key: key, native, try compiled(), range) }
    if let unary = Builtins.unaries[key] { return UnaryNativeFilter(unary, range) }
    if let native = Builtins.table[key] { return NativeCallFilter(key: key, native, try compiled(), range) }
    if let function = try interpreter.preludeFunction(key) {
      return CallFunctionFilter(function, hops: nil, try compiled(), range)
    }
    throw JQError("\(key) is not defined", at: range)
  }

  /// How a self tail call passes its arguments on, or nil when it cannot (then it is an
  /// ordinary call): each must be the function's own parameter, or a single value for a
  /// `$param`.
  private func tailArguments(_ arguments: [Expr], _ tail: Tail, _ scope: Scope, _ level: Level) throws
    -> [TailArgument]?
  {
    var passing: [TailArgument] = []
    for (index, argument) in arguments.enumerated() {
      if case .call(let name, let inner, _) = argument, inner.isEmpty, name == tail.parameters[index],
        case .parameter(_, let bound, let slot)? = scope.function("\(name)/0"), bound === tail.function.level
      {
        passing.append(.same(slot))
        continue
      }
      guard tail.function.valueParameters[index] else { return nil }
      let filter = try compile(argument, scope, level)
      guard filter.isSingle else { return nil }
      passing.append(.value(filter))
    }
    return passing
  }

  // MARK: Patterns

  /// Binders for `patterns` (several: `?//` alternatives, sharing a slot per name), the slots
  /// of all their variables, and the scope that knows them.
  private func binders(_ patterns: [Pattern], _ scope: Scope, _ level: Level) throws -> ([Binder], [Int], Scope) {
    var slots: [String: Int] = [:]
    var order: [String] = []
    func slot(_ name: String) -> Int {
      if let existing = slots[name] { return existing }
      let new = level.allocate()
      slots[name] = new
      order.append(name)
      return new
    }
    func binder(_ pattern: Pattern) throws -> Binder {
      if case .variable(let name) = pattern { return .slot(slot(name)) }
      // The variables in the order they are written (the order `?//` and `$__loc__` see)...
      func declare(_ pattern: Pattern) {
        switch pattern {
        case .variable(let name): _ = slot(name)
        case .array(let items): items.forEach(declare)
        case .object(let entries):
          for entry in entries {
            if case .variable(let name) = entry.key { _ = slot(name) }
            if let sub = entry.pattern { declare(sub) }
          }
        }
      }
      declare(pattern)
      // ...and the values taken depth first, an array's elements from the last (as jq does:
      // `1 as [$a, $b]` fails at index 1), an object's members from the first, each value
      // reached kept in a register of its own.
      var steps: [BindingSteps.Step] = []
      var registers = 1
      func walk(_ pattern: Pattern, at register: Int) throws {
        switch pattern {
        case .variable(let name): steps.append(.assign(slot: slot(name), from: register))
        case .array(let items):
          for (index, item) in items.enumerated().reversed() {
            let target = registers
            registers += 1
            steps.append(.element(from: register, index: index, to: target))
            try walk(item, at: target)
          }
        case .object(let entries):
          for entry in entries {
            let target = registers
            registers += 1
            switch entry.key {
            case .variable(let name):
              steps.append(.member(from: register, key: name, to: target))
              steps.append(.assign(slot: slot(name), from: target))
            case .expression(let expr):
              steps.append(.computedMember(from: register, key: try compile(expr, scope, level), to: target))
            }
            if let sub = entry.pattern { try walk(sub, at: target) }
          }
        }
      }
      try walk(pattern, at: 0)
      return .steps(BindingSteps(steps, registers: registers))
    }
    let compiled = try patterns.map(binder)
    var inner = scope
    for name in order { inner = inner.adding(.variable(name, level, slots[name]!)) }
    return (compiled, order.map { slots[$0]! }, inner)
  }
}
