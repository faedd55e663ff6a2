/// Renames the free references of an expression: calls by `name/arity` and `$variables`, as
/// lexical scope resolves them (a `def`, a filter parameter or a pattern binding of the same
/// name hides the outer one). The module loader gives a module's definitions names no program
/// can write, so that importing a module never puts its private names in the importer's scope.
struct Renaming {
  /// `name/arity` → the new name.
  var functions: [String: String]
  /// Variable name (no `$`) → the new name.
  var variables: [String: String]

  /// `expr` with its free references renamed.
  func apply(_ expr: Expr) -> Expr {
    if functions.isEmpty && variables.isEmpty { return expr }
    switch expr {
    case .identity, .recurseAll, .literal, .format, .breakLabel: return expr
    case .string(let segments, let format):
      return .string(
        segments.map { segment in
          if case .interpolation(let inner) = segment { return .interpolation(apply(inner)) }
          return segment
        }, format: format)
    case .index(let target, let key, let range): return .index(apply(target), apply(key), range)
    case .slice(let target, let from, let to, let range):
      return .slice(apply(target), from.map(apply), to.map(apply), range)
    case .iterate(let target, let range): return .iterate(apply(target), range)
    case .tryCatch(let body, let handler): return .tryCatch(apply(body), handler.map(apply))
    case .optional(let step): return .optional(apply(step))
    case .array(let inner): return .array(inner.map(apply))
    case .object(let entries):
      return .object(entries.map { ObjectEntry(key: apply($0.key), value: apply($0.value)) })
    case .negate(let inner, let range): return .negate(apply(inner), range)
    case .pipe(let a, let b): return .pipe(apply(a), apply(b))
    case .comma(let a, let b): return .comma(apply(a), apply(b))
    case .binary(let op, let a, let b, let range): return .binary(op, apply(a), apply(b), range)
    case .and(let a, let b): return .and(apply(a), apply(b))
    case .or(let a, let b): return .or(apply(a), apply(b))
    case .alternative(let a, let b): return .alternative(apply(a), apply(b))
    case .assign(let op, let a, let b, let range): return .assign(op, apply(a), apply(b), range)
    case .ifThen(let condition, let then, let otherwise):
      return .ifThen(apply(condition), apply(then), otherwise.map(apply))
    case .label(let name, let body): return .label(name, apply(body))
    case .reduce(let source, let pattern, let initial, let update):
      let inner = hiding(variables: pattern.variables)
      return .reduce(apply(source), inner.apply(pattern), apply(initial), inner.apply(update))
    case .foreach(let source, let pattern, let initial, let update, let extract):
      let inner = hiding(variables: pattern.variables)
      return .foreach(
        apply(source), inner.apply(pattern), apply(initial), inner.apply(update), extract.map(inner.apply))
    case .bind(let source, let patterns, let body):
      let inner = hiding(variables: patterns.flatMap(\.variables))
      return .bind(apply(source), patterns.map(inner.apply), inner.apply(body))
    case .functionDefinition(let definition, let rest):
      let inner = hiding(functions: [definition.key])
      return .functionDefinition(inner.applyBody(of: definition), inner.apply(rest))
    case .call(let name, let arguments, let range):
      return .call(functions["\(name)/\(arguments.count)"] ?? name, arguments.map(apply), range)
    case .variable(let name, let range): return .variable(variables[name] ?? name, range)
    }
  }

  /// `definition` with its body renamed (its parameters hide outer names of theirs).
  func applyBody(of definition: FunctionDefinition) -> FunctionDefinition {
    var inner = self
    for parameter in definition.parameters {
      let name = parameter.hasPrefix("$") ? String(parameter.dropFirst()) : parameter
      inner.functions["\(name)/0"] = nil
      if parameter.hasPrefix("$") { inner.variables[name] = nil }
    }
    var renamed = definition
    renamed.body = inner.apply(definition.body)
    return renamed
  }

  /// The expressions inside a pattern's keys (`{(.k): $v}`), renamed.
  private func apply(_ pattern: Pattern) -> Pattern {
    switch pattern {
    case .variable: return pattern
    case .array(let items): return .array(items.map(apply))
    case .object(let entries):
      return .object(
        entries.map { entry in
          let key: PatternKey
          if case .expression(let expr) = entry.key { key = .expression(apply(expr)) } else { key = entry.key }
          return (key: key, pattern: entry.pattern.map(apply))
        })
    }
  }

  private func hiding(functions keys: [String] = [], variables names: [String] = []) -> Renaming {
    var inner = self
    for key in keys { inner.functions[key] = nil }
    for name in names { inner.variables[name] = nil }
    return inner
  }
}
