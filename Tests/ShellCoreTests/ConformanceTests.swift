import Foundation
import JQConformance
import Testing

/// jq's own test cases: every case must pass, none left outside.
@Suite("jq conformance")
struct ConformanceTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("jq-tests")

  @Test(arguments: ["jq.test", "man.test"])
  func everyInSubsetCasePasses(file: String) throws {
    let path = Self.directory.appendingPathComponent(file).path
    try #require(FileManager.default.fileExists(atPath: path), "jq's tests are expected at \(path)")
    let report = try Conformance.run(
      paths: [path], libraryPaths: [Self.directory.appendingPathComponent("modules").path])
    #expect(report.failures.isEmpty, "\(report.summary)")
    #expect(report.passed > 200)
    // Every case runs: nothing is left outside (modules, dates, decNumber, jq's parse errors).
    #expect(report.outOfSubset.isEmpty, "\(report.outOfSubset)")
  }
}
