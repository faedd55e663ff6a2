import Foundation
import JQConformance
import Testing

/// jq's own test cases: every case inside nwsh's subset must pass.
@Suite("jq conformance")
struct ConformanceTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("jq-tests")

  @Test(arguments: ["jq.test", "man.test"])
  func everyInSubsetCasePasses(file: String) throws {
    let path = Self.directory.appendingPathComponent(file).path
    try #require(FileManager.default.fileExists(atPath: path), "jq's tests are expected at \(path)")
    let report = try Conformance.run(paths: [path])
    #expect(report.failures.isEmpty, "\(report.summary)")
    #expect(report.passed > 200)
    // The subset boundary stays small and explained.
    #expect(report.outOfSubset.values.reduce(0, +) < report.passed / 8)
  }
}
