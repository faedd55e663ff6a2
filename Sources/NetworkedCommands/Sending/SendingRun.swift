import JQ
import NetworkedAPI
import ShellCore

/// Messages for people not sent.
enum NotSentText {
  /// Held back at the fence on every try.
  static let withheld =
    "not sent: the request was held back at this process's fence on every try (it kept being stopped or suspended "
    + "past its lease, or the lease is too short for the way to the server); nothing reached the server: a re-run sends"
}

/// What `invite` and `add` share while they send: the sender, the stop state (interrupt,
/// refused key), the result records and their counts, request numbering, dry-run slots and the
/// summary line.
final class SendingRun {
  let op: String
  let run: RunContext
  let connection: NetworkedConnection
  let next: any Stage
  let dryRun: Bool
  let journal: JournalKeeper
  private(set) var sender: Sender!
  private var stopped: StopReason?
  private var summary: StageSummary
  private var plannedSlots: [Double] = []
  /// The run every result of this stage belongs to (fixed when the stage is built).
  let runID: String

  init(op: String, run: RunContext, connection: NetworkedConnection, next: any Stage, dryRun: Bool, reinvite: Bool) {
    self.op = op
    self.run = run
    self.connection = connection
    self.next = next
    self.dryRun = dryRun
    self.runID = connection.runID(of: run)
    self.journal = JournalKeeper(connection: connection, reinvite: reinvite, run: runID)
    self.summary = StageSummary(op: op, started: connection.configuration.clock.now)
    self.sender = Sender(
      connection: connection, run: run, journal: journal,
      numbering: ({ [unowned self] in nextRequest() }, { [unowned self] in unsend() }))
  }

  /// Sends `operation` (its people claimed by `people`' rows, in order) and emits each row's
  /// result: what the journal recorded for the person, or why they were not sent.
  func send(_ operation: SendOperation, people: [(row: Row, person: JournalOperation)]) throws {
    let result = try sender.send(operation)
    if let stop = result.stop { stopped = stopped ?? stop }
    var byClaim: [Int64: (row: Row, person: JournalOperation)] = [:]
    for (claim, person) in zip(operation.claims, people) { byClaim[claim] = person }
    var lines: [(row: Row, emit: () throws -> Void)] = []
    for outcome in result.answered {
      guard let (row, person) = byClaim[outcome.claim] else { continue }
      lines.append((row, { try self.emit(row, outcome.status, person, outcome.fields, severity: outcome.severity) }))
    }
    for claim in result.lost {
      guard let (row, person) = byClaim[claim] else { continue }
      let skip = journal.lostClaim(email: person.email)
      lines.append((row, { try self.skip(row, person, skip) }))
    }
    journal.release(result.notSent.map(\.claim))
    for (claim, why) in result.notSent {
      guard let (row, person) = byClaim[claim] else { continue }
      switch why {
      case .stopped(let reason):
        if reason == .interrupted { stopped = stopped ?? .interrupted }
        lines.append((row, { try self.unfinished(row, email: person.email, person: person, reason) }))
      case .stateFailed(let message):
        let error = Value.error(code: .journalError, message: message)
        lines.append((row, { try self.emit(row, .failed, person, [("error", error)]) }))
      case .withheld:
        let error = Value.error(code: .notSent, message: NotSentText.withheld)
        lines.append((row, { try self.emit(row, .failed, person, [("error", error)]) }))
      }
    }
    // In input order, as the rows came.
    for line in lines.sorted(by: { ($0.row.number, $0.row.element ?? 0) < ($1.row.number, $1.row.element ?? 0) }) {
      try line.emit()
    }
    // A kill after this point loses none of these lines.
    try run.checkpoint()
  }

  /// Why nothing more is sent (a Ctrl-C counts from the moment it happened), or nil.
  var stopReason: StopReason? {
    if stopped == nil && run.interruption.isSet { stopped = .interrupted }
    return stopped
  }

  /// Pushes a result row `{row, op, status, email, name, tagId, …, …fields, source, line, run}`
  /// for a person whose operation is known (what was sent, or would have been), and counts it.
  func emit(
    _ row: Row, _ status: ResultStatus, _ person: JournalOperation, _ fields: [(String, Value)],
    severity: Severity? = nil
  ) throws {
    var described = person.resultFields(roles: connection.knownRoles)
    // A row from a results file (a retry) names its role already: keep it, whether or not this
    // run fetched the roles.
    if !described.contains(where: { $0.0 == "role" }), let role = row.value.text("role"),
      let position = described.firstIndex(where: { $0.0 == "tagId" || $0.0 == "roleId" })
    {
      described.insert(("role", .string(role)), at: position + 1)
    }
    try emit(row, status, email: person.email, described + fields, severity: severity)
  }

  /// Pushes a result row `{row, op, status, email, …fields, source, line, run}` downstream,
  /// and counts it (with `severity`, by default its status's) for the summary and the exit
  /// status, whatever later stages do with it. A failure says whether sending again may work
  /// (`error.retryable`).
  func emit(
    _ row: Row, _ status: ResultStatus, email: String?, _ fields: [(String, Value)], severity: Severity? = nil
  ) throws {
    var record = ResultRecord(
      row: row.number, op: op, status: status, severity: severity, email.map { [("email", .string($0))] } ?? [])
    if let element = row.element { record.add("element", .number(element)) }
    for (key, value) in fields {
      record.add(key, key == "error" && status == .failed ? ErrorCatalog.markRetryable(value) : value)
    }
    // Where the row came from: a results file's row (a retry) says where it first came from.
    if case .string(let source)? = row.value["source"], case .number(let line)? = row.value["line"] {
      record.add("source", .string(source))
      record.add("line", .number(line))
    } else if row.origin.line > 0 {
      record.add("source", row.origin.source)
      record.add("line", .number(row.origin.line))
    }
    record.add("run", runID)
    summary.count(status)
    connection.progress.rowsFinished(1)
    let value = try run.count(record)
    try next.push(.row(Row(value: value, number: row.number, origin: row.origin)))
  }

