/// Reads a language that hosts jq expressions (as nwsh's pipelines do): the host walks the
/// tokens of its own grammar and asks for a jq expression, a `def` or a module directive where
/// its grammar has one. What it gets back is opaque, compiled and run by a ``JQScope``.
///
/// ```swift
/// // `let NAME = EXPR`, a statement of some host language:
/// let scope = JQScope()
/// var parser = try JQHostParser(Source(name: "<stdin>", text: "let n = 1 + 2"))
/// if parser.token.identifier == "let" {
///   parser.advance()
///   guard let name = parser.token.identifier else { throw parser.unexpected("expected a name") }
///   parser.advance()
///   try parser.expect("=", "after the name")
///   guard let value = try scope.compile(parser.parsePipe(stopsAtStages: false)).first(.null) else { return }
///   scope.bind(value, to: name)  // $n is 3 in what the scope compiles next
/// }
/// ```
///
/// The tokens are jq's, with one addition: `--name` is a flag token, for the host's commands.
/// The catalog's *Hosting jq in another language* runs a whole (small) host language.
///
/// Threading: a value; use each copy on one thread at a time.
public struct JQHostParser: Sendable {
  var parser: Parser

  /// A parser of `source`; `stages`, when given, says where a stage of the hosting language
  /// starts, so that ``parsePipe(stopsAtStages:)`` ends the expression at the `|` before it.
  public init(_ source: Source, stages: (any JQStageBoundary)? = nil) throws(Diagnostic) {
    parser = try Parser(source, host: stages)
  }

  init(wrapping parser: Parser) { self.parser = parser }

  // MARK: Tokens

  /// The current token.
  public var token: JQToken { JQToken(parser.current) }

  /// The token at `position` (the end token past the last one).
  public func token(at position: Int) -> JQToken {
    JQToken(parser.tokens[max(0, min(position, parser.tokens.count - 1))])
  }

  /// Where the current token is in the text's tokens (see ``token(at:)``).
  public var position: Int { parser.index }

  /// Where the token before the current one is (where what was just read ends).
  public var previousRange: SourceRange { parser.tokens[max(0, parser.index - 1)].range }

  /// The current token; the parser moves past it (never past the end).
  @discardableResult
  public mutating func advance() -> JQToken { JQToken(parser.advance()) }

  /// Moves past line ends.
  public mutating func skipNewlines() { parser.skipNewlines() }

  /// A syntax error at the current token: "unexpected …; `expectation`".
  public func unexpected(_ expectation: String, hint: String? = nil) -> Diagnostic {
    parser.unexpected(expectation, hint: hint)
  }

  /// Moves past the symbol `symbol`, or throws "unexpected …; expected '`symbol`' `context`"
  /// (`context` says where: "after the name in `let x =`").
  public mutating func expect(_ symbol: String, _ context: String) throws(Diagnostic) {
    try parser.expect(symbol, context)
  }

  // MARK: jq's constructs

  /// An expression up to the end of the text, a `)`, `;` or line end it cannot continue past;
  /// with `stopsAtStages`, also up to a `|` that a host's stage follows.
  public mutating func parsePipe(stopsAtStages: Bool) throws(Diagnostic) -> JQExpression {
    let start = parser.current.range
    let expr = try parser.parsePipe(allowCommandStages: stopsAtStages)
    return JQExpression(expr, start.through(previousRange))
  }

  /// An expression that stops at a top-level `|`: a command's argument. (An argument that
  /// starts with `def` or `label` takes the `|`s after it, as jq's grammar has it, up to a
  /// host's stage.)
  public mutating func parseArgument() throws(Diagnostic) -> JQExpression {
    let start = parser.current.range
    let expr = try parser.parseCommaLevel()
    return JQExpression(expr, start.through(previousRange))
  }

  /// A term with its suffixes (`$file`, `$ARGS.positional[0]`, `.a.b?`): no operators.
  public mutating func parseSuffixedTerm() throws(Diagnostic) -> JQExpression {
    let start = parser.current.range
    let expr = try parser.parsePostfix()
    return JQExpression(expr, start.through(previousRange))
  }

  /// `def name(params): body;` (the current token being `def`).
  public mutating func parseDefinition() throws(Diagnostic) -> JQDefinition {
    JQDefinition(try parser.parseFunctionDefinition())
  }

  /// Whether the next tokens are `import "…"` or `include "…"`.
  public var atModuleDirective: Bool { parser.atModuleDirective }

  /// `import "path" as name [meta]`, `import "path" as $name [meta]` or `include "path"
  /// [meta]`, as a statement: the `;` or line end after it is left to the host.
  public mutating func parseModuleDirective() throws(Diagnostic) -> JQModuleDirective {
    JQModuleDirective(try parser.parseModuleDirective(statement: true))
  }

