/// An error in a program or while running it, pointing at the source: `file:line:column`, the
/// line itself and a caret under the spot, and a hint where one helps.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
  /// What kind of problem.
  public enum Kind: String, Sendable {
    /// The text is not a valid program.
    case syntax = "syntax error"
    /// A name, argument or flag that does not exist or does not fit.
    case usage = "error"
    /// Running the program failed.
    case runtime = "runtime error"
  }

  /// The kind.
  public let kind: Kind
  /// What is wrong.
  public let message: String
  /// Where, when known.
  public let range: SourceRange?
  /// A suggestion, e.g. the nearest command name.
  public let hint: String?

  /// A diagnostic at `range`.
  public init(_ kind: Kind, _ message: String, at range: SourceRange?, hint: String? = nil) {
    self.kind = kind
    self.message = message
    self.range = range
    self.hint = hint
  }

  /// The full report: location, message, the source line with a caret, and the hint.
  public var description: String {
    guard let range else { return "nwsh: \(kind.rawValue): \(message)" + (hint.map { "\n  hint: \($0)" } ?? "") }
    let (line, column) = range.source.lineAndColumn(of: range.start)
    let text = range.source.line(line)
    let (endLine, endColumn) = range.source.lineAndColumn(of: max(range.start, range.end - 1))
    let width = endLine == line ? max(1, endColumn - column + 1) : 1
    var report = "\(range.source.name):\(line):\(column): \(kind.rawValue): \(message)\n"
    report += "    \(text)\n"
    report += "    " + String(repeating: " ", count: column - 1) + String(repeating: "^", count: width)
    if let hint { report += "\n  hint: \(hint)" }
    return report
  }
}

/// The closest of `candidates` to `word` by edit distance, if it is close enough to suggest.
func nearestName(to word: String, in candidates: some Sequence<String>) -> String? {
  let target = Array(word.lowercased().unicodeScalars)
  var best: (String, Int)?
  for candidate in candidates {
    let other = Array(candidate.lowercased().unicodeScalars)
    var previous = Array(0...other.count)
    for (i, a) in target.enumerated() {
      var current = [i + 1] + Array(repeating: 0, count: other.count)
      for (j, b) in other.enumerated() {
        current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a == b ? 0 : 1))
      }
      previous = current
    }
    let distance = previous[other.count]
    // Ties go to the candidate first in code-point order: the same answer every run, whatever
    // order the candidates come in (`if` → `IN` before `in`).
    if distance <= max(2, target.count / 3), distance < target.count,
      best == nil || distance < best!.1 || (distance == best!.1 && candidate < best!.0)
    {
      best = (candidate, distance)
    }
  }
  return best?.0
}
