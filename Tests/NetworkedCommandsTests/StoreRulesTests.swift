import Foundation
import NetworkedTesting
import Testing

@testable import NetworkedCommands

/// The store rules, as two processes would meet them, on SQLite (the same suite runs on
/// PostgreSQL in PostgresStateTests).
@Suite("the store's rules on SQLite: every rule, with another process's step between any two")
struct StoreRulesTests {
  @Test("StoreConformance passes on SQLite, every scenario in every schedule")
  func sqlite() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-rules-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/state.sqlite"
    let report = try StoreConformance.run(
      StoreConformance.Subject(interleavesWithinTransactions: false) { try SQLiteDatabase(path: path) })
    #expect(report.failures.isEmpty, "\(report.failures.joined(separator: "\n"))")
    // Every scenario ran in more than one schedule: the other step went somewhere each time.
    #expect(report.schedules.count == 11 && report.schedules.values.allSatisfy { $0 >= 2 }, "\(report.schedules)")
    print("SQLite schedules: \(report.schedules.sorted { $0.key < $1.key })")
  }
}
