import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// `invite`: sends rows `{name, email, tagId, note?, planIds?}` through `POST …/invites/emails`,
/// many per request, and gives each row exactly one result.
///
/// Each person is checked and claimed in the journal as their row arrives, before they take a
/// place in a request: people the journal already settled (or another run holds) are skipped
/// there, so a re-run fills its requests with only the people still to invite. An upstream
/// `batch N` sets the request size (the largest batch seen, at most `--batch-size`); people
/// with different plans go in different requests.
final class InviteStage: Stage {
  private struct Pending {
    var row: Row
    var invitee: Invitee
    var operation: JournalOperation
    /// Its claim in the journal (nil in a dry run, which claims nothing).
    var claim: Int64?
  }

  private let run: SendingRun
  private let batchSize: Int
  private let planIds: [String]?
  private let note: RowEvaluator?
  private let reinvite: Bool
  /// The largest group (`batch N`) seen upstream: the request size, when smaller than the batch size.
  private var groupSize: Int?
  /// People waiting for a request, by the plans they are offered, in order of arrival.
  private var waiting: [(planIds: [String]?, people: [Pending])] = []
  private var firstRowByEmail: [String: Int] = [:]
  private var connection: NetworkedConnection { run.connection }
  private var next: any Stage { run.next }
  private var journal: JournalKeeper { run.journal }
  private var requestSize: Int { min(batchSize, groupSize ?? batchSize) }

  init(
    run: RunContext, connection: NetworkedConnection, next: any Stage, batchSize: Int, planIds: [String]?,
    note: RowEvaluator?, dryRun: Bool, reinvite: Bool
  ) {
    self.run = SendingRun(
      op: "invite", run: run, connection: connection, next: next, dryRun: dryRun, reinvite: reinvite)
    self.batchSize = batchSize
    self.planIds = planIds
    self.note = note
    self.reinvite = reinvite
  }

  func push(_ item: Item) throws {
    switch item {
    case .row(let row) where row.isGroup:
      let members = row.expanded
      groupSize = max(groupSize ?? 0, members.count)
      for member in members { try accept(member) }
    case .row(let row):
      try accept(row)
    case .report(let value):
      try run.pass(report: value)
    }
  }

  func finish() throws {
    while !waiting.isEmpty { try flush(0) }
    run.finish()
    try next.finish()
  }

  // MARK: Rows

  private func accept(_ row: Row) throws {
    if try run.skipIfStopped(row, email: row.value.text("email")) { return }
    var invitee: Invitee
    let plans: [String]?
    do {
      let value = try Validation.object(row)
      let name = try Validation.name(value)
      let email = try Validation.email(value)
      let tagId = try Validation.roleId(value, field: "tagId", roles: connection.knownRoles)
      plans = try Validation.planIds(value, known: connection.knownPlans) ?? planIds
      invitee = Invitee(name: name, email: email, tagId: tagId, note: try Validation.note(value.text("note")))
      if invitee.note == nil, let note {
        switch try note.first(row, next: next) {
        case .reported: return  // an invalid result was pushed
        case .value(.string(let text)) where !text.isEmpty: invitee.note = try Validation.note(text)
        case .value, .none: break
        }
      }
    } catch let problem as Validation.Problem {
      return try run.invalid(row, problem)
    }
    let operation = JournalOperation(
      kind: .invite, email: invitee.email, name: invitee.name, roleId: invitee.tagId, note: invitee.note,
      planIds: plans)
    let key = invitee.email.lowercased()
    if let first = firstRowByEmail[key] {
      return try run.skip(row, operation, Skip(reason: .duplicate, details: [("duplicateOf", .number(first))]))
    }
    firstRowByEmail[key] = row.number
    // Claimed now, before it takes a place in a request: from here no other run sends to this
    // person, and a person the journal skips costs no request.
    var claim: Int64?
    if run.dryRun {
      if let skip = journal.check(email: invitee.email) { return try run.skip(row, operation, skip) }
    } else {
      switch try journal.claim(operation, row: row.number) {
      case .claimed(let id): claim = id
      case .skip(let skip): return try run.skip(row, operation, skip)
      case .unwritable(let error):
        let value = Value.error(code: .journalError, message: "not sent: the journal could not be written (\(error))")
        return try run.emit(row, .failed, operation, [("error", value)])
      }
    }
    let person = Pending(row: row, invitee: invitee, operation: operation, claim: claim)
    if let index = waiting.firstIndex(where: { $0.planIds == plans }) {
      waiting[index].people.append(person)
      if waiting[index].people.count >= requestSize { try flush(index) }
    } else {
      waiting.append((plans, [person]))
      if requestSize <= 1 { try flush(waiting.count - 1) }
    }
    let people = waiting.reduce(0) { $0 + $1.people.count }
    connection.progress.setPendingRequests((people + requestSize - 1) / requestSize)
  }

  // MARK: Requests

  /// Sends the people waiting in `waiting[index]`, in requests no larger than the request size
  /// or the size the server accepted.
  private func flush(_ index: Int) throws {
    let (plans, people) = waiting.remove(at: index)
    var start = 0
    while start < people.count {
      let size = min(connection.learnedInviteLimit ?? Int.max, requestSize, people.count - start)
      try send(Array(people[start..<(start + size)]), plans: plans)
      start += size
    }
  }

  private func send(_ chunk: [Pending], plans: [String]?) throws {
    if run.stopReason != nil {
      journal.release(chunk.compactMap(\.claim))
      for item in chunk { _ = try run.skipIfStopped(item.row, email: item.invitee.email) }
      return
    }
    if run.dryRun { return try plan(chunk, plans: plans) }
    let claimed = chunk.filter { $0.claim != nil }
    guard !claimed.isEmpty else { return }
    var operation = SendOperation(
      request: .invite(claimed.map(\.invitee), planIds: plans), claims: claimed.map { $0.claim! })
    operation.reinvite = reinvite
    try run.send(operation, people: claimed.map { ($0.row, $0.operation) })
  }

  private func plan(_ chunk: [Pending], plans planIds: [String]?) throws {
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
      try run.emit(
        item.row, .planned, item.operation,
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
