/// A jq expression. Each case keeps the source range of the construct for error reports.
indirect enum Expr: Sendable {
  /// `.`
  case identity
  /// `..` — every value, recursively, parents first.
  case recurseAll
  /// A constant.
  case literal(Value)
  /// `"…\(e)…"`, optionally under a format (`@base64 "…"`) applied to each interpolation.
  case string([StringSegment], format: String?)
  /// `@name` on its own: the input formatted.
  case format(String, SourceRange)
  /// `target[index]` or `target.name`.
  case index(Expr, Expr, SourceRange)
  /// `target[from:to]`; either bound may be absent.
  case slice(Expr, Expr?, Expr?, SourceRange)
  /// `target[]`.
  case iterate(Expr, SourceRange)
  /// `e?` or `try e catch handler` (handler nil: errors are swallowed).
  case tryCatch(Expr, Expr?)
  /// `?` right after an index, a slice or `[]`: only that step's error is dropped (the
  /// target's and the key's still stop the run), as in jq's grammar.
  case optional(Expr)
  /// `[e]`, collecting every output of `e` (nil for `[]`).
  case array(Expr?)
  /// `{k: v, …}`.
  case object([ObjectEntry])
  /// `-e`.
  case negate(Expr, SourceRange)
  /// `a | b`.
  case pipe(Expr, Expr)
  /// `a, b`.
  case comma(Expr, Expr)
  /// Arithmetic and comparison: `+ - * / % == != < <= > >=`.
  case binary(BinaryOperator, Expr, Expr, SourceRange)
  /// `a and b` (short-circuit, per output).
  case and(Expr, Expr)
  /// `a or b`.
  case or(Expr, Expr)
  /// `a // b`: the truthy outputs of `a`, or else the outputs of `b`.
  case alternative(Expr, Expr)
  /// `if c then a elif … else b end` (else nil means `.`).
  case ifThen(Expr, Expr, Expr?)
  /// `reduce source as $p (initial; update)`.
  case reduce(Expr, Pattern, Expr, Expr)
  /// `foreach source as $p (initial; update; extract)`.
  case foreach(Expr, Pattern, Expr, Expr, Expr?)
  /// `def name(params): body; rest`.
  case functionDefinition(FunctionDefinition, Expr)
  /// A call of a builtin or defined function, with filter arguments.
  case call(String, [Expr], SourceRange)
  /// `$name`.
  case variable(String, SourceRange)
  /// `source as $p | body` (several patterns: `?//` alternatives).
  case bind(Expr, [Pattern], Expr)
  /// `label $name | body`.
  case label(String, Expr)
  /// `break $name`.
  case breakLabel(String, SourceRange)
  /// `lhs op rhs` for `=`, `|=`, `+=`, `-=`, `*=`, `/=`, `%=`, `//=`.
  case assign(String, Expr, Expr, SourceRange)
}

/// A piece of a string literal.
enum StringSegment: Sendable {
  /// Literal text.
  case text(String)
  /// An interpolated expression.
  case interpolation(Expr)
}

/// One `key: value` of an object construction.
struct ObjectEntry: Sendable {
  /// The key: a constant, or an expression whose string outputs are used.
  var key: Expr
  /// The value; nil for shorthand (`{a}` means `{a: .a}`, `{$x}` means `{x: $x}`).
  var value: Expr
}

/// A binary operator.
enum BinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case modulo = "%"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
}

/// A destructuring pattern: `$x`, `[$a, $b]`, `{key: $v, $name}`.
indirect enum Pattern: Sendable {
  /// Binds the whole value.
  case variable(String)
  /// Binds elements by position.
  case array([Pattern])
  /// Binds members by key.
  case object([(key: PatternKey, pattern: Pattern?)])

  /// Every variable the pattern binds, in order.
  var variables: [String] {
    switch self {
    case .variable(let name): return [name]
    case .array(let items): return items.flatMap(\.variables)
    case .object(let entries):
      return entries.flatMap { entry -> [String] in
        var names: [String] = []
        if case .variable(let name) = entry.key { names.append(name) }
        return names + (entry.pattern?.variables ?? [])
      }
    }
  }
}

/// The key part of an object pattern entry.
enum PatternKey: Sendable {
  /// `$name`: key "name", also bound to `$name`.
  case variable(String)
  /// An expression giving the key (a plain name, a string, or `(e)`).
  case expression(Expr)
}

/// `def name(params): body;`.
struct FunctionDefinition: Sendable {
  /// The name.
  var name: String
  /// Parameter names; `$x` parameters are values, others are filters.
  var parameters: [String]
  /// The body.
  var body: Expr
  /// Where it is defined.
  var range: SourceRange

  /// Name with arity, e.g. `map/1`.
  var key: String { "\(name)/\(parameters.count)" }
}
