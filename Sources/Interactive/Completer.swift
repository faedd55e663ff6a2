import Foundation
public import LineEditor
public import ShellCore

/// TAB completion from what the session knows: command names and flags (from their
/// signatures), variables, settings, file paths where a command takes one, and field names seen
/// in the rows of the last pipeline (`.fi` → `.first_name`).
public struct Completer {
  private let session: Session

  /// Completes against `session`.
  public init(session: Session) { self.session = session }

  /// Words that start statements besides commands.
  static let keywords = ["let", "def"]

  /// What TAB should do with `before` (the text left of the cursor).
  public func complete(_ before: String) -> LineEditor.Completion {
    let stage = Self.currentStage(before)
    let word = Self.currentWord(stage)
    let earlier = stage.dropLast(word.count).split(whereSeparator: \.isWhitespace).map(String.init)
    let command = earlier.first.flatMap { session.command(named: $0) }

    var candidates: [String]
    var suffix = ""
    if earlier.isEmpty && !word.hasPrefix(".") && !word.hasPrefix("$") {
      candidates = session.commandNames + (Self.isStatementStart(before, stage) ? Self.keywords : [])
      suffix = " "
    } else if word.hasPrefix("--"), let command {
      candidates = command.signature.flags.map { "--" + $0.name }
      suffix = " "
    } else if word.hasPrefix("$") {
      candidates = (session.variableNames + ["ENV", "__loc__"]).map { "$" + $0 }
    } else if earlier.first == "set" && earlier.count == 1 {
      candidates = session.settings.map(\.name)
      suffix = " "
    } else if earlier.first == "help" && earlier.count == 1 {
      candidates = session.commandNames
    } else if let command, takesPath(command, position: earlier.count - 1), !word.hasPrefix("-"),
      !word.hasPrefix(".") || word.hasPrefix("./") || word.hasPrefix("../") || word == "." || word == ".."
    {
      return completePath(word)
    } else if word.hasPrefix(".") {
      candidates = (session.recentFields.union(session.recentInputColumns)).map {
        Self.isIdentifier($0) ? "." + $0 : ".\"" + $0 + "\""
      }
    } else {
      return .none
    }
    return Self.finish(word: word, candidates: candidates, suffix: suffix)
  }

  private func takesPath(_ command: CommandDefinition, position: Int) -> Bool {
    let parameters = command.signature.parameters
    guard position >= 0, let last = parameters.last else { return false }
    if position >= parameters.count { return last.repeats && last.kind == .path }
    return parameters[position].kind == .path
  }

  private func completePath(_ word: String) -> LineEditor.Completion {
    let expanded = word.hasPrefix("~/") ? session.environment.expandingTilde(word) : word
    let slash = expanded.lastIndex(of: "/")
    let directoryPart = slash.map { String(expanded[...$0]) } ?? ""
    let directory = directoryPart.isEmpty ? session.workingDirectory : session.resolvePath(directoryPart)
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return .none }
    let typedName = slash.map { String(expanded[expanded.index(after: $0)...]) } ?? expanded
    let visible = entries.filter { typedName.hasPrefix(".") || !$0.hasPrefix(".") }
    let wordPrefix = String(word.dropLast(typedName.count))
    let candidates = visible.map { name -> String in
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(
        atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
      return wordPrefix + name + (isDirectory.boolValue ? "/" : "")
    }
    let matches = candidates.filter { $0.hasPrefix(word) }
    if matches.count == 1 {
      let only = matches[0]
      return .insert(String(only.dropFirst(word.count)) + (only.hasSuffix("/") ? "" : " "))
    }
    return Self.finish(word: word, candidates: matches, suffix: "")
  }

  /// One match: the rest of it plus `suffix`; several: their common part, or the list.
  static func finish(word: String, candidates: [String], suffix: String) -> LineEditor.Completion {
    let matches = Array(Set(candidates.filter { $0.hasPrefix(word) })).sorted()
    guard let first = matches.first else { return .none }
    if matches.count == 1 { return .insert(String(first.dropFirst(word.count)) + suffix) }
    var common = first
    for match in matches.dropFirst() {
      while !match.hasPrefix(common) { common.removeLast() }
    }
    return .choices(insert: String(common.dropFirst(word.count)), candidates: matches)
  }

  /// The text of the current pipeline stage: after the last `|` or `;` outside strings and
  /// brackets.
  static func currentStage(_ text: String) -> Substring {
    var depth = 0
    var inString = false
    var escaped = false
    var start = text.startIndex
    for index in text.indices {
      let c = text[index]
      if inString {
        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        continue
      }
      switch c {
      case "\"": inString = true
      case "(", "[", "{": depth += 1
      case ")", "]", "}": depth = max(0, depth - 1)
      case "|" where depth == 0, ";" where depth == 0, "\n" where depth == 0: start = text.index(after: index)
      default: break
      }
    }
    let stage = text[start...]
    return stage.drop { $0 == " " || $0 == "\t" }
  }

  /// The word being typed: back to whitespace or an opening bracket, comma or colon.
  static func currentWord(_ stage: Substring) -> String {
    let stops: Set<Character> = [" ", "\t", "(", "{", "[", ",", ":", "="]
    var start = stage.endIndex
    while start > stage.startIndex {
      let previous = stage.index(before: start)
      if stops.contains(stage[previous]) { break }
      start = previous
    }
    return String(stage[start...])
  }

  private static func isStatementStart(_ before: String, _ stage: Substring) -> Bool {
    let head = before.dropLast(stage.count).trimmingCharacters(in: .whitespaces)
    return head.isEmpty || head.hasSuffix(";") || head.hasSuffix("\n")
  }

  static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
      return false
    }
    return name.unicodeScalars.allSatisfy {
      $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
    }
  }
}
