import Foundation
import JQ
import ShellCore
import TestSupport
import Testing

/// Random programs from a small grammar over random JSON, run through nwsh's interpreter and
/// the installed `jq` (1.6 on Debian): outputs (compared as JSON values) and failure must agree.
/// Thousands of cases a run, batched into a few `jq` processes; a disagreement is shrunk (the
/// program to a smaller part of itself, the input to a smaller value) and reported with the line
/// to keep in `differential-regressions.txt`, whose cases every run replays.
///
/// The grammar avoids the corners where jq 1.6 and 1.8 (nwsh's reference) differ: `try … catch`
/// is parenthesized (1.6's catch body swallows a following `|`), `reverse` is left out (1.8
/// reverses strings), and so is `//` (1.8 ignores errors on its left, 1.6 does not); `sort` and
/// `ascii_downcase` are left out too (1.6 accepts non-arrays and null there), and so is `try`
/// (1.6 also caught errors raised downstream of it). `?` paths stay. Numbers stay small: 1.6
/// has no literal precision.
@Suite("Differential against jq")
struct DifferentialTests {
  /// A program as a tree, so that a failing one can be shrunk to one of its parts.
  indirect enum Program: CustomStringConvertible {
    case leaf(String)
    /// Text around the children: `parts[0] child[0] parts[1] child[1] … parts[n]`.
    case node([String], [Program])

    var description: String {
      switch self {
      case .leaf(let text): return text
      case .node(let parts, let children):
        var text = parts[0]
        for (index, child) in children.enumerated() { text += child.description + parts[index + 1] }
        return text
      }
    }

    /// Smaller programs: each child in place of the whole, then each node with one child
    /// shrunk, then `.`.
    var shrinks: [Program] {
      guard case .node(let parts, let children) = self else { return description == "." ? [] : [.leaf(".")] }
      var smaller: [Program] = children
      for (index, child) in children.enumerated() {
        for candidate in child.shrinks {
          var copy = children
          copy[index] = candidate
          smaller.append(.node(parts, copy))
        }
      }
      return smaller + [.leaf(".")]
    }
  }

