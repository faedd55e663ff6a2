public import JQ

/// A command's `--flag`, declared once: what its signature lists (name, kind of value, help) and
/// the typed value the command reads through it (``CommandContext/value(of:)``), so no code
/// reads a flag by its name and a flag that takes a value cannot be read as a switch.
///
/// ```swift
/// static let batchSize = CommandFlag.integer("batch-size", "invitees per request (1 to 1000)")
/// CommandSignature("invite", summary: "…", flags: [batchSize.declaration])
/// let size = try context.value(of: batchSize) ?? 50
/// ```
public struct CommandFlag<Value>: Sendable {
  /// The flag as the signature lists it (parsing, `help`, completion).
  public let declaration: CommandSignature.Flag
  private let read: @Sendable (CommandContext, String) throws -> Value

  private init(
    _ name: String, _ kind: CommandSignature.ValueKind?, _ summary: String,
    read: @escaping @Sendable (CommandContext, String) throws -> Value
  ) {
    self.declaration = CommandSignature.Flag(name, kind, summary)
    self.read = read
  }

  /// Its name, without `--`.
  public var name: String { declaration.name }

  /// The value given in `context` (nil, or false, when the flag was not given).
  func value(in context: CommandContext) throws -> Value { try read(context, declaration.name) }
}

extension CommandFlag where Value == Bool {
  /// A switch: true when given.
  public static func toggle(_ name: String, _ summary: String) -> CommandFlag<Bool> {
    CommandFlag(name, nil, summary) { context, name in context.flag(name) }
  }
}

extension CommandFlag where Value == String? {
  /// A word (a bare word or a quoted string).
  public static func word(_ name: String, _ summary: String) -> CommandFlag<String?> {
    CommandFlag(name, .word, summary) { context, name in context.flagWord(name) }
  }

  /// Text: a word, or a variable bound to a string (`--older-than $age`).
  public static func text(_ name: String, _ summary: String) -> CommandFlag<String?> {
    CommandFlag(name, .word, summary) { context, name in try context.flagText(name) }
  }

  /// A file path: a word, or a variable bound to a string (completes file names).
  public static func path(_ name: String, _ summary: String) -> CommandFlag<String?> {
    CommandFlag(name, .path, summary) { context, name in try context.flagPath(name) }
  }
}

extension CommandFlag where Value == Int? {
  /// A whole number.
  public static func integer(_ name: String, _ summary: String) -> CommandFlag<Int?> {
    CommandFlag(name, .integer, summary) { context, name in try context.flagInteger(name) }
  }
}

extension CommandFlag where Value == Expression? {
  /// A jq expression, evaluated by the command.
  public static func expression(_ name: String, _ summary: String) -> CommandFlag<Expression?> {
    CommandFlag(name, .expression, summary) { context, name in context.flagExpression(name) }
  }
}

extension CommandContext {
  /// The value of `flag` as given to this command.
  public func value<Value>(of flag: CommandFlag<Value>) throws -> Value { try flag.value(in: self) }

  /// Where `flag` is written, or the command when it was not given (for error reports).
  public func range<Value>(of flag: CommandFlag<Value>) -> SourceRange { call.flags[flag.name]?.range ?? call.range }
}
