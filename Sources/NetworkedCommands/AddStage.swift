import NetworkedAPI
import ShellCore

/// `add`: one `POST …/addExternalUsers` per row `{name, email, roleId, planId?, password?}`,
/// as an invite (`--method invite`, 1) or a direct add (`--method direct`, 2). The password is
/// sent only with `direct` and never appears in any output.
final class AddStage: RowStage {
  private let session: Session
  private let connection: NetworkedConnection
  private let method: AddMethod
  private let dryRun: Bool
  private var firstRowByEmail: [String: Int] = [:]
  private var stopped: StopReason?
  private var summary: StageSummary
  private var plannedSlots: [Double] = []
  private let journal: JournalKeeper

  init(
    session: Session, connection: NetworkedConnection, next: any Stage, method: AddMethod, dryRun: Bool, reinvite: Bool
  ) {
    self.session = session
    self.connection = connection
    self.method = method
    self.dryRun = dryRun
    self.summary = StageSummary(op: "add", started: connection.environment.clock.now)
    self.journal = JournalKeeper(connection: connection, op: "add", reinvite: reinvite)
    super.init(next: next)
  }

  override func finish() throws {
    connection.progress.clear()
    session.diagnostics(summary.line(now: connection.environment.clock.now, dryRun: dryRun))
    try next.finish()
  }

  override func handle(_ row: Row) throws {
    if stopped == nil && session.interruption.isSet { stopped = .interrupted }
    if let stopped {
      return try emit(row, "skipped", row.value.text("email"), [("reason", .string(stopped.rawValue))])
    }
    let request: AddUserRequest
    do throws(Validation.Problem) {
      let value = try Validation.object(row)
      let name = try Validation.name(value)
      let email = try Validation.email(value)
      let roleId = try Validation.roleId(value, field: "roleId", roles: connection.knownRoles)
      var password: String?
      if case .string(let text)? = value["password"], !text.isEmpty { password = text }
      if method == .direct && password == nil {
        throw Validation.Problem(code: "missing_password", message: "--method direct needs a non-empty password field")
      }
      request = AddUserRequest(
        email: email, name: name, roleId: roleId, planId: value.text("planId"),
        password: method == .direct ? password : nil, method: method)
    } catch {
      return try emit(
        row, "invalid", row.value.text("email"),
        [
          ("error", .error(code: error.code, message: error.message)),
          ("source", .string(row.origin.source)), ("line", .number(row.origin.line)),
        ])
    }
    let key = request.email.lowercased()
    if let first = firstRowByEmail[key] {
      return try emit(row, "skipped", request.email, [("reason", .string("duplicate")), ("duplicateOf", .number(first))])
    }
    firstRowByEmail[key] = row.number
    if let (status, fields) = journal.skip(email: request.email) {
      return try emit(row, status, request.email, fields)
    }
    summary.requests += 1
    let number = summary.requests
    if dryRun { return try plan(row, request, number) }
    let client = try connection.client()
    let intent = JournalKeeper.Intent(row: row.number, email: request.email, name: request.name, roleId: request.roleId, note: nil)
    guard case .success(let ids) = journal.intend([intent], request: number), let id = ids.first else {
      summary.requests -= 1
      return try emit(
        row, "failed", request.email,
        [("error", .error(code: "journal_error", message: "not sent: the journal could not be written"))])
    }
    let outcome = Result { () throws(NetworkedAPIError) in
      try waitFor { () async throws(NetworkedAPIError) in try await client.addUser(request) }
    }
    switch outcome {
    case .success(let result):
      switch result {
      case .added:
        journal.record([StateStore.JournalOutcome(id: id, state: "added")])
        try emit(row, "added", request.email, [("method", .string("direct")), ("request", .number(number))])
      case .invited(_, let inviteId, let timeStamp):
        journal.record([StateStore.JournalOutcome(id: id, state: "invited", inviteId: inviteId, timeStamp: timeStamp)])
        try emit(
          row, "invited", request.email,
          [
            ("method", .string("invite")), ("inviteId", inviteId.map(Value.string) ?? .null),
            ("timeStamp", timeStamp.map { .number(Double($0)) } ?? .null), ("request", .number(number)),
          ])
      }
    case .failure(let error):
      if error.cancelled {
        stopped = .interrupted
        summary.requests -= 1
        journal.record([StateStore.JournalOutcome(id: id, state: "not_sent", error: "interrupted")])
        return try emit(row, "skipped", request.email, [("reason", .string("interrupted"))])
      }
      if error.code == .unauthorized || error.code == .forbidden {
        stopped = .authenticationFailed
        session.forcedStatus = .authentication
        session.diagnostics("nwsh: add: the API refused the key; no more requests will be sent in this pipeline")
      }
      let (status, code) = Outcome.classify(error)
      let state = status == "unknown" ? "unknown" : (error.requestWasSent ? "failed" : "not_sent")
      journal.record([StateStore.JournalOutcome(id: id, state: state, error: code)])
      try emit(row, status, request.email, [("error", Outcome.errorValue(error, code: code)), ("request", .number(number))])
    }
  }

  private func plan(_ row: Row, _ request: AddUserRequest, _ number: Int) throws {
    if plannedSlots.count < number, let pacer = try? connection.pacer() {
      plannedSlots = pacer.plan(count: max(number, plannedSlots.count * 2, 64))
    }
    let at = number <= plannedSlots.count ? plannedSlots[number - 1] : nil
    summary.plannedTimes = at.map { [$0] } ?? summary.plannedTimes
    // The form exactly as it would be sent, but a password shows only as "<redacted>".
    let form = request.formFields.map { field -> (String, Value) in
      (field.0, .string(field.0 == "password" ? "<redacted>" : field.1))
    }
    try emit(
      row, "planned", request.email,
      [
        ("request", .number(number)),
        ("http", .object(JSONObject([
          ("method", .string("POST")), ("url", .string(connection.environment.baseURL.string + NetworkedClient.Paths.addUser)),
          ("form", .object(JSONObject(form))), ("at", at.map { .string(ISO8601.format($0)) } ?? .null),
        ]))),
      ])
  }

  private func emit(_ row: Row, _ status: String, _ email: String?, _ fields: [(String, Value)]) throws {
    var record = ResultRecord(row: row.number, op: "add", status: status, email: email)
    for (key, value) in fields { record.add(key, value) }
    record.add("run", connection.runID)
    summary.count(status)
    connection.progress.rowsFinished(1)
    try next.push(.result(record.value))
  }
}
