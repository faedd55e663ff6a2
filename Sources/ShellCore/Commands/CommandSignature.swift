package import JQ

/// What a command accepts, declared once: it drives parsing, `help` and completion.
public struct CommandSignature: Sendable {
  /// How an argument or flag value is written.
  public enum ValueKind: Sendable {
    /// A jq expression (evaluated by the command).
    case expression
    /// A bare word or a quoted string (names, file paths).
    case word
    /// A whole number, written as a literal.
    case integer
    /// A path to a file (completes file names).
    case path
  }

  /// A positional argument.
  public struct Parameter: Sendable {
    /// Its name in help, e.g. `EXPR`.
    public var name: String
    /// How it is written.
    public var kind: ValueKind
    /// What it means.
    public var summary: String
    /// Whether it may be left out.
    public var optional: Bool
    /// Whether it may be given more than once (the last parameter only): `FILE…`.
    public var repeats: Bool

    /// Creates a parameter.
    public init(_ name: String, _ kind: ValueKind, _ summary: String, optional: Bool = false, repeats: Bool = false) {
      self.name = name
      self.kind = kind
      self.summary = summary
      self.optional = optional
      self.repeats = repeats
    }
  }

  /// A `--flag`.
  public struct Flag: Sendable {
    /// Its name without `--`.
    public var name: String
    /// Its value's kind; nil for a switch without a value.
    public var kind: ValueKind?
    /// What it means.
    public var summary: String

    /// Creates a flag.
    public init(_ name: String, _ kind: ValueKind?, _ summary: String) {
      self.name = name
      self.kind = kind
      self.summary = summary
    }
  }

  /// The command's name.
  public var name: String
  /// One line for `help`.
  public var summary: String
  /// Positional arguments.
  public var parameters: [Parameter]
  /// Flags.
  public var flags: [Flag]
  /// Example uses for `help NAME`.
  public var examples: [String]
  /// Longer help text.
  public var discussion: String
  /// The heading `help` lists it under (`Reading`, `Shaping rows`…); empty: by its role.
  public var group = ""

  /// Declares a command.
  public init(
    _ name: String, summary: String, parameters: [Parameter] = [], flags: [Flag] = [], examples: [String] = [],
    discussion: String = ""
  ) {
    self.name = name
    self.summary = summary
    self.parameters = parameters
    self.flags = flags
    self.examples = examples
    self.discussion = discussion
  }

  /// `name ARG [OPT] [--flag VALUE]…`
  public var usage: String {
    var parts = [name]
    for parameter in parameters {
      let name = parameter.name + (parameter.repeats ? "…" : "")
      parts.append(parameter.optional ? "[\(name)]" : name)
    }
    for flag in flags {
      let value: String
      switch flag.kind {
      case nil: value = ""
      case .expression?: value = " EXPR"
      case .integer?: value = " N"
      case .word?, .path?: value = " VALUE"
      }
      parts.append("[--\(flag.name)\(value)]")
    }
    return parts.joined(separator: " ")
  }
}

/// The commands a parser knows, by name: the stages jq's parser leaves to the shell.
package struct CommandTable: ParserHost {
  private var signatures: [String: CommandSignature] = [:]
  private var aliases: [String: String] = [:]

  /// An empty table.
  package init() {}

  /// Adds or replaces a signature.
  package mutating func add(_ signature: CommandSignature) { signatures[signature.name] = signature }

  /// Makes `name` stand for the command `target` where it is followed by a flag (`add
  /// --method direct` for `add-users`): elsewhere `name` keeps its jq meaning.
  package mutating func alias(_ name: String, to target: String) { aliases[name] = target }

  /// The command `name` stands for when followed by a flag, if it is such an alias.
  package func alias(_ name: String) -> String? { aliases[name] }

  /// The signature of `name`.
  package subscript(name: String) -> CommandSignature? { signatures[name] }

  /// Every name, sorted.
  package var names: [String] { signatures.keys.sorted() }

  /// Functions the session defines (`def`, `include`, `~/.jq`), by name: a stage that is one
  /// of them alone is a call, never taken for a mistyped command.
  package var functions: Set<String> = []
}

extension CommandTable {
  /// The command that starts at token `position` of `parser` (see ``Parser/command(at:)``).
  package func stage(at position: Int, in parser: Parser) -> (name: String, width: Int)? {
    parser.command(at: position).map { ($0.signature.name, $0.width) }
  }
}
