import Foundation
import NetworkedAPI
public import ShellCore

/// The REPL's history file: `$XDG_STATE_HOME/nwsh/history` (default
/// `~/.local/state/nwsh/history`), mode 0600.
///
/// One entry per line (`\` and newlines escaped), appended as each statement is entered, so
/// sessions running side by side all keep theirs and each new session starts with everything so
/// far. Loading keeps the last ``limit`` entries, drops earlier copies of an entry, and rewrites
/// the file when it has grown to twice that.
public struct HistoryStore: Sendable {
  /// The file.
  public let path: String
  /// Entries kept.
  public let limit: Int

  /// A store at `path`.
  public init(path: String, limit: Int = 1000) {
    self.path = path
    self.limit = limit
  }

  /// The default location in `environment`: `history` in nwsh's state directory.
  public static func defaultPath(environment: HostEnvironment) -> String {
    (environment.stateDirectory ?? "/.local/state/nwsh") + "/history"
  }

  /// Whether `entry` may be written down: not when it starts with a space (the shell
  /// convention for "don't remember this"), is a `login`, holds `key` (the API key in use) or
  /// anything else that looks like a secret.
  public static func shouldRecord(_ entry: String, key: String?) -> Bool {
    if entry.hasPrefix(" ") || entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return false }
    let words = entry.split(whereSeparator: { $0.isWhitespace })
    if words.first == "login" { return false }
    // The key in any form (percent-encoded, base64, hex…), not only as typed.
    if let key, !key.isEmpty, entry.contains(key) || Redactor(secrets: [key]).finds(in: entry) { return false }
    return !Secrets.looksSecret(entry)
  }

  /// The entries, oldest first.
  public func load() -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    var seen = Set<String>()
    var entries: [String] = []
    for line in lines.reversed() {
      let entry = Self.decode(line)
      if seen.insert(entry).inserted { entries.append(entry) }
      if entries.count == limit { break }
    }
    entries.reverse()
    if lines.count >= 2 * limit { rewrite(entries) }
    return entries
  }

  /// Appends `entry` (callers check ``shouldRecord(_:key:)`` first).
  public func append(_ entry: String) {
    ensureDirectory()
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    fchmod(descriptor, 0o600)
    let bytes = Array((Self.encode(entry) + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
  }

  private func rewrite(_ entries: [String]) {
    let temporary = path + ".\(getpid()).tmp"
    let text = entries.map(Self.encode).joined(separator: "\n") + "\n"
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else { return }
    rename(temporary, path)
  }

  private func ensureDirectory() {
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
  }

  static func encode(_ entry: String) -> String {
    entry.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
  }

  static func decode(_ line: Substring) -> String {
    var out = ""
    var escaped = false
    for c in line {
      if escaped {
        out.append(c == "n" ? "\n" : c)
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else {
        out.append(c)
      }
    }
    return out
  }
}

/// Heuristics for text that should never be written down.
public enum Secrets {
  /// Environment variables nwsh reads secrets from: the program sees them as `<redacted>`.
  public static let environmentVariables: Set<String> = ["NETWORKED_API_KEY", "NWSH_STATE", "PGPASSWORD"]

  /// `environment` as a program may see it (`$ENV`, `env`): the variables nwsh reads secrets
  /// from, and any other whose value holds one of `secrets`, show `<redacted>`.
  public static func publicEnvironment(_ environment: [String: String], secrets: [String]) -> [String: String] {
    let redactor = Redactor(secrets: secrets)
    var visible = environment
    for (name, value) in environment where environmentVariables.contains(name) || redactor.finds(in: value) {
      visible[name] = Redactor.placeholder
    }
    return visible
  }

  /// True for an assignment to something named like a secret (`api_key=…`, `x-api-key: …`,
  /// `NETWORKED_API_KEY=…`, `password=…`, `token=…`) or a long token mixing upper case, lower
  /// case and digits (24-digit hex ids, emails and words do not qualify).
  public static func looksSecret(_ text: String) -> Bool {
    let lowered = text.lowercased()
    for name in ["api_key", "apikey", "api-key", "password", "secret", "token"] {
      var searchStart = lowered.startIndex
      while let range = lowered.range(of: name, range: searchStart..<lowered.endIndex) {
        let rest = lowered[range.upperBound...].drop { $0 == " " || $0 == "\"" || $0 == "'" }
        if let next = rest.first, next == "=" || next == ":" { return true }
        searchStart = range.upperBound
      }
    }
    let tokens = text.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    return tokens.contains { token in
      token.count >= 20 && token.contains(where: \.isUppercase) && token.contains(where: \.isLowercase)
        && token.contains(where: \.isNumber)
    }
  }
}
