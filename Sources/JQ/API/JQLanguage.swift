/// What a host needs to know of jq's language: its keywords, its builtins and their help, and
/// whether a text stops in the middle of an expression.
public enum JQLanguage {
  /// The words that cannot name a function: `def`, `if`, `reduce`, `and`…
  public static var keywords: Set<String> { Parser.keywords }

  /// The names of jq's builtins (each once, whatever its arities).
  public static var builtinNames: Set<String> { Builtins.names }

  /// One line on builtin `name`, its forms (`name/arity`) and where jq's manual has it; nil
  /// when it is not a builtin.
  public static func builtinHelp(for name: String) -> String? { BuiltinDocs.text(for: name) }

  /// The names ``moduleHelp(for:)`` answers: `modules`, `import`, `include`, `modulemeta`.
  public static var moduleTopics: [String] { ModuleHelp.names }

  /// How jq's module system works here (search paths, directives), for the names in
  /// ``moduleTopics``.
  public static func moduleHelp(for name: String) -> String? {
    ModuleHelp.names.contains(name) ? ModuleHelp.text : nil
  }

  /// Whether `text` stops in the middle of an expression: an open bracket, string or `if`, or
  /// a trailing `|` (a line editor then asks for another line).
  public static func needsMoreInput(_ text: String) -> Bool {
    Lexer.needsMoreInput(Source(name: "<input>", text: text))
  }
}

extension Diagnostic {
  /// The closest of `candidates` to `word` by edit distance, if one is close enough to offer as
  /// "did you mean …?".
  public static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    nearestName(to: word, in: candidates)
  }
}
