/// A lexical token with its place in the source.
package struct Token: Sendable {
  /// What the token is.
  package enum Kind: Sendable, Equatable {
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
  package enum StringPart: Sendable, Equatable {
    /// Literal text (escapes already decoded).
    case text(String)
    /// The tokens of a `\(…)` interpolation.
    case interpolation([Token])
  }

  /// The kind.
  package let kind: Kind
  /// Where it is.
  package let range: SourceRange
  /// Whether white space (or a comment) comes right before it.
  package let spaceBefore: Bool

  /// A token of `kind` at `range`.
  package init(kind: Kind, range: SourceRange, spaceBefore: Bool) {
    self.kind = kind
    self.range = range
    self.spaceBefore = spaceBefore
  }

  /// Whether this is the symbol `text`.
  package func `is`(_ text: String) -> Bool {
    if case .symbol(let symbol) = kind { return symbol == text }
    return false
  }

  /// Whether this is the identifier (or keyword) `text`.
  package func isWord(_ text: String) -> Bool {
    if case .identifier(let name) = kind { return name == text }
    return false
  }
}

extension Token: Equatable {
  package static func == (lhs: Token, rhs: Token) -> Bool { lhs.kind == rhs.kind && lhs.range.start == rhs.range.start }
}
