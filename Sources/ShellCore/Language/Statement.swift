package import JQ

/// A statement of an nwsh program: a pipeline of commands, `let`, or `def`.
package enum Statement: Sendable {
  /// `stage | stage | …`.
  case pipeline([StageSyntax])
  /// `let name = expr`.
  case binding(String, JQExpression, SourceRange)
  /// `let name = command | …`: binds the array of the pipeline's rows.
  case pipelineBinding(String, [StageSyntax], SourceRange)
  /// `def name(params): body;` at statement level: defined for the rest of the session.
  case definition(JQDefinition)
  /// `import "path" as name`, `import "path" as $name` or `include "path"`: the module's
  /// functions (or the file's data) for the rest of the session.
  case module(JQModuleDirective)
  /// `module {…}`: a module's metadata, which a program may carry too (as in jq, it changes
  /// nothing when the program runs).
  case metadata(JSONObject)
}

/// One stage of a pipeline.
package enum StageSyntax: Sendable {
  /// A registered command with its parsed arguments.
  case command(CommandCall)
  /// An expression: as the first stage, its outputs (on `null`) become the rows; later, it
  /// maps each row to its outputs, like `map`.
  case expression(JQExpression)
}

/// A command as written: its name, positional arguments and flags.
public struct CommandCall: Sendable {
  /// The command's name.
  package var name: String
  /// Where the name is.
  package var range: SourceRange
  /// Positional arguments in order.
  package var arguments: [CommandArgument]
  /// Flags by name (without `--`).
  package var flags: [String: CommandArgument]

  /// A call as the parser makes it.
  init(name: String, range: SourceRange, arguments: [CommandArgument], flags: [String: CommandArgument]) {
    self.name = name
    self.range = range
    self.arguments = arguments
    self.flags = flags
  }

  /// A call built in Swift (for ``Session/run(_:)-(CommandCall)``): positional `words`, flags
  /// with a word value, and `switches`, flags given without one. Nothing is parsed.
  public init(_ name: String, words: [String] = [], flags: [String: String] = [:], switches: [String] = []) {
    let range = SourceRange(Source(name: "<call>", text: name), 0, name.utf8.count)
    self.init(
      name: name, range: range, arguments: words.map { .word($0, range) },
      flags: flags.mapValues { .word($0, range) }.merging(switches.map { ($0, .present(range)) }) { value, _ in value })
  }
}

/// An argument as written.
package enum CommandArgument: Sendable {
  /// An expression, evaluated by the command (per row, or once).
  case expression(JQExpression)
  /// A word: a bare name, a file path or a quoted string.
  case word(String, SourceRange)
  /// A flag given without a value.
  case present(SourceRange)

  /// Where the argument is.
  package var range: SourceRange {
    switch self {
    case .expression(let expression): expression.range
    case .word(_, let range), .present(let range): range
    }
  }
}
