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
package struct CommandTable: Sendable {
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

extension CommandTable: JQStageBoundary {
  /// The command that starts at token `position`, and how many tokens its name takes, if one
  /// does. A name may be hyphenated (`add-users`: three tokens written without spaces). A
  /// command named like a jq builtin (`map`, `skip`, `join`) is the command only where jq could
  /// not read it: followed by a flag, or by an argument after a space (`map .x`, `skip 2`);
  /// `map(f)`, `join(", ")` and a bare `add` are jq's. Other commands may also be written with
  /// their argument in parentheses (`where(.ok)`, `take(1)`).
  func command(at position: Int, in parser: JQHostParser) -> (signature: CommandSignature, width: Int)? {
    guard var name = parser.token(at: position).identifier else { return nil }
    var width = 1
    var longest: (String, Int)? = self[name] != nil || alias(name) != nil ? (name, 1) : nil
    while parser.token(at: position + width).is("-"), !parser.token(at: position + width).spaceBefore,
      !parser.token(at: position + width + 1).spaceBefore,
      let part = parser.token(at: position + width + 1).identifier
    {
      name += "-" + part
      width += 2
      if self[name] != nil { longest = (name, width) }
    }
    guard let (found, size) = longest else { return nil }
    let after = parser.token(at: position + size)
    if after.flag != nil, let target = alias(found) { return self[target].map { ($0, size) } }
    guard let signature = self[found] else { return nil }
    guard size == 1 && JQLanguage.builtinNames.contains(found) else { return (signature, size) }
    if after.flag != nil { return (signature, size) }
    if after.isNewline || after.isEnd { return nil }
    if after.is("|") || after.is(";") || after.is(")") || after.is(",") { return nil }
    return after.spaceBefore ? (signature, size) : nil
  }

  /// How many tokens the command that starts at token `position` of `parser` takes, if one does:
  /// jq's expression before it ends at the `|`.
  package func stageWidth(at position: Int, in parser: JQHostParser) -> Int? {
    command(at: position, in: parser)?.width
  }

  /// "'add-users' is a command: it cannot be inside the expression that `as` binds over", with
  /// how to keep the binding in one stage.
  package func bindingError(overStageAt position: Int, in parser: JQHostParser) -> Diagnostic {
    let name = command(at: position, in: parser)?.signature.name ?? parser.token(at: position).text
    return Diagnostic(
      .syntax, "'\(name)' is a command: it cannot be inside the expression that `as` binds over",
      at: parser.token(at: position).range,
      hint: "keep the binding inside one stage, e.g. `where (.x as $v | $v > 1)` or `map (.x as $v | {v: $v})`")
  }
}
