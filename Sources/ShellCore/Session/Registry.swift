import JQ

/// What a session knows how to run: its commands (and their aliases), the settings declared,
/// and the help embedders gave for their functions.
///
/// Built while the session is set up; a run takes it as it is when the run starts (``RunContext``
/// keeps that copy), so nothing a run looks up changes under it.
package struct Registry: Sendable {
  private var commands: [String: CommandDefinition] = [:]
  private var aliases: [String: String] = [:]
  private var functionDocs: [String: String] = [:]
  private var settingDefinitions: [String: SettingDefinition] = [:]

  /// An empty registry.
  package init() {}

  /// Adds a command (replacing one of the same name).
  package mutating func register(_ command: CommandDefinition) { commands[command.signature.name] = command }

  /// The command named `name`.
  package func command(named name: String) -> CommandDefinition? { commands[name] }

  /// Every command's name, sorted.
  package var commandNames: [String] { commands.keys.sorted() }

  /// Lets `name` stand for the command `target` where a flag follows it.
  package mutating func alias(_ name: String, to target: String) { aliases[name] = target }

  /// Documents a function an embedder defined.
  package mutating func document(function name: String, _ summary: String) { functionDocs[name] = summary }

  /// The help an embedder gave for function `name`.
  package func functionHelp(_ name: String) -> String? { functionDocs[name].map { $0 + "\n" } }

  /// Functions an embedder documented, by name.
  package var documentedFunctions: [String] { functionDocs.keys.sorted() }

  /// The parser's view of the commands; `functions` are the names the session's programs
  /// defined (a stage that is one of them alone is a call, not a mistyped command).
  package func commandTable(functions: Set<String>) -> CommandTable {
    var table = CommandTable()
    for command in commands.values { table.add(command.signature) }
    for (name, target) in aliases { table.alias(name, to: target) }
    table.functions = functions
    return table
  }

  /// Declares a setting.
  package mutating func define(_ setting: SettingDefinition) { settingDefinitions[setting.name] = setting }

  /// The setting named `name`.
  package func setting(named name: String) -> SettingDefinition? { settingDefinitions[name] }

  /// Every setting, by name.
  package var settings: [SettingDefinition] { settingDefinitions.values.sorted { $0.name < $1.name } }

  /// The setting `name`, or the error `set` gives for a name that is none.
  package func requireSetting(_ name: String) throws -> SettingDefinition {
    guard let definition = settingDefinitions[name] else {
      let hint = Diagnostic.suggestion(for: name, among: settingDefinitions.keys).map { " (did you mean \($0)?)" } ?? ""
      throw SettingError(
        "no setting '\(name)'\(hint); settings: \(settingDefinitions.keys.sorted().joined(separator: ", "))")
    }
    return definition
  }
}
