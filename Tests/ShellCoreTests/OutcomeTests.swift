import Foundation
import JQ
import ShellCore
import TestSupport
import Testing

/// Result statuses are one open, typed vocabulary with severities: the exit status is derived
/// from what a run counted, in one place, and a module can add statuses and exit codes.
@Suite("Outcomes")
struct OutcomeTests {
  /// A module's own status and a status that ends runs with 77, as an embedder would declare.
  static let sent = ResultStatus("sent", severity: .ok, order: 1, meaning: "sent")
  static let refused = ExitStatus(77, meaning: "refused")

  /// A session with `results STATUS…`: one record per word (`fatal` for one that ends the
  /// run with 77), counted by the run.
  static func session(_ output: Locked<[UInt8]>) -> Session {
    let session = Session(
      output: OutputSink { bytes in output.withLock { $0 += bytes } }, diagnostics: { _ in },
      environment: HostEnvironment())
    session.register(
      CommandDefinition(
        CommandSignature(
          "results", summary: "Counts records.", parameters: [.init("STATUSES", .word, "comma-separated")]),
        role: .source
      ) { context in
        let words = (context.word(0) ?? "").split(separator: ",").map(String.init)
        return RecordSource(run: context.run, words: words, next: context.next)
      })
    return session
  }

  final class RecordSource: SourceStage {
    let context: RunContext
    let words: [String]
    let next: any Stage
    init(run: RunContext, words: [String], next: any Stage) {
      self.context = run
      self.words = words
      self.next = next
    }
    func push(_ item: Item) throws { try next.push(item) }
    func finish() throws { try next.finish() }
    func run() throws {
      for (index, word) in words.enumerated() {
        let status = ResultStatus.core.first { $0.name == word } ?? (word == "fatal" ? .failed : OutcomeTests.sent)
        let record = ResultRecord(
          row: index + 1, op: "results", status: status, severity: word == "fatal" ? .fatal(OutcomeTests.refused) : nil)
        try next.push(
          .row(Row(value: try context.count(record), number: index + 1, origin: Origin(source: "t", line: 0))))
      }
      try next.finish()
    }
  }

  @Test(
    "the exit status is the most severe any counted result calls for; in doubt outranks failed; a fatal one wins",
    arguments: [
      ("sent,skipped", ShellCore.ExitStatus.success), ("sent,invalid", .someFailed), ("failed,unknown", .someUnknown),
      ("unknown,failed,sent", .someUnknown), ("sent,fatal,unknown", OutcomeTests.refused), ("", .success),
    ])
  func exitStatusFromResults(_ statuses: String, _ expected: ShellCore.ExitStatus) {
    let output = Locked<[UInt8]>([])
    let status = Self.session(output).run("results \(statuses.isEmpty ? "x" : statuses) | where false", name: "<t>")
    #expect(status == (statuses.isEmpty ? .success : expected), "\(statuses)")
    // Counted where made: a later stage that drops the rows does not change the status.
  }

  @Test func aRunCountsWhatItsResultsSay() {
    let result = runProgram(#"read | map .a"#, input: "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n")
    #expect(result.lines.count == 3)
    #expect(result.lines[1].contains(#""status":"invalid""#))
    #expect(result.status == ShellCore.ExitStatus.someFailed)
  }

  @Test func recordsSpellStatusesAsDocumented() {
    var record = ResultRecord(row: 2, op: "dedupe", status: .skipped, [Value.reason(.duplicate)])
    record.add("key", "a@example.org")
    #expect(
      JSONWriter.compact(record.value)
        == #"{"row":2,"op":"dedupe","status":"skipped","reason":"duplicate","key":"a@example.org"}"#)
    #expect(ExitStatus(rawValue: 5).rawValue == 5 && ExitStatus(rawValue: 64) == .usage)
  }

  @Test func halt_errorEndsWithItsOwnCode() {
    let result = runProgram(#""bye\n" | halt_error(5)"#, input: "")
    #expect(result.status.rawValue == 5)
  }
}
