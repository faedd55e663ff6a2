/// Which top-level members of an object row a stage — and every stage after it — can observe.
///
/// A reader asks the stage it feeds for its demand and, when it is a set of names, builds only
/// those members of each object row: the rest of the text is still checked exactly as a full
/// parse would check it (so the same rows are invalid, with the same messages), but no value
/// is made for it. `read | map {name: .first_name, email}` thus never builds a row's other
/// seven fields.
public enum FieldDemand: Sendable, Equatable {
  /// The whole row may be observed.
  case all
  /// Only these members of an object row (other rows are always whole).
  case fields(Set<String>)

  /// Both demands.
  public func union(_ other: FieldDemand) -> FieldDemand {
    guard case .fields(let mine) = self, case .fields(let theirs) = other else { return .all }
    return .fields(mine.union(theirs))
  }

  /// What evaluating `expr` on a row can observe of it.
  ///
  /// Conservative: a name counts only when the row reaches it as the base of a constant
  /// member access (`.email`, `.a.b`, `{email}`, `.name?`). A bare `.`, `..`, iteration, an
  /// assignment, a format, or a call that receives the row (anything but a few builtins that
  /// never look at their input) makes the demand `.all`. A stage after a pipe sees only what
  /// the left side made, and that can be the row only through one of those forms.
  /// Definitions in `bindings` that shadow a builtin the walk trusts make it `.all`.
  static func of(_ expr: Expr, in bindings: Bindings) -> FieldDemand {
    if RowUse.blind.contains(where: bindings.defines) { return .all }
    var names = Set<String>()
    return RowUse.visit(expr, &names) ? .fields(names) : .all
  }
}

/// The walk behind ``FieldDemand/of(_:in:)``: every function returns false when the row may be
/// observed beyond the names collected.
private enum RowUse {
  /// Builtins whose outputs never include their input and whose arguments run on it.
  static let blind: Set<String> = [
    "empty/0", "error/1", "now/0", "env/0", "builtins/0", "input_filename/0", "infinite/0", "nan/0",
    "null/0", "true/0", "false/0", "range/1", "range/2", "range/3", "first/1", "last/1", "limit/2",
    "isempty/1", "not/0",
  ]

  /// `expr` runs with the row as its input.
  static func visit(_ expr: Expr, _ names: inout Set<String>) -> Bool {
    switch expr {
    case .identity, .recurseAll, .format, .assign: return false
    case .literal, .variable, .breakLabel: return true
    case .string(let segments, _):
      for case .interpolation(let part) in segments where !visit(part, &names) { return false }
      return true
    case .index(.identity, let key, _):
      guard let name = constantName(key) else { return false }
      names.insert(name)
      return true
    case .index(let base, let key, _): return visit(base, &names) && visit(key, &names)
    case .slice(let base, let from, let to, _):
      return visit(base, &names) && (from.map { visit($0, &names) } ?? true) && (to.map { visit($0, &names) } ?? true)
    case .iterate(let base, _): return visit(base, &names)
    case .tryCatch(let body, _): return visit(body, &names)  // the handler gets the error
    case .optional(let step): return visit(step, &names)
    case .array(let body): return body.map { visit($0, &names) } ?? true
    case .object(let entries):
      for entry in entries {
        if constantName(entry.key) == nil && !visit(entry.key, &names) { return false }
        if !visit(entry.value, &names) { return false }
      }
      return true
    case .negate(let operand, _): return visit(operand, &names)
    case .pipe(let left, _): return visit(left, &names)  // the right side gets what the left made
    case .comma(let a, let b), .binary(_, let a, let b, _), .and(let a, let b), .or(let a, let b),
      .alternative(let a, let b):
      return visit(a, &names) && visit(b, &names)
    case .ifThen(let condition, let then, let otherwise):
      guard let otherwise else { return false }  // no else: the row itself
      return visit(condition, &names) && visit(then, &names) && visit(otherwise, &names)
    case .reduce(let source, let pattern, let initial, _):
      return plain(pattern) && visit(source, &names) && visit(initial, &names)
    case .foreach(let source, let pattern, let initial, _, _):
      return plain(pattern) && visit(source, &names) && visit(initial, &names)
    case .bind(let source, let patterns, let body):
      return patterns.allSatisfy(plain) && visit(source, &names) && visit(body, &names)
    case .label(_, let body): return visit(body, &names)
    case .functionDefinition(let definition, let rest):
      // A call of the definition is a call like any other; its body is not the row's concern
      // unless called on it, which the call itself refuses. Shadowing a blind builtin is not.
      if blind.contains(definition.key) { return false }
      return visit(rest, &names)
    case .call(let name, let arguments, _):
      guard blind.contains("\(name)/\(arguments.count)") else { return false }
      return arguments.allSatisfy { visit($0, &names) }
    }
  }

  /// A constant key: `"name"` or an interpolation-free string.
  static func constantName(_ key: Expr) -> String? {
    switch key {
    case .literal(.string(let name)): return name
    case .string(let segments, nil):
      var text = ""
      for segment in segments {
        guard case .text(let part) = segment else { return nil }
        text += part
      }
      return text
    default: return nil
    }
  }

  /// A pattern with no computed keys (those run on the input too).
  static func plain(_ pattern: Pattern) -> Bool {
    switch pattern {
    case .variable: return true
    case .array(let items): return items.allSatisfy(plain)
    case .object(let entries):
      return entries.allSatisfy { entry in
        if case .expression(let key) = entry.key, constantName(key) == nil { return false }
        return entry.pattern.map(plain) ?? true
      }
    }
  }
}
