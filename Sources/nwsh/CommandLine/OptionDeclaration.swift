/// How an option's value is completed in a shell.
enum ValueCompletion: Sendable {
  case none, file, directory
  case choices([String])
  case journalStates
  /// The profiles in the credentials file.
  case profiles
}

/// One option's declaration (``Option/declaration``).
struct OptionDeclaration: Sendable {
  /// The names of the values it takes, in order; empty for a switch.
  let valueNames: [String]
  /// The subcommands it applies to.
  let subcommands: Set<Subcommand>
  /// What it does, for help and the man page.
  let help: String
  /// Other spellings.
  let aliases: [String]
  /// Whether giving it twice is meaningful.
  let repeatable: Bool
  /// How a shell completes its value.
  let completion: ValueCompletion
  /// Whether nothing else may be on the command line with it.
  let standsAlone: Bool
  /// The name of the words it takes after its values, all of them, literally; nil for none.
  let takesTheRest: String?

  /// A declaration: what the option takes, where it applies and what it does must be said.
  init(
    takes valueNames: [String], in subcommands: Set<Subcommand>, help: String, aliases: [String] = [],
    repeatable: Bool = false, completion: ValueCompletion = .none, standsAlone: Bool = false,
    takesTheRest: String? = nil
  ) {
    self.valueNames = valueNames
    self.subcommands = subcommands
    self.help = help
    self.aliases = aliases
    self.repeatable = repeatable
    self.completion = completion
    self.standsAlone = standsAlone
    self.takesTheRest = takesTheRest
  }
}