  struct Generator {
    var random: SplitMix64
    init(state: UInt64) { random = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { random.next() }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    mutating func json(_ depth: Int = 0) -> String {
      switch next() % (depth > 2 ? 4 : 7) {
      case 0: return String(Int(next() % 21) - 10)
      case 1: return pick(["\"x\"", "\"yz\"", "\"Zoë\"", "\"\""])
      case 2: return pick(["null", "true", "false"])
      case 3: return "\(Int(next() % 100)).5"
      case 4, 5:
        let keys = ["a", "b", "c"].filter { _ in next() % 3 != 0 }
        return "{" + keys.map { "\"\($0)\":\(json(depth + 1))" }.joined(separator: ",") + "}"
      default:
        return "[" + (0..<Int(next() % 4)).map { _ in json(depth + 1) }.joined(separator: ",") + "]"
      }
    }

    mutating func expr(_ depth: Int = 0) -> Program {
      if depth > 3 { return .leaf(pick([".", ".a", ".b", "1", "\"s\"", "null", ".[0]", ".c?"])) }
      func sub() -> Program { expr(depth + 1) }
      switch next() % 16 {
      case 0: return .leaf(pick([".a", ".b", ".c", ".a.b", ".[0]", ".[1]", ".a?", ".[]?", ".."]))
      case 1: return .leaf(pick(["0", "2", "-3", "\"k\"", "true", "null", "[]", "{}"]))
      case 2:
        let op = pick(["+", "-", "==", "!=", "<", ">=", "and", "or"])
        return .node(["((", ") \(op) (", "))"], [sub(), sub()])
      case 3: return .node(["(", " | ", ")"], [sub(), sub()])
      case 4: return .node(["(", ", ", ")"], [sub(), sub()])
      case 5: return .node(["[", "]"], [sub()])
      case 6: return .node(["{\(pick(["a", "b", "\"q r\""])): ", "}"], [sub()])
      case 7: return .node(["if ", " then ", " else ", " end"], [sub(), sub(), sub()])
      case 8:
        let name = pick(["length", "type", "tostring", "keys", "not", "tojson", "add", "to_entries", "unique"])
        return .node(["(", " | \(name))"], [sub()])
      case 9: return .node(["select(", ")"], [sub()])
      case 10: return .node(["(", " | tostring)"], [sub()])
      case 11: return .node(["((", ") as $v | [$v, ", "])"], [sub(), sub()])
      case 12: return .node(["[.[]? | ", "]"], [sub()])
      case 13: return .node(["reduce (", ") as $x (0; . + 1)"], [sub()])
      case 14: return .node(["(", " | has(\(pick(["\"a\"", "0"]))))"], [sub()])
      default: return .node(["\"<\\(", ")>\""], [sub()])
      }
    }
  }

  /// What a program gave: its outputs, and whether it then failed.
  struct Outcome: Equatable {
    var outputs: [Value]
    var failed: Bool
    var text: String { outputs.map(JSONWriter.compact).joined(separator: " ") + (failed ? " (then failed)" : "") }
  }

  static let failedMarker = #"{"__nwsh_diff_failed__":true}"#

  /// jq's outcomes for `cases` in one process; nil for a program jq 1.6 cannot compile.
  static func jq(_ cases: [(program: String, input: String)]) throws -> [Outcome?] {
    guard !cases.isEmpty else { return [] }
    let body = cases.enumerated().map { index, item in
      "[\(index), [$in[\(index)] | try (\(item.program)) catch \(failedMarker)]]"
    }.joined(separator: ",\n")
    let run = try runProcess(
      "/usr/bin/jq", ["-c", ". as $in | \(body)"], stdin: "[" + cases.map(\.input).joined(separator: ",") + "]")
    if run.status == 3 {
      // A program 1.6 cannot compile (its grammar is narrower): find it by halves.
      if cases.count == 1 { return [nil] }
      let half = cases.count / 2
      return try jq(Array(cases[..<half])) + jq(Array(cases[half...]))
    }
    var outcomes = [Outcome?](repeating: nil, count: cases.count)
    let marker = try JSONParser.parse(failedMarker)
    for line in run.stdout.split(separator: "\n") {
      guard case .array(let pair) = try JSONParser.parse(String(line)), pair.count == 2,
        let index = pair[0].doubleValue, case .array(var outputs) = pair[1]
      else { continue }
      let failed = outputs.last == marker
      if failed { outputs.removeLast() }
      outcomes[Int(index)] = Outcome(outputs: outputs, failed: failed)
    }
    return outcomes
  }

  /// nwsh's outcome for one case; nil when nwsh cannot parse the program.
  static func nwsh(_ program: String, _ input: String) -> Outcome? {
    guard let value = try? JSONParser.parse(input) else { return nil }
    let compiled: JQProgram
    do {
      compiled = try JQProgram(program, name: "diff")
    } catch {
      return error.kind == .syntax ? nil : Outcome(outputs: [], failed: true)
    }
    var outputs: [Value] = []
    var failed = false
    do {
      try onEvaluationThread { try compiled.run(value) { outputs.append($0) } }
    } catch {
      failed = true
    }
    return Outcome(outputs: outputs, failed: failed)
  }

  /// Whether nwsh and jq disagree on the case (false when jq cannot compile it).
  static func disagree(_ program: String, _ input: String) throws -> Bool {
    guard let expected = try jq([(program, input)])[0] else { return false }
    return nwsh(program, input) != expected
  }

  /// A smaller case that still disagrees: the program shrunk part by part, then the input.
  static func shrink(_ program: Program, _ input: String) throws -> (String, String) {
    var program = program
    var shrinking = true
    while shrinking {
      shrinking = false
      for candidate in program.shrinks where try disagree(candidate.description, input) {
        program = candidate
        shrinking = true
        break
      }
    }
    var input = input
    shrinking = true
    while shrinking {
      shrinking = false
      guard let value = try? JSONParser.parse(input) else { break }
      var candidates: [Value] = [.null, .number(0), .array([]), .object(JSONObject())]
      switch value {
      case .array(let items): candidates += items
      case .object(let object): candidates += object.map(\.1)
      default: break
      }
      for candidate in candidates.map(JSONWriter.compact) where candidate != input {
        if try disagree(program.description, candidate) {
          input = candidate
          shrinking = true
          break
        }
      }
    }
    return (program.description, input)
  }

  static let regressionsPath = repositoryPath("Tests/ShellCoreTests/differential-regressions.txt")

  @Test("thousands of random programs agree with jq; a disagreement is shrunk and reported")
  func randomProgramsAgreeWithJq() throws {
    try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/jq"), "jq is installed by scripts/test")
    let seed = UInt64(ProcessInfo.processInfo.environment["NWSH_DIFF_SEED"] ?? "") ?? 20_261_205
    let count = Int(ProcessInfo.processInfo.environment["NWSH_DIFF_CASES"] ?? "") ?? 3000
    var generator = Generator(state: seed)
    let cases = (0..<count).map { _ in (program: generator.expr(), input: generator.json()) }
    var expected: [Outcome?] = []
    for start in stride(from: 0, to: cases.count, by: 500) {
      let chunk = cases[start..<min(start + 500, cases.count)]
      expected += try Self.jq(chunk.map { ($0.program.description, $0.input) })
    }
    var compared = 0
    var reported = 0
    for (index, item) in cases.enumerated() {
      guard let jq = expected[index] else { continue }
      compared += 1
      let program = item.program.description
      guard let ours = Self.nwsh(program, item.input), ours == jq else {
        if reported < 3 {
          let (small, input) = try Self.shrink(item.program, item.input)
          let line = "\(small)\t\(input)"
          Issue.record(
            """
            case \(index) (seed \(seed)) disagrees with jq: \(program) on \(item.input)
            shrunk: jq \(small) on \(input): jq gave \(try Self.jq([(small, input)])[0]?.text ?? "?"), \
            nwsh \(Self.nwsh(small, input)?.text ?? "a parse error")
            keep it in Tests/ShellCoreTests/differential-regressions.txt: \(line)
            """)
        }
        reported += 1
        continue
      }
    }
    #expect(compared >= count * 9 / 10, "\(compared) of \(count) compared")
    #expect(reported == 0, "\(reported) of \(compared) cases disagree with jq")
  }

  @Test("the kept regression cases agree with jq")
  func regressionCases() throws {
    try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/jq"), "jq is installed by scripts/test")
    let text = try String(contentsOfFile: Self.regressionsPath, encoding: .utf8)
    let cases = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
      let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
      return (program: parts[0], input: parts.count > 1 ? parts[1] : "null")
    }
    #expect(cases.count >= 10)
    let expected = try Self.jq(cases)
    for (index, item) in cases.enumerated() {
      let jq = try #require(expected[index], "jq cannot compile the kept case \(item.program)")
      let ours = Self.nwsh(item.program, item.input)
      #expect(ours == jq, "\(item.program) on \(item.input): jq \(jq.text), nwsh \(ours?.text ?? "a parse error")")
    }
  }
}
