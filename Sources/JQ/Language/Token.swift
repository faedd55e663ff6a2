/// A lexical token with its place in the source.
struct Token: Sendable {
  /// What the token is.
  enum Kind: Sendable, Equatable {
    /// A name: `map`, `select`, `if`, `batch-size` is not one (see `word`).
    case identifier(String)
    /// `.name` (a field access).
    case field(String)
    /// `$name`.
    case variable(String)
    /// A number literal, with its text.
    case number(Double, String)
    /// A string literal, possibly with `\(…)` interpolations.
    case string([StringPart])
    /// `@name` (a format such as `@base64`).
    case format(String)
    /// `--name` (a command flag).
    case flag(String)
    /// Punctuation or an operator, e.g. `|`, `==`, `//=`, `?//`.
    case symbol(String)
    /// A newline that ends a statement.
    case newline
    /// The end of the text.
    case end
  }

  /// One piece of a string literal.
  enum StringPart: Sendable, Equatable {
    /// Literal text (escapes already decoded).
    case text(String)
    /// The tokens of a `\(…)` interpolation.
    case interpolation([Token])
  }

  /// The kind.
  let kind: Kind
  /// Where it is.
  let range: SourceRange
  /// Whether white space (or a comment) comes right before it.
  let spaceBefore: Bool

  /// Whether this is the symbol `text`.
  func `is`(_ text: String) -> Bool {
    if case .symbol(let symbol) = kind { return symbol == text }
    return false
  }

  /// Whether this is the identifier (or keyword) `text`.
  func isWord(_ text: String) -> Bool {
    if case .identifier(let name) = kind { return name == text }
    return false
  }
}

extension Token: Equatable {
  static func == (lhs: Token, rhs: Token) -> Bool { lhs.kind == rhs.kind && lhs.range.start == rhs.range.start }
}
