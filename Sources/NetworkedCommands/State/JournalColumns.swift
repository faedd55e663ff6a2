import Foundation
import ShellCore

/// A journal row as a database hands it over, column by column (by the column names of
/// SQLite's `journal` table; a database whose names differ maps them).
package protocol JournalRowReading {
  /// The text in `column`, nil when null.
  func text(_ column: String) throws -> String?
  /// The whole number in `column`, nil when null.
  func integer(_ column: String) throws -> Int64?
  /// The number in `column`, nil when null.
  func real(_ column: String) throws -> Double?
}

/// How a journal entry is laid out in columns, once for every database.
package enum JournalColumns {
  /// `plan_ids`: a JSON array of strings.
  package static func planIds(_ ids: [String]?) -> String? {
    ids.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
  }

  /// The entry a row holds.
  package static func entry(_ row: some JournalRowReading) throws -> JournalEntry {
    let planIds = try row.text("plan_ids").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    let run = try row.text("run") ?? ""
    let operation = JournalOperation(
      kind: JournalOperationKind(rawValue: try row.text("op") ?? "") ?? .invite, email: try row.text("email") ?? "",
      name: try row.text("name") ?? "", roleId: try row.text("role_id") ?? "", note: try row.text("note"),
      planIds: planIds, planId: try row.text("plan_id"), method: try row.integer("method").map { Int($0) },
      passwordSet: try row.integer("password_set") == 1)
    var owner: ClaimOwner?
    if let host = try row.text("host"), let pid = try row.integer("pid") {
      let process = ProcessIdentity(
        host: host, machine: try row.text("machine"), pidNamespace: try row.text("pid_ns"), pid: Int32(pid),
        start: try row.integer("pid_start"))
      owner = ClaimOwner(run: run, process: process)
    }
    return JournalEntry(
      id: try row.integer("id") ?? 0, run: run, operation: operation, row: Int(try row.integer("row") ?? 0),
      request: Int(try row.integer("request") ?? 0),
      state: JournalState(rawValue: try row.text("state") ?? "") ?? .unknown, inviteId: try row.text("invite_id"),
      userId: try row.text("user_id"), timeStamp: try row.integer("time_stamp"),
      error: try row.text("error").map { ErrorCode(rawValue: $0) }, created: try row.real("created") ?? 0,
      updated: try row.real("updated") ?? 0, owner: owner, leaseUntil: try row.real("lease_until"),
      supersedes: try row.integer("supersedes"), joined: try row.real("joined"),
      version: Int(try row.integer("version") ?? 0))
  }
}
