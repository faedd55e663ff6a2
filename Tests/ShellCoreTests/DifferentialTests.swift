import Foundation
import ShellCore
import TestSupport
import Testing

/// Random expressions from a small grammar over random JSON, run through nwsh's interpreter
/// and the installed `jq`; outputs (compared as JSON values) and failure must agree.
/// The grammar avoids the corners where jq 1.6 (installed) and 1.8 (nwsh's reference) differ:
/// `try … catch` is parenthesized (1.6's catch body swallows a following `|`), `reverse` is left
/// out (1.8 reverses strings), and so is `//` (1.8 ignores errors on its left, 1.6 does not);
/// `sort` and `ascii_downcase` are left out too (1.6 accepts non-arrays and null there), and so
/// is `try` (1.6 also caught errors raised downstream of it). `?` paths stay.
@Suite("Differential against jq")
struct DifferentialTests {
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

    mutating func expr(_ depth: Int = 0) -> String {
      if depth > 3 { return pick([".", ".a", ".b", "1", "\"s\"", "null", ".[0]", ".c?"]) }
      switch next() % 16 {
      case 0: return pick([".a", ".b", ".c", ".a.b", ".[0]", ".[1]", ".a?", ".[]?", ".."])
      case 1: return pick(["0", "2", "-3", "\"k\"", "true", "null", "[]", "{}"])
      case 2:
        return "((\(expr(depth + 1))) \(pick(["+", "-", "==", "!=", "<", ">=", "and", "or"])) (\(expr(depth + 1))))"
      case 3: return "(\(expr(depth + 1)) | \(expr(depth + 1)))"
      case 4: return "(\(expr(depth + 1)), \(expr(depth + 1)))"
      case 5: return "[\(expr(depth + 1))]"
      case 6: return "{\(pick(["a", "b", "\"q r\""])): \(expr(depth + 1))}"
      case 7: return "if \(expr(depth + 1)) then \(expr(depth + 1)) else \(expr(depth + 1)) end"
      case 8:
        return
          "(\(expr(depth + 1)) | \(pick(["length", "type", "tostring", "keys", "not", "tojson", "add", "to_entries", "unique"])))"
      case 9: return "select(\(expr(depth + 1)))"
      case 10: return "(\(expr(depth + 1)) | tostring)"
      case 11: return "((\(expr(depth + 1))) as $v | [$v, \(expr(depth + 1))])"
      case 12: return "[.[]? | \(expr(depth + 1))]"
      case 13: return "reduce (\(expr(depth + 1))) as $x (0; . + 1)"
      case 14: return "(\(expr(depth + 1)) | has(\(pick(["\"a\"", "0"]))))"
      default: return "\"<\\(\(expr(depth + 1)))>\""
      }
    }
  }

  static func jq(_ program: String, _ input: String) throws -> (outputs: [Value], failed: Bool, compileError: Bool) {
    // The input goes in as an argument: jq may exit (compile error) before reading stdin.
    let run = try runProcess("/usr/bin/jq", ["-nc", "--argjson", "input", input, "$input | (\(program))"])
    let lines = run.stdout.split(separator: "\n")
    return (try lines.map { try JSONParser.parse(String($0)) }, run.status != 0, run.status == 3)
  }

  @Test func randomProgramsAgreeWithJq() throws {
    try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/jq"), "jq is installed by scripts/test")
    let seed = UInt64(ProcessInfo.processInfo.environment["NWSH_DIFF_SEED"] ?? "") ?? 20_261_122
    var generator = Generator(state: seed)
    var compared = 0
    for index in 0..<250 {
      let program = generator.expr()
      let input = generator.json()
      let expected = try Self.jq(program, input)
      // jq 1.6's grammar is narrower than 1.8's (nwsh's reference): skip what 1.6 cannot compile.
      if expected.compileError { continue }
      let interpreter = Interpreter()
      var outputs: [Value] = []
      var failed = false
      do {
        let expr = try Parser.parseExpression(Source(name: "diff", text: program))
        try onEvaluationThread {
          try interpreter.evaluate(expr, try JSONParser.parse(input), .empty) { outputs.append($0) }
        }
      } catch {
        failed = true
      }
      #expect(
        outputs == expected.outputs && failed == expected.failed,
        "case \(index) (seed \(seed)): jq \(program) on \(input): jq gave \(expected.outputs.map(JSONWriter.compact))\(expected.failed ? " then failed" : ""), nwsh \(outputs.map(JSONWriter.compact))\(failed ? " then failed" : "")"
      )
      compared += 1
    }
    #expect(compared >= 200)
  }
}
