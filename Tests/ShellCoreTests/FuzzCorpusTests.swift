import Foundation
import JQ
import ShellCore
import TestSupport
import Testing

/// Replays the fuzzers' seed corpus and every input a fuzzer ever crashed on
/// (Tests/Fuzz/regressions) through the same entry points, in the normal test run.
@Suite("fuzz corpus replay")
struct FuzzCorpusTests {
  static let root = URL(fileURLWithPath: repositoryPath("Tests/Fuzz"))

  static func inputs(_ target: String) -> [(String, [UInt8])] {
    ["corpus", "regressions"].flatMap { kind -> [(String, [UInt8])] in
      let directory = root.appendingPathComponent(kind).appendingPathComponent(target)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
      return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
          return nil
        }
        return ("\(kind)/\(target)/\(name)", Array(data))
      }
    }
  }

  @Test("parser inputs end in a program or a diagnostic")
  func parser() {
    let table = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: HostEnvironment()).commandTable
    let cases = Self.inputs("parser")
    #expect(!cases.isEmpty)
    for (name, bytes) in cases {
      let text = String(decoding: bytes, as: UTF8.self)
      _ = JQLanguage.needsMoreInput(text)
      // On the evaluation thread, where a session parses.
      let error: (any Error)? = onEvaluationThread {
        do {
          var parser = try StatementParser(Source(name: "<fuzz>", text: text), commands: table)
          _ = try parser.parseProgram()
          return nil
        } catch { return error }
      }
      if name.contains("/deep-") {
        #expect(
          "\(error.map { String(describing: $0) } ?? "no error")".contains("nested more than 256 levels"), "\(name)")
      }
    }
  }

  @Test("JSON and CSV inputs give one item per value or record, never a crash")
  func readers() throws {
    for (name, bytes) in Self.inputs("json") {
      var source = BytesSource(bytes)
      var items = 0
      try JSONRowReader(sourceName: name).read(&source) { _ in items += 1 }
      // No item only for nothing at all: white space, a BOM, or an empty top-level array.
      let meaningful = bytes.filter { ![0x20, 0x0A, 0x0D, 0x09, 0xEF, 0xBB, 0xBF].contains($0) }
      #expect(items > 0 || meaningful.isEmpty || meaningful == Array("[]".utf8), "\(name)")
    }
    for (name, bytes) in Self.inputs("csv") {
      var source = BytesSource(bytes)
      do {
        try CSVReader(sourceName: name).read(&source) { _ in }
      } catch {
        // Only a header that cannot be read stops a CSV; a bad record is an invalid row.
        #expect("\(error)".contains("header"), "\(name): \(error)")
      }
    }
  }
}
