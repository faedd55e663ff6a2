import Foundation
import JQConformance

// Runs jq's test files against nwsh's expressions; see scripts/jq-conformance.
// Usage: jq-conformance [--verbose] [--trace] [-L DIR]… FILE…, or jq-conformance --differential
var arguments = Array(CommandLine.arguments.dropFirst())
// `--differential`: answer the cases of scripts/jq-differential, read as JSON lines on stdin.
if arguments.first == "--differential" {
  Differential.run(seconds: 2, maxOutputs: 200)
  exit(0)
}
var libraryPaths: [String] = []
while let index = arguments.firstIndex(of: "-L"), index + 1 < arguments.count {
  libraryPaths.append(arguments[index + 1])
  arguments.removeSubrange(index...(index + 1))
}
let verbose = arguments.contains("--verbose")
let paths = arguments.filter { !$0.hasPrefix("--") }
do {
  let report = try Conformance.run(paths: paths, libraryPaths: libraryPaths, trace: arguments.contains("--trace"))
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
