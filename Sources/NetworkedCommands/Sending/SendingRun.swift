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
        lines.append((row, { try self.skip(row, person, Skip(reason: reason.reason)) }))
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
    try emit(
      row, status, email: person.email, person.resultFields(roles: connection.knownRoles) + fields,
      severity: severity)
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
    if row.origin.line > 0 {
      record.add("source", row.origin.source)
      record.add("line", .number(row.origin.line))
    }
    record.add("run", runID)
    summary.count(status)
    connection.progress.rowsFinished(1)
    let value = try run.count(record)
    try next.push(.row(Row(value: value, number: row.number, origin: row.origin)))
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

  /// `skipped` with the stop reason, when sending has stopped; true if it emitted.
  func skipIfStopped(_ row: Row, email: String?) throws -> Bool {
    guard let reason = stopReason else { return false }
    try skip(row, email: email, Skip(reason: reason.reason))
    return true
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