  /// An `invalid` result for a row that cannot be sent as it is. A row without its email (or
  /// name) while the rows read had a column of a near name gets a hint naming that column: the
  /// expression that made the row may have misspelled it (`.emial`), or missed its case.
  func invalid(_ row: Row, _ problem: Validation.Problem) throws {
    var details: [(String, Value)] = []
    let field = problem.code == .missingEmail ? "email" : problem.code == .missingName ? "name" : nil
    if let field, let column = Self.nearColumn(to: field, in: run.inputColumns) {
      let hint =
        column == field
        ? "the rows read have a column \"\(field)\": check the expression that made this row (a misspelt field "
          + "name, such as .\(field == "email" ? "emial" : "nmae")?)"
        : "the rows read have a column \"\(column)\": write \(Self.path(column)) (or {\(field): \(Self.path(column))})"
      details.append(("hint", .string(hint)))
      if !hintedColumn {
        hintedColumn = true
        run.diagnose("nwsh: \(op): row \(row.number) has no \(field); \(hint)")
      }
    }
    try emit(
      row, .invalid, email: row.value.text("email"),
      [("error", .error(code: problem.code, message: problem.message, details))])
  }

  /// Whether the missing-field hint was said on stderr (once a run).
  private var hintedColumn = false

  /// The column among `columns` most like `field`: itself, or one whose letters, in lower case,
  /// are it or start with it (`Email`, `E-mail`, `Email Address`), or within two edits of it.
  static func nearColumn(to field: String, in columns: [String]) -> String? {
    let letters: (String) -> String = { $0.lowercased().filter(\.isLetter) }
    return columns.first { $0 == field }
      ?? columns.first { letters($0) == field || letters($0).hasPrefix(field) }
      ?? columns.first { Diagnostic.suggestion(for: field, among: [letters($0)]) != nil }
  }

  /// `.name`, or `."Name with spaces"`.
  static func path(_ column: String) -> String {
    column.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && column.first?.isNumber == false
      ? "." + column : ".\"" + column + "\""
  }

  /// A `skipped` result for a person whose operation is known; one the run cannot settle (in
  /// doubt, claimed elsewhere) makes the run end in doubt.
  func skip(_ row: Row, _ person: JournalOperation, _ skip: Skip) throws {
    try emit(row, .skipped, person, skip.fields, severity: skip.severity)
  }

  /// A `skipped` result for a row whose person is not known (sending had stopped first).
  func skip(_ row: Row, email: String?, _ skip: Skip) throws {
    try emit(row, .skipped, email: email, skip.fields, severity: skip.severity)
  }

  /// Passes on a report for a row that never reached this stage (malformed input, a failed
  /// expression, a duplicate), counting it in the summary: every input row is in it.
  func pass(report record: ResultRecord) throws {
    summary.count(record.status)
    try next.push(.report(record))
  }

  /// The result of a row not sent because sending stopped, when it has; true if it emitted.
  func skipIfStopped(_ row: Row, email: String?) throws -> Bool {
    guard let reason = stopReason else { return false }
    try unfinished(row, email: email, person: nil, reason)
    return true
  }

  /// A row not sent because sending stopped: `skipped` as `authentication_failed` after a
  /// refused key, else what the run's stop gives its unfinished rows (`skipped`, interrupted, on
  /// Ctrl-C; `failed`, not sent, when the API could not be reached).
  private func unfinished(_ row: Row, email: String?, person: JournalOperation?, _ reason: StopReason) throws {
    let (status, fields) =
      reason == .authenticationFailed ? (.skipped, [Value.reason(.authenticationFailed)]) : run.unfinishedRowResult
    let severity: Severity? = status == .skipped ? .ok : nil
    if let person {
      try emit(row, status, person, fields, severity: severity)
    } else {
      try emit(row, status, email: email, fields, severity: severity)
    }
  }

  /// Numbers the next request (1, 2, …).
  func nextRequest() -> Int {
    summary.requests += 1
    return summary.requests
  }

  /// Takes back the last number: the request was not sent after all.
  func unsend() { summary.requests -= 1 }

  /// When request `number` would go out under the windows (dry run).
  func plannedTime(of number: Int) -> Double? {
    if plannedSlots.count < number, let pacer = try? connection.pacer() {
      // Plan in blocks so a long dry run stays linear.
      plannedSlots = pacer.plan(count: max(number, plannedSlots.count * 2, 64))
    }
    let at = number <= plannedSlots.count ? plannedSlots[number - 1] : nil
    if let at { summary.lastPlanned = at }
    return at
  }

  /// Clears the progress line and prints the summary; gives back claims never sent.
  func finish() {
    journal.releaseAll()
    connection.progress.clear()
    let sandbox = connection.configuration.scopeName == "sandbox" ? " --sandbox" : ""
    let report = "nwsh\(sandbox) report --run \(runID)"
    run.diagnose(summary.line(now: connection.configuration.clock.now, dryRun: dryRun, report: report))
  }
}
