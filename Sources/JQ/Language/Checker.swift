/// Static checks jq makes before running a program: every function and `$variable` must be
/// defined, every `break` must have its `label`, and constant object keys must be strings.
struct Checker {
  /// Variables bound outside the program (`let` bindings, `$ENV`, `$ARGS`).
  var variables: Set<String>
  /// Functions defined outside the program (session `def`s), as `name/arity`.
  var functions: Set<String>
  /// Builtins an embedder registered, as `name/arity`.
  var natives: Set<String>

  /// A checker knowing `variables` and `functions` from the session.
  init(variables: Set<String> = [], functions: Set<String> = [], natives: Set<String> = []) {
    self.variables = variables
    self.functions = functions
    self.natives = natives
  }

  private struct Scope {
    var variables: Set<String>
    var functions: Set<String>
    var labels: Set<String>
  }

  /// Throws the first problem found.
  func check(_ expr: Expr) throws(Diagnostic) {
    try visit(
      expr, Scope(variables: variables.union(["ENV", "__loc__", "__prog_args"]), functions: functions, labels: []))
  }

  /// Whether `name/arity` is a builtin.
  static func isBuiltin(_ key: String) -> Bool {
    Builtins.table[key] != nil || Prelude.definitions[key] != nil
  }

  private func visit(_ expr: Expr, _ scope: Scope) throws(Diagnostic) {
    switch expr {
    case .identity, .recurseAll, .literal, .format: return
    case .string(let segments, _):
      for case .interpolation(let inner) in segments { try visit(inner, scope) }
    case .index(let target, let key, _):
      try visit(target, scope)
      try visit(key, scope)
    case .slice(let target, let from, let to, _):
      try visit(target, scope)
      if let from { try visit(from, scope) }
      if let to { try visit(to, scope) }
    case .iterate(let target, _), .negate(let target, _):
      try visit(target, scope)
    case .tryCatch(let body, let handler):
      try visit(body, scope)
      if let handler { try visit(handler, scope) }
    case .optional(let step):
      try visit(step, scope)
    case .array(let inner):
      if let inner { try visit(inner, scope) }
    case .object(let entries):
      for entry in entries {
        if case .literal(let key) = entry.key, key.stringValue == nil {
          throw Diagnostic(.syntax, "Cannot use \(describe(key)) as object key", at: nil)
        }
        try visit(entry.key, scope)
        try visit(entry.value, scope)
      }
    case .pipe(let a, let b), .comma(let a, let b), .and(let a, let b), .or(let a, let b), .alternative(let a, let b),
      .binary(_, let a, let b, _), .assign(_, let a, let b, _):
      try visit(a, scope)
      try visit(b, scope)
    case .ifThen(let condition, let then, let otherwise):
      try visit(condition, scope)
      try visit(then, scope)
      if let otherwise { try visit(otherwise, scope) }
    case .reduce(let source, let pattern, let initial, let update):
      try visit(source, scope)
      try visit(initial, scope)
      try visitPattern(pattern, scope)
      try visit(update, bind(pattern.variables, scope))
    case .foreach(let source, let pattern, let initial, let update, let extract):
      try visit(source, scope)
      try visit(initial, scope)
      try visitPattern(pattern, scope)
      let inner = bind(pattern.variables, scope)
      try visit(update, inner)
      if let extract { try visit(extract, inner) }
    case .functionDefinition(let definition, let rest):
      var inner = scope
      inner.functions.insert(definition.key)
      var body = inner
      for parameter in definition.parameters {
        if parameter.hasPrefix("$") {
          body.variables.insert(String(parameter.dropFirst()))
          body.functions.insert("\(parameter.dropFirst())/0")
        } else {
          body.functions.insert("\(parameter)/0")
        }
      }
      try visit(definition.body, body)
      try visit(rest, inner)
    case .call(let name, let arguments, let range):
      let key = "\(name)/\(arguments.count)"
      if !scope.functions.contains(key) && !natives.contains(key) && !Checker.isBuiltin(key) {
        let arities = (0...4).map { "\(name)/\($0)" }.filter { Checker.isBuiltin($0) || scope.functions.contains($0) }
        throw Diagnostic(
          .usage, "\(key) is not defined", at: range,
          hint: arities.isEmpty ? nil : "defined: \(arities.joined(separator: ", "))")
      }
      for argument in arguments { try visit(argument, scope) }
    case .variable(let name, let range):
      if !scope.variables.contains(name) { throw Diagnostic(.usage, "$\(name) is not defined", at: range) }
    case .bind(let source, let patterns, let body):
      try visit(source, scope)
      for pattern in patterns { try visitPattern(pattern, scope) }
      try visit(body, bind(patterns.flatMap(\.variables), scope))
    case .label(let name, let body):
      var inner = scope
      inner.labels.insert(name)
      try visit(body, inner)
    case .breakLabel(let name, let range):
      if !scope.labels.contains(name) { throw Diagnostic(.usage, "$*label-\(name) is not defined", at: range) }
    }
  }

  private func visitPattern(_ pattern: Pattern, _ scope: Scope) throws(Diagnostic) {
    guard case .object(let entries) = pattern else {
      if case .array(let items) = pattern { for item in items { try visitPattern(item, scope) } }
      return
    }
    for entry in entries {
      if case .expression(.literal(let key)) = entry.key, key.stringValue == nil {
        throw Diagnostic(.syntax, "Cannot use \(describe(key)) as object key", at: nil)
      }
      if case .expression(let key) = entry.key { try visit(key, bind(pattern.variables, scope)) }
      if let sub = entry.pattern { try visitPattern(sub, scope) }
    }
  }

  private func bind(_ names: [String], _ scope: Scope) -> Scope {
    var inner = scope
    inner.variables.formUnion(names)
    return inner
  }
}
