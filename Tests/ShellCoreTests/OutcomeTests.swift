import Foundation
import ShellCore
import TestSupport
import Testing

/// Result statuses are one typed vocabulary: the exit status follows from them, and the
/// README documents every one.
@Suite("Outcomes")
struct OutcomeTests {
  static let readme = try! String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)

  @Test func theExitStatusIsTheMostSevereAnyResultCallsFor() {
    var tally = Session.Tally()
    #expect(tally.exitStatus == ShellCore.ExitStatus.success)
    for status in [RowStatus.invited, .added, .planned, .skipped] { tally.statuses[status] = 3 }
    #expect(tally.exitStatus == ShellCore.ExitStatus.success)
    tally.statuses[.invalid] = 1
    #expect(tally.exitStatus == ShellCore.ExitStatus.someFailed)
    tally.statuses[.unknown] = 1
    #expect(tally.exitStatus == ShellCore.ExitStatus.someUnknown)
    tally.statuses[.invalid] = nil
    tally.statuses[.failed] = 2
    #expect(tally.exitStatus == ShellCore.ExitStatus.someUnknown)
  }

  @Test func aRunCountsWhatItsResultsSay() {
    let result = runProgram(#"read | map .a"#, input: "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n")
    #expect(result.lines.count == 3)
    #expect(result.lines[1].contains(#""status":"invalid""#))
    #expect(result.status == ShellCore.ExitStatus.someFailed)
  }

  @Test(arguments: RowStatus.allCases) func everyStatusIsDocumented(_ status: RowStatus) {
    #expect(Self.readme.contains("| `\(status.rawValue)` |"), "the README's status table lacks \(status.rawValue)")
  }

  @Test(arguments: ShellCore.ExitStatus.allCases) func everyExitCodeIsDocumented(_ status: ShellCore.ExitStatus) {
    #expect(Self.readme.contains("| \(status.rawValue) |"), "the README's exit code table lacks \(status.rawValue)")
  }

  @Test func recordsSpellStatusesAsDocumented() {
    let record = Value.result(row: 2, status: .skipped, [Value.reason(.duplicate), ("op", .string("dedupe"))])
    #expect(JSONWriter.compact(record) == #"{"row":2,"op":"dedupe","status":"skipped","reason":"duplicate"}"#)
    #expect(RowStatus(of: record) == .skipped)
    #expect(RowStatus(of: .object(JSONObject([("status", .string("bogus"))]))) == nil)
  }
}
