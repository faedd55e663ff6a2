import Foundation
import JQ

/// `help`, `set`, `source`: commands about the session itself.
enum SessionCommands {
  static func register(in session: Session) {
    session.register(
      CommandDefinition(
        CommandSignature(
          "help", summary: "List the commands, or show a command's or function's usage and examples.",
          parameters: [.init("NAME", .word, "a command or function name", optional: true)],
          examples: ["help", "help invite", "help select", "help role"]),
        role: .source
      ) { context in
        TextSource(next: context.next) {
          try context.run.helpText(for: context.word(0), at: context.range(ofArgument: 0))
        }
      })
    session.register(
      CommandDefinition(
        CommandSignature(
          "set", summary: "Change a session setting; with no arguments, list them.",
          parameters: [
            .init("NAME", .word, "the setting", optional: true), .init("VALUE", .word, "its new value", optional: true),
          ],
          examples: ["set batch-size 50", "set strict on", "set"]),
        role: .source
      ) { context in
        let run = context.run
        guard let name = context.word(0) else {
          return TextSource(next: context.next) { run.settingsListing }
        }
        guard let value = context.word(1) else {
          return TextSource(next: context.next) { "\(name) = \(run.setting(name) ?? "(no such setting)")\n" }
        }
        do {
          try run.set(name, to: value)
        } catch {
          throw Diagnostic(.usage, "set \(name): \(error)", at: context.range(ofArgument: 0))
        }
        return TextSource(next: context.next) { "" }
      })
    session.register(
      CommandDefinition(
        CommandSignature(
          "source", summary: "Run a script file in this session (its lets and defs stay).",
          parameters: [.init("FILE", .path, "an nwsh script")], examples: ["source onboard.nw"]),
        role: .source
      ) { context in
        let run = context.run
        let given = try context.path(0)!
        let path = run.resolvePath(given)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
          throw Diagnostic(
            .usage, FileProblem.message("cannot read", given, path: path), at: context.range(ofArgument: 0))
        }
        return ActionSource(next: context.next) {
          try run.runStatements(Script.strippingShebang(text), name: given)
        }
      })
    for name in ["help", "set", "source"] {
      if let command = session.command(named: name) { session.register([command], group: "Session") }
    }
  }

  static func helpText(for name: String?, session: Session, range: SourceRange) throws -> String {
    guard let name else {
      var text = "Commands (help NAME for more):\n" + session.commandListing
      text += """

        Pipelines join commands with |; expressions are jq's (https://jqlang.org/manual).
        Statements: let NAME = EXPR, def f: EXPR;, import "lib" as lib, include "lib",
        set NAME VALUE, source FILE (help modules for import and include).

        """
      return text
    }
    guard let text = session.helpText(for: name) else {
      let known = session.helpNames
      throw Diagnostic(
        .usage, "no command or function '\(name)'", at: range,
        hint: Diagnostic.suggestion(for: name, among: known).map { "did you mean '\($0)'?" })
    }
    return text
  }

  /// The usage, flags, discussion and examples of a command.
  static func text(of signature: CommandSignature) -> String {
    var text = "\(signature.usage)\n  \(signature.summary)\n"
    if !signature.parameters.isEmpty {
      text += "\nArguments:\n"
      for parameter in signature.parameters { text += "  \(parameter.name)  \(parameter.summary)\n" }
    }
    if !signature.flags.isEmpty {
      text += "\nFlags:\n"
      for flag in signature.flags { text += "  --\(flag.name)  \(flag.summary)\n" }
    }
    if !signature.discussion.isEmpty { text += "\n" + signature.discussion + "\n" }
    if !signature.examples.isEmpty {
      text += "\nExamples:\n"
      for example in signature.examples { text += "  \(example)\n" }
    }
    return text
  }
}

extension Session {
  /// The pipeline commands by group (`Reading`, `Shaping rows`, …), one aligned line each with
  /// its summary: what `help` lists.
  public var commandListing: String {
    let names = commandNames
    let width = names.map(\.count).max() ?? 0
    var groups: [String: [String]] = [:]
    var order: [String] = []
    for name in names {
      guard let command = command(named: name) else { continue }
      let group =
        command.signature.group.isEmpty ? (command.role == .source ? "Sources" : "Stages") : command.signature.group
      if groups[group] == nil { order.append(group) }
      groups[group, default: []].append(name)
    }
    let first = ["Reading", "Shaping rows", "Writing"]
    order.sort { (first.firstIndex(of: $0) ?? first.count, $0) < (first.firstIndex(of: $1) ?? first.count, $1) }
    var text = ""
    for group in order {
      text += "\n\(group):\n"
      for name in groups[group]! {
        text +=
          "  " + name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
          + (command(named: name)?.signature.summary ?? "") + "\n"
      }
    }
    return text
  }

  /// Every name ``helpText(for:)`` answers for: commands, documented functions, builtins.
  public var helpNames: [String] {
    commandNames + registry.documentedFunctions + Array(JQLanguage.builtinNames.subtracting(JQLanguage.moduleTopics))
      + JQLanguage.moduleTopics
  }

  /// Help for `name`: a command (its usage, flags, examples), a function an embedder
  /// documented (`role`), a jq builtin, or the module system (`modules`, `import`, `include`); a name that is both a command and a builtin
  /// (`map`, `skip`, `join`) gets both. Nil when `name` is none of these.
  public func helpText(for name: String) -> String? {
    var parts: [String] = []
    if let signature = command(named: name)?.signature {
      parts.append(SessionCommands.text(of: signature))
    } else if let target = commandTable.alias(name), let signature = command(named: target)?.signature {
      parts.append("\(name) with a flag is \(target):\n\n" + SessionCommands.text(of: signature))
    }
    if let documented = registry.functionHelp(name) { parts.append(documented) }
    if let modules = JQLanguage.moduleHelp(for: name) { parts.append(modules) }
    if let builtin = JQLanguage.builtinHelp(for: name) {
      parts.append((parts.isEmpty ? "" : "The jq builtin:\n") + builtin)
    }
    return parts.isEmpty ? nil : parts.joined(separator: "\n")
  }
}

/// Writes text to the output instead of rows (help, settings).
final class TextSource: SourceStage {
  let next: any Stage
  let text: () throws -> String
  init(next: any Stage, text: @escaping () throws -> String) {
    self.next = next
    self.text = text
  }
  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }
  func run() throws {
    guard let terminal = next as? Terminal else {
      throw Diagnostic(.usage, "this command cannot feed a pipeline", at: nil)
    }
    terminal.run.output.emitText(try text())
    try next.finish()
  }
}

/// Runs an action and produces no rows (source).
final class ActionSource: SourceStage {
  let next: any Stage
  let action: () throws -> Void
  init(next: any Stage, action: @escaping () throws -> Void) {
    self.next = next
    self.action = action
  }
  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }
  func run() throws {
    try action()
    try next.finish()
  }
}

/// Script text helpers.
package enum Script {
  /// `text` without a leading `#!` line (kept as an empty line, so line numbers stay true).
  package static func strippingShebang(_ text: String) -> String {
    guard text.hasPrefix("#!") else { return text }
    guard let newline = text.firstIndex(of: "\n") else { return "" }
    return String(text[newline...])
  }
}