  /// Whether the next tokens are `module {`.
  public var atModuleMetadata: Bool { parser.current.isWord("module") && parser.nextToken.is("{") }

  /// `module {…}`: the constant object a module describes itself with.
  public mutating func parseModuleMetadata() throws(Diagnostic) -> JSONObject {
    let start = parser.advance().range
    let expr = try parser.parsePipe(allowCommandStages: false)
    return try parser.metadataObject(expr, at: start.through(previousRange))
  }
}

/// Where a stage of a hosting language begins, so that jq's expression before it ends there.
///
/// The parser asks while it reads an expression: an implementation reads tokens of the parser it
/// is given (``JQHostParser/token(at:)``) and nothing else.
public protocol JQStageBoundary: Sendable {
  /// How many tokens (at least 1) the name of the host's stage that starts at token `position`
  /// takes, or nil when none starts there.
  func stageWidth(at position: Int, in parser: JQHostParser) -> Int?

  /// The error for a stage that starts at token `position` inside the expression an `as`
  /// binds over (`.x as $v | stage`), which jq's grammar would make part of the binding.
  func bindingError(overStageAt position: Int, in parser: JQHostParser) -> Diagnostic
}

extension JQStageBoundary {
  /// "'name' starts a stage: it cannot be inside the expression that `as` binds over".
  public func bindingError(overStageAt position: Int, in parser: JQHostParser) -> Diagnostic {
    let width = max(1, stageWidth(at: position, in: parser) ?? 1)
    let name = parser.token(at: position).range.through(parser.token(at: position + width - 1).range)
    return Diagnostic(
      .syntax, "'\(name.text)' starts a stage: it cannot be inside the expression that `as` binds over",
      at: parser.token(at: position).range, hint: "keep the binding inside one stage")
  }
}

/// A token of jq's grammar (and a host's flags), as a host reads it.
public struct JQToken: Sendable {
  let token: Token

  init(_ token: Token) { self.token = token }

  /// Where it is.
  public var range: SourceRange { token.range }
  /// Its text, as written.
  public var text: String { token.range.text }
  /// Whether white space (or a comment) comes right before it.
  public var spaceBefore: Bool { token.spaceBefore }

  /// The name, when it is one (`map`, `let`; jq's keywords too; `add-users` is three tokens).
  public var identifier: String? {
    if case .identifier(let name) = token.kind { return name }
    return nil
  }
  /// The flag's name without `--`, when it is `--name`.
  public var flag: String? {
    if case .flag(let name) = token.kind { return name }
    return nil
  }
  /// The value of a number literal.
  public var number: Double? {
    if case .number(let value, _) = token.kind { return value }
    return nil
  }
  /// The text of a string literal without interpolations.
  public var plainString: String? {
    if case .string(let parts) = token.kind, parts.count == 1, case .text(let text) = parts[0] { return text }
    return nil
  }
  /// Whether it is a `$name`.
  public var isVariable: Bool {
    if case .variable = token.kind { return true }
    return false
  }
  /// Whether it ends a line.
  public var isNewline: Bool { token.kind == .newline }
  /// Whether it is the end of the text.
  public var isEnd: Bool { token.kind == .end }
  /// Whether it is the symbol `symbol` (`|`, `;`, `(`, `=`…).
  public func `is`(_ symbol: String) -> Bool { token.is(symbol) }
}

/// A jq expression read by a ``JQHostParser``: compiled and run by a ``JQScope``.
public struct JQExpression: Sendable {
  let expr: Expr
  /// Where it is written.
  public let range: SourceRange

  init(_ expr: Expr, _ range: SourceRange) {
    self.expr = expr
    self.range = range
  }

  /// `.` (the input itself), as if written at `range`.
  public static func identity(at range: SourceRange) -> JQExpression { JQExpression(.identity, range) }

  /// `def …; body`: `definition` in scope for `body` only, as jq reads a `def` before an
  /// expression.
  public init(_ definition: JQDefinition, scopedOver body: JQExpression) {
    self.init(.functionDefinition(definition.definition, body.expr), definition.range.through(body.range))
  }
}

/// A `def` read by a ``JQHostParser``, for ``JQScope/define(_:)-(JQDefinition)``.
public struct JQDefinition: Sendable {
  let definition: FunctionDefinition

  init(_ definition: FunctionDefinition) { self.definition = definition }

  /// The function's name.
  public var name: String { definition.name }
  /// Where it starts (its `def`).
  public var range: SourceRange { definition.range }
}

/// An `import` or `include` read by a ``JQHostParser``, for ``JQScope/link(_:from:)``.
public struct JQModuleDirective: Sendable {
  let directive: ModuleDirective

  init(_ directive: ModuleDirective) { self.directive = directive }

  /// Whether it is an `include` (whose names are known only when it is linked).
  public var isInclude: Bool { directive.kind == .include }
  /// Where it is written.
  public var range: SourceRange { directive.range }
}
