import Foundation
import JQ
import NetworkedTesting
import ShellCore
import Testing

@testable import NetworkedCommands

/// The store rules, as two processes would meet them, on SQLite (the same suite runs on
/// PostgreSQL in PostgresStateTests).
@Suite("the store's rules on SQLite: every rule, with another process's step between any two")
struct StoreRulesTests {
  @Test("a symbolic link to a state database is that database; a device is refused, named so")
  func symbolicLinks() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-link-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let real = directory + "/real.sqlite"
    let first = StateStore(database: try SQLiteDatabase(path: real), lease: 600)
    #expect(try first.check().schema > 0)
    try FileManager.default.createSymbolicLink(atPath: directory + "/link.sqlite", withDestinationPath: real)
    let linked = StateStore(database: try SQLiteDatabase(path: directory + "/link.sqlite"), lease: 600)
    #expect(try linked.check().schema == first.check().schema)
    #expect {
      try SQLiteDatabase(path: "/dev/null")
    } throws: { "\($0)".contains("not a regular file") && !"\($0)".contains("/dev/null/state.sqlite") }
  }

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
    #expect(report.schedules.count == 13 && report.schedules.values.allSatisfy { $0 >= 2 }, "\(report.schedules)")
    print("SQLite schedules: \(report.schedules.sorted { $0.key < $1.key })")
  }

  @Test("every rule is safe to run twice (a transaction committed, then run again, as after a lost acknowledgement)")
  func repeated() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-rules-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/state.sqlite"
    let report = try StoreConformance.run(
      StoreConformance.Subject(interleavesWithinTransactions: false) { try SQLiteDatabase(path: path) },
      repeating: true)
    #expect(report.failures.isEmpty, "\(report.failures.joined(separator: "\n"))")
    #expect(report.schedules.count == 12, "\(report.schedules)")
  }
}

/// What `journal --results` and `report --run` show for a run whose answer was journalled as a
/// conflict: what the run printed.
@Suite("a run's results from the journal, with a conflict")
struct ConflictResultsTests {
  @Test(
    "one line per row: the conflict entry, shown in doubt with the answer; the intent it could not write over is not shown"
  )
  func printed() {
    let operation = JournalOperation(kind: .invite, email: "ada@example.org", name: "Ada", roleId: "r")
    let taken = JournalEntry(
      id: 1, run: "run-a", operation: operation, row: 3, request: 1, state: .reconciled, error: .inDoubt, created: 0,
      updated: 0)
    let conflict = JournalEntry(
      id: 7, run: "run-a", operation: operation, row: 3, request: 1, state: .invited, inviteId: "i-1",
      error: .journalConflict, created: 1, updated: 1)
    let other = JournalEntry(
      id: 5, run: "run-b", operation: operation, row: 1, request: 1, state: .invited, created: 1, updated: 1)
    let shown = JournalCommands.printed([taken, other, conflict])
    #expect(shown.map(\.id) == [5, 7])
    let line = JournalCommands.result(conflict, now: 2, roles: nil)
    #expect(line["status"]?.stringValue == "unknown")
    #expect(line["error"]?["code"]?.stringValue == "journal_conflict")
    #expect(line["error"]?["answer"]?["status"]?.stringValue == "invited")
    #expect(line["error"]?["answer"]?["inviteId"]?.stringValue == "i-1")
  }
}
