public import JQ

/// A command nwsh (or a program embedding ShellCore) provides.
///
/// ```swift
/// session.register(CommandDefinition(
///   CommandSignature("shout", summary: "Upper-cases a string field.",
///                    parameters: [.init("FIELD", .word, "the field to change")]),
///   role: .filter
/// ) { context in ShoutStage(field: try context.word(0), next: context.next) })
/// ```
public struct CommandDefinition: Sendable {
  /// Where a command may stand in a pipeline.
  public enum Role: Sendable {
    /// Produces rows; must come first (`read`, `open`, `roles`).
    case source
    /// Takes rows and passes rows or results on (`map`, `where`, `invite`).
    case filter
  }

  /// Name, arguments, flags and help.
  public var signature: CommandSignature
  /// Where it may stand.
  public var role: Role
  /// Builds the stage for one use of the command.
  public var make: @Sendable (CommandContext) throws -> any Stage

  /// Declares a command.
  public init(
    _ signature: CommandSignature, role: Role, make: @escaping @Sendable (CommandContext) throws -> any Stage
  ) {
    self.signature = signature
    self.role = role
    self.make = make
  }
}

/// Everything a command needs to build its stage: its parsed arguments, the run it is part
/// of, the language to evaluate its expressions with, and the stage to push to.
public final class CommandContext {
  /// The command as written.
  public let call: CommandCall
  /// The run it is part of: results, diagnostics, settings, interruption.
  public let run: RunContext
  /// The downstream stage.
  public let next: any Stage
  /// Whether the command starts its pipeline (a command that can read rows of its own, like
  /// `report FILE`, does so only there).
  public let startsPipeline: Bool
  /// Whether the command ends its pipeline (its rows go straight to the output).
  public let endsPipeline: Bool

  init(call: CommandCall, run: RunContext, next: any Stage, position: Int, count: Int) {
    self.call = call
    self.run = run
    self.next = next
    self.startsPipeline = position == 0
    self.endsPipeline = position == count - 1
  }

  /// All outputs of `expression` on `null`, in the session's bindings (a flag's value).
  public func evaluate(_ expression: Expression) throws -> [Value] {
    try run.evaluateAll(expression, input: .null)
  }

  /// An evaluator of `expression` for each row, whose failures become `invalid` results
  /// under `op`, with `hint`.
  public func rowEvaluator(_ expression: Expression, op: String = "map", hint: String? = nil) throws -> RowEvaluator {
    try RowEvaluator(scope: run.jqScope, run: run, expression: expression, op: op, hint: hint)
  }

  private func usage(_ message: String, at range: SourceRange?) -> Diagnostic {
    Diagnostic(.usage, message, at: range ?? call.range)
  }

  /// Positional argument `index` as an expression, if given.
  public func expression(_ index: Int) throws -> Expression? {
    guard index < call.arguments.count else { return nil }
    guard case .expression(let expression) = call.arguments[index] else {
      throw usage("expected an expression", at: call.arguments[index].range)
    }
    return expression
  }

  /// Positional argument `index` as a word, if given.
  public func word(_ index: Int) -> String? {
    guard index < call.arguments.count, case .word(let text, _) = call.arguments[index] else { return nil }
    return text
  }

  /// Positional argument `index` as a file path: a word, or `$name` for a variable bound to a
  /// string (`let file = $ARGS.positional[0]` then `open $file`).
  public func path(_ index: Int) throws -> String? {
    guard index < call.arguments.count else { return nil }
    return try resolveText(call.arguments[index], naming: "to name a file")
  }

  /// The value of `--name` as a file path, resolved like ``path(_:)``.
  func flagPath(_ name: String) throws -> String? {
    guard let argument = call.flags[name] else { return nil }
    return try resolveText(argument, naming: "to name a file")
  }

  /// The value of `--name` as text: a word, or `$name` for a variable bound to a string
  /// (`let age = $ARGS.positional[0] // "7d"` then `--older-than $age`).
  func flagText(_ name: String) throws -> String? {
    guard let argument = call.flags[name] else { return nil }
    return try resolveText(argument, naming: "for --\(name)")
  }

  /// A word as is; `$name` or `$ARGS.positional[0]` evaluated, which must give one string.
  private func resolveText(_ argument: CommandArgument, naming purpose: String) throws -> String? {
    switch argument {
    case .word(let text, _): return text
    case .present: return nil
    case .expression(let expression):
      let range = expression.range
      let values: [Value]
      do {
        values = try evaluate(expression)
      } catch let error as JQError {
        throw usage("\(range.text): \(error.message)", at: range)
      }
      guard values.count == 1, case .string(let path) = values[0] else {
        let got = values.count == 1 ? values[0].typeName : "\(values.count) values"
        throw usage("\(range.text) must be one string \(purpose), got \(got)", at: range)
      }
      return path
    }
  }

  /// Positional argument `index` as a whole number, if given.
  public func integer(_ index: Int) throws -> Int? {
    guard let text = word(index) else { return nil }
    guard let value = Int(text), value >= 0 else {
      throw usage("expected a whole number, got \(text)", at: call.arguments[index].range)
    }
    return value
  }

  /// Whether `--name` was given.
  func flag(_ name: String) -> Bool { call.flags[name] != nil }

  /// The value of `--name` as a word.
  func flagWord(_ name: String) -> String? {
    if case .word(let text, _)? = call.flags[name] { return text }
    return nil
  }

  /// The value of `--name` as a whole number.
  func flagInteger(_ name: String) throws -> Int? {
    guard let text = flagWord(name) else { return nil }
    guard let value = Int(text), value >= 0 else {
      throw usage("--\(name) expects a whole number, got \(text)", at: call.flags[name]?.range)
    }
    return value
  }

  /// The value of `--name` as an expression.
  func flagExpression(_ name: String) -> Expression? {
    if case .expression(let expression)? = call.flags[name] { return expression }
    return nil
  }

  /// `.` (the row itself), written where the command is: the default of an optional
  /// expression argument.
  public var identity: Expression { .identity(at: call.range) }

  /// Where positional argument `index` (or the command name) is, for error reports.
  public func range(ofArgument index: Int) -> SourceRange {
    index < call.arguments.count ? call.arguments[index].range : call.range
  }
}

/// An expression a command was given (`map EXPR`, `--note EXPR`): opaque, evaluated through
/// the ``CommandContext`` that handed it over (``CommandContext/evaluate(_:)``,
/// ``CommandContext/rowEvaluator(_:op:hint:)``), in the session's scope.
public typealias Expression = JQExpression
