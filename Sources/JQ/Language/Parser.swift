/// Parses tokens into statements and jq expressions, following jq's precedence:
/// `|` < `,` < `//` < assignment < `or` < `and` < comparison < `+ -` < `* / %` < unary < postfix.
struct Parser {
  var tokens: [Token]
  var index = 0
  /// How deeply the expression being read is nested (see ``maxDepth``).
  var depth = 0
  /// The language hosting jq's expressions, if any: where its own stages start.
  let host: (any JQStageBoundary)?
  let source: Source
  /// The module file being read, if it is one (`$__loc__` names it).
  var moduleFile: String?

  /// A parser for `source`; `host`, when given, says where a stage of the hosting language
  /// starts (a `|` before it ends the jq expression).
  init(_ source: Source, host: (any JQStageBoundary)? = nil) throws(Diagnostic) {
    self.source = source
    self.tokens = try Lexer.tokenize(source)
    self.host = host
  }

  init(tokens: [Token], source: Source, host: (any JQStageBoundary)?) {
    self.tokens = tokens
    self.source = source
    self.host = host
  }

  /// Parses one jq program (no statements, no commands), e.g. for jq compatibility.
  static func parseExpression(_ source: Source) throws(Diagnostic) -> Expr {
    var parser = try Parser(source)
    parser.skipNewlines()
    let expr = try parser.parsePipe(allowCommandStages: false)
    parser.skipNewlines()
    try parser.expectEnd()
    return expr
  }

  /// Parses one jq program with its `module`, `import` and `include` header.
  static func parseJQProgram(_ source: Source) throws(Diagnostic) -> (ModuleHeader, Expr) {
    var parser = try Parser(source)
    let header = try parser.parseModuleHeader(allowModule: true)
    parser.skipNewlines()
    let expr = try parser.parsePipe(allowCommandStages: false)
    parser.skipNewlines()
    try parser.expectEnd()
    return (header, expr)
  }

  // MARK: Tokens

  var current: Token { tokens[index] }
  var nextToken: Token { tokens[min(index + 1, tokens.count - 1)] }

  mutating func advance() -> Token {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  mutating func skipNewlines() { while current.kind == .newline { index += 1 } }

  func describe(_ token: Token) -> String {
    switch token.kind {
    case .end: return "end of input"
    case .newline: return "end of line"
    default: return "'\(token.range.text)'"
    }
  }

  func unexpected(_ expectation: String, hint: String? = nil) -> Diagnostic {
    Diagnostic(.syntax, "unexpected \(describe(current)); \(expectation)", at: current.range, hint: hint)
  }

  mutating func expect(_ symbol: String, _ context: String) throws(Diagnostic) {
    guard current.is(symbol) else { throw unexpected("expected '\(symbol)' \(context)") }
    index += 1
  }

  mutating func expectWord(_ word: String, _ context: String) throws(Diagnostic) {
    guard current.isWord(word) else { throw unexpected("expected '\(word)' \(context)") }
    index += 1
  }

  func expectEnd() throws(Diagnostic) {
    guard current.kind == .end else { throw unexpected("expected the end of the program") }
  }

  static let keywords: Set<String> = [
    "def", "if", "then", "elif", "else", "end", "as", "reduce", "foreach", "try", "catch", "label", "import", "include",
    "and", "or", "__loc__",
  ]

}

extension Parser {
  /// How many tokens the name of a hosting language's stage at token `position` takes, if one
  /// starts there.
  func stageWidth(at position: Int) -> Int? {
    host?.stageWidth(at: position, in: JQHostParser(wrapping: self)).map { max(1, $0) }
  }

  /// Whether a stage of the hosting language starts at token `position`.
  func isCommandStart(at position: Int) -> Bool { stageWidth(at: position) != nil }
}
