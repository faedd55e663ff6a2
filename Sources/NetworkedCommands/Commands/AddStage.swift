import JQ
import NetworkedAPI
import ShellCore

/// `add`: one `POST …/addExternalUsers` per row `{name, email, roleId, planId?, password?}`,
/// as an invite (`--method invite`, 1) or a direct add (`--method direct`, 2). The password is
/// sent only with `direct` and never appears in any output.
final class AddStage: RowStage {
  private let run: SendingRun
  private let method: AddMethod
  private let reinvite: Bool
  private var firstRowByEmail: [String: Int] = [:]

  init(
    run: RunContext, connection: NetworkedConnection, next: any Stage, method: AddMethod, dryRun: Bool, reinvite: Bool
  ) {
    self.run = SendingRun(
      op: "add", run: run, connection: connection, next: next, dryRun: dryRun, reinvite: reinvite)
    self.method = method
    self.reinvite = reinvite
    super.init(next: next)
  }

  override func finish() throws {
    run.finish()
    try next.finish()
  }

  override func push(_ item: Item) throws {
    switch item {
    case .row(let row): for member in row.isGroup ? row.expanded : [row] { try handle(member) }
    case .report(let value): try run.pass(report: value)
    }
  }

  override func handle(_ row: Row) throws {
    if try run.skipIfStopped(row, email: row.value.text("email")) { return }
    let request: AddUserRequest
    do throws(Validation.Problem) {
      request = try Self.request(
        row, method: method, roles: run.connection.knownRoles, plans: run.connection.knownPlans)
    } catch {
      return try run.invalid(row, error)
    }
    let operation = JournalOperation(
      kind: .add, email: request.email, name: request.name, roleId: request.roleId, planId: request.planId,
      method: request.method == .direct ? 2 : 1, passwordSet: request.password != nil)
    let key = request.email.lowercased()
    if let first = firstRowByEmail[key] {
      return try run.skip(row, operation, Skip(reason: .duplicate, details: [("duplicateOf", .number(first))]))
    }
    firstRowByEmail[key] = row.number
    if run.dryRun {
      if let skip = run.journal.check(email: request.email) { return try run.skip(row, operation, skip) }
      return try plan(row, request, operation, run.nextRequest())
    }
    let id: Int64
    switch try run.journal.claim(operation, row: row.number) {
    case .claimed(let claimed): id = claimed
    case .skip(let skip): return try run.skip(row, operation, skip)
    case .unwritable(let error):
      return try run.emit(
        row, .failed, operation,
        [("error", .error(code: .journalError, message: "not sent: the journal could not be written (\(error))"))])
    }
    var send = SendOperation(request: .add(request), claims: [id])
    send.reinvite = reinvite
    try run.send(send, people: [(row, operation)])
  }

  /// The request a row asks for, or why it cannot be sent.
  private static func request(_ row: Row, method: AddMethod, roles: [NetworkedAPIRole]?, plans: [Plan]?)
    throws(Validation.Problem)
    -> AddUserRequest
  {
    let value = try Validation.object(row)
    let name = try Validation.name(value)
    let email = try Validation.email(value)
    let roleId = try Validation.roleId(value, field: "roleId", roles: roles)
    var password: String?
    if case .string(let text)? = value["password"], !text.isEmpty { password = text }
    if method == .direct && password == nil {
      throw Validation.Problem(code: .missingPassword, message: "--method direct needs a non-empty password field")
    }
    let planId = value.text("planId")
    if let planId, let plans, !plans.contains(where: { $0.id == planId }) {
      throw Validation.Problem(
        code: .unknownPlan,
        message: "no plan has id \(planId); plans: "
          + plans.map { "\($0.name ?? "?") (\($0.id ?? "?"))" }.joined(separator: ", "))
    }
    return AddUserRequest(
      email: email, name: name, roleId: roleId, planId: planId,
      password: method == .direct ? password : nil, method: method)
  }

  private func plan(_ row: Row, _ request: AddUserRequest, _ operation: JournalOperation, _ number: Int) throws {
    let at = run.plannedTime(of: number)
    // The form exactly as it would be sent, but a password shows only as "<redacted>".
    let form = request.formFields.map { field -> (String, Value) in
      (field.0, .string(field.0 == "password" ? "<redacted>" : field.1))
    }
    try run.emit(
      row, .planned, operation,
      [
        ("request", .number(number)),
        (
          "http",
          .object(
            JSONObject([
              ("method", .string("POST")),
              ("url", .string(run.connection.configuration.baseURL.string + NetworkedClient.Paths.addUser)),
              ("form", .object(JSONObject(form))), ("at", at.map { .string(ISO8601.format($0)) } ?? .null),
            ]))
        ),
      ])
  }
}
