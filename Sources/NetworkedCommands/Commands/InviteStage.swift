import Foundation
import NetworkedAPI
import ShellCore

/// `invite`: sends rows `{name, email, tagId, note?}` through `POST …/invites/emails`, many per
/// request, and gives each row exactly one result.
final class InviteStage: Stage {
  private struct Pending {
    var row: Row
    var invitee: Invitee
    /// Its claim in the journal (nil in a dry run, which claims nothing).
    var claim: Int64?
  }

  private let run: SendingRun
  private let batchSize: Int
  private let planIds: [String]?
  private let note: RowEvaluator?
  private var pending: [Pending] = []
  private var firstRowByEmail: [String: Int] = [:]
  private var connection: NetworkedConnection { run.connection }
  private var next: any Stage { run.next }
  private var journal: JournalKeeper { run.journal }

  init(
    run: RunContext, connection: NetworkedConnection, next: any Stage, batchSize: Int, planIds: [String]?,
    note: RowEvaluator?, dryRun: Bool, reinvite: Bool
  ) {
    self.run = SendingRun(
      op: "invite", run: run, connection: connection, next: next, dryRun: dryRun, reinvite: reinvite)
    self.batchSize = batchSize
    self.planIds = planIds
    self.note = note
  }

  func push(_ item: Item) throws {
    switch item {
    case .row(let row) where row.isGroup:
      // A batch (or any array of rows) decides the grouping: its rows go in one request
      // (split further only if the server insists, or past --batch-size).
      try flush()
      for member in row.expanded {
        try accept(member)
        if pending.count >= batchSize { try flush() }
      }
      try flush()
    case .row(let row):
      try accept(row)
      if pending.count >= batchSize { try flush() }
    case .report(let value):
      try run.pass(report: value)
    }
  }

  func finish() throws {
    try flush()
    run.finish()
    try next.finish()
  }

  // MARK: Rows

  private func accept(_ row: Row) throws {
    if try run.skipIfStopped(row, email: row.value.text("email")) { return }
    var invitee: Invitee
    do {
      let value = try Validation.object(row)
      let name = try Validation.name(value)
      let email = try Validation.email(value)
      let tagId = try Validation.roleId(value, field: "tagId", roles: connection.knownRoles)
      invitee = Invitee(name: name, email: email, tagId: tagId, note: try Validation.note(value.text("note")))
      if invitee.note == nil, let note {
        switch try note.first(row, next: next) {
        case .reported: return  // an invalid result was pushed
        case .value(.string(let text)) where !text.isEmpty: invitee.note = try Validation.note(text)
        case .value, .none: break
        }
      }
    } catch let problem as Validation.Problem {
      return try invalid(row, problem)
    }
    let key = invitee.email.lowercased()
    if let first = firstRowByEmail[key] {
      return try run.skip(row, invitee.email, Skip(reason: .duplicate, details: [("duplicateOf", .number(first))]))
    }
    firstRowByEmail[key] = row.number
    // Claimed now, before it can be batched: from here no other run sends to this person.
    var claim: Int64?
    if run.dryRun {
      if let skip = journal.check(email: invitee.email) { return try run.skip(row, invitee.email, skip) }
    } else {
      let operation = JournalOperation(
        kind: .invite, email: invitee.email, name: invitee.name, roleId: invitee.tagId, note: invitee.note,
        planIds: planIds)
      switch try journal.claim(operation, row: row.number) {
      case .claimed(let id): claim = id
      case .skip(let skip): return try run.skip(row, invitee.email, skip)
      case .unwritable(let error):
        let value = Value.error(code: .journalError, message: "not sent: the journal could not be written (\(error))")
        return try emit(row, status: .failed, email: invitee.email, [("error", value)])
      }
    }
    pending.append(Pending(row: row, invitee: invitee, claim: claim))
    connection.progress.setPendingRequests((pending.count + batchSize - 1) / batchSize)
  }

  private func invalid(_ row: Row, _ problem: Validation.Problem) throws {
    try emit(
      row, status: .invalid, email: row.value.text("email"),
      [
        ("error", .error(code: problem.code, message: problem.message))
      ])
  }

  private func emit(_ row: Row, status: ResultStatus, email: String?, _ fields: [(String, Value)]) throws {
    try run.emit(row, status, email, fields)
  }

  // MARK: Requests

  private func flush() throws {
    guard !pending.isEmpty else { return }
    let group = pending
    pending = []
    try sendInChunks(group)
  }

  /// Sends `rows` in requests no larger than the batch size or the size the server accepted.
  private func sendInChunks(_ rows: [Pending]) throws {
    var start = 0
    while start < rows.count {
      let size = min(connection.learnedInviteLimit ?? Int.max, batchSize, rows.count - start)
      connection.progress.setPendingRequests((rows.count - start + size - 1) / size)
      try send(Array(rows[start..<(start + size)]))
      start += size
    }
  }

  private func send(_ chunk: [Pending]) throws {
    if run.stopReason != nil {
      journal.release(chunk.compactMap(\.claim))
      for item in chunk { _ = try run.skipIfStopped(item.row, email: item.invitee.email) }
      return
    }
    if run.dryRun { return try plan(chunk) }
    let claimed = chunk.filter { $0.claim != nil }
    guard !claimed.isEmpty else { return }
    let operation = SendOperation(
      request: .invite(claimed.map(\.invitee), planIds: planIds), claims: claimed.map { $0.claim! })
    try run.send(operation, rows: claimed.map { ($0.row, $0.invitee.email) })
  }

  private func plan(_ chunk: [Pending]) throws {
    let request = run.nextRequest()
    let at = run.plannedTime(of: request)
    let body: [(String, Value)] =
      [("count", .number(chunk.count))]
      + (planIds.map { [("monetizationPlanIds", .array($0.map(Value.string)))] } ?? [])
    for item in chunk {
      var entry: [(String, Value)] = [
        ("name", .string(item.invitee.name)), ("email", .string(item.invitee.email)),
        ("tagId", .string(item.invitee.tagId)),
      ]
      if let note = item.invitee.note { entry.append(("note", .string(note))) }
      try emit(
        item.row, status: .planned, email: item.invitee.email,
        [
          ("request", .number(request)),
          (
            "http",
            .object(
              JSONObject([
                ("method", .string("POST")),
                ("url", .string(connection.configuration.baseURL.string + NetworkedClient.Paths.invites)),
                ("users", .object(JSONObject(body))), ("user", .object(JSONObject(entry))),
                ("at", at.map { .string(ISO8601.format($0)) } ?? .null),
              ]))
          ),
        ])
    }
  }
}
