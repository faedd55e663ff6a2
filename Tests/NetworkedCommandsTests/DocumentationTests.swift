import Foundation
import NetworkedCommands
import ShellCore
import TestSupport
import Testing

/// The README documents every result status, every error code (with whether to retry it) and
/// every exit status a run can end with.
@Suite("the README's tables")
struct DocumentationTests {
  static let readme = try! String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)

  @Test(arguments: NetworkedCommands.statuses.map(\.name))
  func everyStatusIsDocumented(_ status: String) {
    #expect(Self.readme.contains("| `\(status)` |"), "the README's status table lacks \(status)")
  }

  @Test(arguments: NetworkedCommands.exitStatuses.map(\.rawValue))
  func everyExitCodeIsDocumented(_ code: Int32) {
    #expect(Self.readme.contains("| \(code) |"), "the README's exit code table lacks \(code)")
  }

  @Test("the README's table of error codes is the catalog: each code, its status, what it means, whether to retry")
  func errorCodeTable() throws {
    let section = try #require(Self.readme.components(separatedBy: "### Error codes").dropFirst().first)
    let table = section.split(separator: "\n").drop { !$0.hasPrefix("| `") }.prefix { $0.hasPrefix("|") }
    let expected = ErrorCatalog.entries.map { entry in
      "| `\(entry.code.rawValue)` | `\(entry.status.name)` | \(entry.meaning) | \(entry.advice.rawValue) |"
    }
    #expect(table.map(String.init) == expected)
    #expect(expected.count > 30)
  }
}
