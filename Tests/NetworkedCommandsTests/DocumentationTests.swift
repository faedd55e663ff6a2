import Foundation
import NetworkedCommands
import ShellCore
import TestSupport
import Testing

/// The README documents every result status and every exit status a run can end with.
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
}
