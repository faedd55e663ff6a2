import Foundation
import JQ

/// Runs jq's own test files (`jq.test`, `man.test`) against nwsh's expression engine.
///
/// A case is *out of the subset* when its program calls a function nwsh does not define or
/// uses a feature it leaves out; those are counted by reason, not run. Modules are looked for in
/// the library directories given to ``Conformance/run(paths:libraryPaths:)``, as jq's runner's `-L`.
/// Every other case must pass: same outputs, compared as JSON values (as jq's runner does).
/// `%%FAIL` cases pass when nwsh rejects the program before running it; the wording of the
/// message is not compared.
public struct ConformanceReport: Sendable {
  /// One failing case.
  public struct Failure: Sendable {
    /// `file:line`.
    public var location: String
    /// The program.
    public var program: String
    /// What went wrong.
    public var reason: String
  }

  /// Cases that passed.
  public var passed = 0
  /// Cases that failed.
  public var failures: [Failure] = []
  /// Cases not run, by reason.
  public var outOfSubset: [String: Int] = [:]

  /// The report as text: failures, reasons, and `N passed, M failed` last.
  public var summary: String {
    var lines: [String] = []
    for failure in failures {
      let reason = failure.reason.count > 400 ? String(failure.reason.prefix(400)) + "…" : failure.reason
      lines.append("FAIL \(failure.location): \(failure.program)\n     \(reason)")
    }
    let skipped = outOfSubset.values.reduce(0, +)
    if skipped > 0 {
      lines.append("out of the supported subset: \(skipped) cases")
      for (reason, count) in outOfSubset.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
        lines.append(String(format: "  %4d  %@", count, reason))
      }
    }
    lines.append("\(passed) passed, \(failures.count) failed")
    return lines.joined(separator: "\n")
  }
}

/// Runs the cases of jq test files.
public enum Conformance {
  /// Features nwsh leaves out on purpose, by the name that reveals them.
  static let unsupported: [String: String] = [:]

  /// Runs every case of `paths`, finding modules in `libraryPaths` (jq's `-L`); `trace` writes
  /// each case's location and program on stderr before it runs.
  public static func run(paths: [String], libraryPaths: [String] = [], trace: Bool = false) throws
    -> ConformanceReport
  {
    var report = ConformanceReport()
    let libraryPaths = libraryPaths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    for path in paths {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      for testCase in parse(text, file: (path as NSString).lastPathComponent) {
        if trace { FileHandle.standardError.write(Data("\(testCase.location): \(testCase.program)\n".utf8)) }
        onEvaluationThread { run(testCase, libraryPaths: libraryPaths, into: &report) }
      }
    }
    return report
  }

  struct Case {
    var location: String
    var program: String
    var input: String
    var expected: [String]
    var mustFail: Bool
  }

  static func parse(_ text: String, file: String) -> [Case] {
    var cases: [Case] = []
    let lines = text.components(separatedBy: "\n")
    var index = 0
    while index < lines.count {
      let line = lines[index]
      if line.isEmpty || line.hasPrefix("#") {
        index += 1
        continue
      }
      var block: [String] = []
      let start = index + 1
      while index < lines.count && !lines[index].isEmpty {
        if !lines[index].hasPrefix("#") { block.append(lines[index]) }
        index += 1
      }
      if block.first?.hasPrefix("%%FAIL") == true {
        if block.count >= 2 {
          cases.append(
            Case(location: "\(file):\(start)", program: block[1], input: "null", expected: [], mustFail: true))
        }
      } else if block.count >= 2 {
        cases.append(
          Case(
            location: "\(file):\(start)", program: block[0], input: block[1], expected: Array(block.dropFirst(2)),
            mustFail: false))
      }
    }
    return cases
  }

  static func run(_ testCase: Case, libraryPaths: [String], into report: inout ConformanceReport) {
    let program: JQProgram
    do {
      // jq's test runner has no further inputs: its `input` fails with "break".
      program = try JQProgram(
        testCase.program, name: "<test>",
        options: JQOptions(
          libraryPaths: libraryPaths, environment: ["PAGER": "less"], nextInput: { throw JQError("break") }))
    } catch {
      if testCase.mustFail {
        report.passed += 1
        return
      }
      if let reason = outOfSubsetReason(error) {
        report.outOfSubset[reason, default: 0] += 1
      } else {
        report.failures.append(
          .init(location: testCase.location, program: testCase.program, reason: "rejected: \(error.message)"))
      }
      return
    }
    if testCase.mustFail {
      report.failures.append(
        .init(location: testCase.location, program: testCase.program, reason: "accepted, but jq rejects it"))
      return
    }
    let input: Value
    let expected: [Value]
    do {
      input = try JSONParser.parse(testCase.input)
      expected = try testCase.expected.map { try JSONParser.parse($0) }
    } catch {
      report.outOfSubset["input or expected output is not JSON nwsh reads (NaN, comments)", default: 0] += 1
      return
    }
    var outputs: [Value] = []
    var failure: String?
    do {
      try program.run(input) { value in
        outputs.append(value)
        if outputs.count > expected.count + 100 { throw JQError("too many outputs") }
      }
    } catch let error as JQError {
      failure = "error: \(error.message)"
    } catch {
      failure = "error: \(error)"
    }
    // As in jq's own runner, an error after every expected output has appeared ends the case.
    let matches = outputs.count == expected.count && zip(outputs, expected).allSatisfy { same($0, $1) }
    if matches {
      report.passed += 1
    } else {
      var got = outputs.map(JSONWriter.compact).joined(separator: " ")
      if got.count > 300 { got = String(got.prefix(300)) + "…" }
      report.failures.append(
        .init(
          location: testCase.location, program: testCase.program,
          reason: (failure.map { $0 + "; " } ?? "") + "expected \(testCase.expected.joined(separator: " ")), got \(got)"
        ))
    }
  }

  /// Equality as jq's test runner sees it (NaN equals NaN here).
  static func same(_ a: Value, _ b: Value) -> Bool {
    if case .number(let x) = a, case .number(let y) = b, x.double.isNaN && y.double.isNaN { return true }
    return a == b
  }

  static func outOfSubsetReason(_ error: any Error) -> String? {
    guard let diagnostic = error as? Diagnostic else { return nil }
    if diagnostic.message.hasSuffix("is not defined") {
      let name = diagnostic.message.replacingOccurrences(of: " is not defined", with: "")
      if let reason = unsupported[name] { return reason }
      if name.hasPrefix("$") { return nil }
      return "builtin not provided: \(name)"
    }
    return nil
  }
}

extension Error {
  var message: String {
    if let diagnostic = self as? Diagnostic { return diagnostic.message }
    if let error = self as? JQError { return error.message }
    return String(describing: self)
  }
}
