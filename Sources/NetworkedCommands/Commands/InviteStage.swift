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
  private var session: Session { run.session }
  private var connection: NetworkedConnection { run.connection }
  private var next: any Stage { run.next }
  private var journal: JournalKeeper { run.journal }

  init(
    session: Session, connection: NetworkedConnection, next: any Stage, batchSize: Int, planIds: [String]?,
    note: RowEvaluator?, dryRun: Bool, reinvite: Bool
  ) {
    self.run = SendingRun(
      op: "invite", session: session, connection: connection, next: next, dryRun: dryRun, reinvite: reinvite)
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
        guard let result = try note.first(row, next: next) else { return }  // an invalid result was pushed
        if case .string(let text)? = result, !text.isEmpty { invitee.note = try Validation.note(text) }
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

  private func emit(_ row: Row, status: RowStatus, email: String?, _ fields: [(String, Value)]) throws {
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
    let client = try connection.client()
    let request = run.nextRequest()
    // The intent is on disk before the request leaves; if it cannot be, nothing is sent. Only
    // rows whose claim is still this run's go out.
    let ids = chunk.compactMap(\.claim)
    let moved: Set<Int64>
    switch journal.intend(ids, request: request) {
    case .success(let written): moved = written
    case .failure(let error):
      run.unsend()
      journal.release(ids)
      let value = Value.error(code: .journalError, message: "not sent: the journal could not be written (\(error))")
      for item in chunk { try emit(item.row, status: .failed, email: item.invitee.email, [("error", value)]) }
      return
    }
    var lost: [Pending] = []
    var sending: [(item: Pending, id: Int64)] = []
    for item in chunk {
      if let id = item.claim, moved.contains(id) { sending.append((item, id)) } else { lost.append(item) }
    }
    for item in lost {
      try run.skip(item.row, item.invitee.email, journal.lostClaim(email: item.invitee.email))
    }
    guard !sending.isEmpty else {
      run.unsend()
      return
    }
    let invitees = sending.map(\.item.invitee)
    let planIds = self.planIds
    connection.environment.testHooks.reach(.afterIntent)
    let outcome = Result { () throws(NetworkedAPIError) in
      try waitFor { () async throws(NetworkedAPIError) in try await client.invite(invitees, planIds: planIds) }
    }
    connection.environment.testHooks.reach(.afterSend)
    var resolved: [(item: Pending, status: RowStatus, fields: [(String, Value)], journal: JournalOutcome)] = []
    switch outcome {
    case .success(let result):
      for ((item, id), outcome) in zip(sending, result.outcomes) {
        let (status, fields, entry) = Self.resolve(outcome, id: id)
        resolved.append((item, status, fields + [("request", .number(request))], entry))
      }
    case .failure(let error):
      if error.code == .payloadTooLarge && sending.count > 1 {
        // Too large, and not carried out: halve, remember what works, and go on (claiming again).
        journal.record(sending.map { JournalOutcome(id: $0.id, state: .notSent, error: .payloadTooLarge) })
        run.unsend()
        let half = (sending.count + 1) / 2
        connection.learnedInviteLimit = min(connection.learnedInviteLimit ?? half, half)
        session.diagnostics(
          "nwsh: invite: the server refused \(sending.count) invitees in one request (413); sending at most \(half) per request from now on"
        )
        var again: [Pending] = []
        for (item, _) in sending {
          var item = item
          let operation = JournalOperation(
            kind: .invite, email: item.invitee.email, name: item.invitee.name, roleId: item.invitee.tagId,
            note: item.invitee.note, planIds: planIds)
          switch try journal.claim(operation, row: item.row.number) {
          case .claimed(let id):
            item.claim = id
            again.append(item)
          case .skip(let skip): try run.skip(item.row, item.invitee.email, skip)
          case .unwritable(let error):
            let value = Value.error(
              code: .journalError, message: "not sent: the journal could not be written (\(error))")
            try emit(item.row, status: .failed, email: item.invitee.email, [("error", value)])
          }
        }
        return try sendInChunks(again)
      }
      let failure = run.failure(error)
      let fields = run.failureFields(error, failure, request: request)
      for (item, id) in sending {
        resolved.append(
          (item, failure.status, fields, JournalOutcome(id: id, state: failure.state, error: failure.code)))
      }
    }
    // Outcomes reach the journal before their results are printed.
    journal.record(resolved.map(\.journal))
    connection.environment.testHooks.reach(.afterOutcome)
    for entry in resolved {
      try emit(entry.item.row, status: entry.status, email: entry.item.invitee.email, entry.fields)
    }
    // A kill after this point loses none of these lines.
    session.checkpoint()
  }

  /// A row's status, result fields and journal outcome from the server's answer for its email.
  private static func resolve(_ outcome: InviteOutcome, id: Int64) -> (RowStatus, [(String, Value)], JournalOutcome) {
    switch outcome {
    case .invited(let receipt):
      return (
        .invited,
        [
          ("inviteId", receipt.inviteId.map(Value.string) ?? .null),
          ("userId", receipt.userId.map(Value.string) ?? .null),
          ("timeStamp", receipt.timeStamp.map { .number(Double($0)) } ?? .null),
        ],
        JournalOutcome(
          id: id, state: .invited, inviteId: receipt.inviteId, userId: receipt.userId, timeStamp: receipt.timeStamp)
      )
    case .failed(let reason):
      let code = reason["code"]?.stringValue.map(ErrorCode.init(rawValue:)) ?? .rejected
      let message = reason["message"]?.stringValue ?? "the server did not invite this email"
      return (
        .failed, [("error", .error(code: code, message: message, [("detail", Value(reason))]))],
        JournalOutcome(id: id, state: .failed, error: code)
      )
    case .missing:
      return (
        .unknown,
        [
          (
            "error",
            .error(code: .missingFromResponse, message: "the server listed this email as neither invited nor failed")
          )
        ],
        JournalOutcome(id: id, state: .unknown, error: .missingFromResponse)
      )
    case .contradictory(_, let reason):
      return (
        .unknown,
        [
          (
            "error",
            .error(
              code: .contradictoryResponse, message: "the server listed this email as both invited and failed",
              [("detail", Value(reason))])
          )
        ],
        JournalOutcome(id: id, state: .unknown, error: .contradictoryResponse)
      )
    }
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
                ("url", .string(connection.environment.baseURL.string + NetworkedClient.Paths.invites)),
                ("users", .object(JSONObject(body))), ("user", .object(JSONObject(entry))),
                ("at", at.map { .string(ISO8601.format($0)) } ?? .null),
              ]))
          ),
        ])
    }
  }
}
