import Foundation
import JQConformance

// Runs jq's test files against nwsh's expressions; see scripts/jq-conformance.
let arguments = CommandLine.arguments.dropFirst()
let verbose = arguments.contains("--verbose")
let paths = arguments.filter { !$0.hasPrefix("--") }
do {
  let report = try Conformance.run(paths: paths)
  var summary = report.summary
  if !verbose, report.failures.count > 40 {
    let lines = summary.components(separatedBy: "\n")
    summary =
      (lines.prefix(80) + ["… (--verbose for all)"] + lines.suffix(from: lines.count - 1 - report.outOfSubset.count - 1))
      .joined(separator: "\n")
  }
  print(summary)
  exit(report.failures.isEmpty ? 0 : 1)
} catch {
  FileHandle.standardError.write(Data("jq-conformance: \(error)\n".utf8))
  exit(2)
}
