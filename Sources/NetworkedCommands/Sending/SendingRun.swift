import NetworkedAPI
import ShellCore

/// What `invite` and `add` share while they send: the stop state (interrupt, refused key), the
/// result records and their counts, request numbering, dry-run slots and the summary line.
final class SendingRun {
  let op: String
  let session: Session
  let connection: NetworkedConnection
  let next: any Stage
  let dryRun: Bool
  let journal: JournalKeeper
  private var stopped: StopReason?
  private var summary: StageSummary
  private var plannedSlots: [Double] = []
  /// The run every result of this stage belongs to (fixed when the stage is built).
  let runID: String

  init(op: String, session: Session, connection: NetworkedConnection, next: any Stage, dryRun: Bool, reinvite: Bool) {
    self.op = op
    self.session = session
    self.connection = connection
    self.next = next
    self.dryRun = dryRun
    self.runID = connection.runID
    self.journal = JournalKeeper(connection: connection, op: op, reinvite: reinvite, run: runID)
    self.summary = StageSummary(op: op, started: connection.environment.clock.now)
  }

  /// Why nothing more is sent (a Ctrl-C counts from the moment it happened), or nil.
  var stopReason: StopReason? {
    if stopped == nil && session.interruption.isSet { stopped = .interrupted }
    return stopped
  }

  /// Pushes a result row `{row, op, status, email, …fields, source, line, run}` downstream,
  /// and counts it for the summary and the exit status (whatever later stages do with it).
  func emit(_ row: Row, _ status: RowStatus, _ email: String?, _ fields: [(String, Value)]) throws {
    var record = ResultRecord(row: row.number, op: op, status: status, email: email)
    if let element = row.element { record.add("element", .number(element)) }
    for (key, value) in fields { record.add(key, value) }
    if row.origin.line > 0 {
      record.add("source", row.origin.source)
      record.add("line", .number(row.origin.line))
    }
    record.add("run", runID)
    summary.count(status)
    connection.progress.rowsFinished(1)
    let value = record.value
    try session.countResult(value)
    try next.push(.row(Row(value: value, number: row.number, origin: row.origin)))
  }

  /// A `skipped` result; one the run cannot settle (in doubt, claimed elsewhere) makes the
  /// run end in doubt.
  func skip(_ row: Row, _ email: String?, _ skip: Skip) throws {
    if skip.reason.leavesRunInDoubt { session.escalate(to: .someUnknown) }
    try emit(row, .skipped, email, skip.fields)
  }

  /// Passes on a report for a row that never reached this stage (malformed input, a failed
  /// expression, a duplicate), counting it in the summary: every input row is in it.
  func pass(report value: Value) throws {
    if let status = RowStatus(of: value) { summary.count(status) }
    try next.push(.report(value))
  }

  /// `skipped` with the stop reason, when sending has stopped; true if it emitted.
  func skipIfStopped(_ row: Row, email: String?) throws -> Bool {
    guard let reason = stopReason else { return false }
    try skip(row, email, Skip(reason: reason.reason))
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

  /// How a failed request ends for its rows: their status, error code and journal state
  /// (`not_sent` when it certainly never reached the server). An interrupt or a refused key
  /// also stops everything after it.
  func failure(_ error: NetworkedAPIError) -> (status: RowStatus, code: ErrorCode, state: JournalState) {
    if error.cancelled {
      stopped = .interrupted
      unsend()
      return (.skipped, .interrupted, .notSent)
    }
    if error.code == .unauthorized || error.code == .forbidden {
      stopped = .authenticationFailed
      session.forcedStatus = .authentication
      session.diagnostics(
        "nwsh: \(op): the API refused the key (\(error.status.map(String.init) ?? "?")); no more requests will be sent in this pipeline"
      )
    }
    let (status, code) = Outcome.classify(error)
    return (status, code, status == .unknown ? .unknown : (error.requestWasSent ? .failed : .notSent))
  }

  /// The fields a failed request gives each of its rows.
  func failureFields(
    _ error: NetworkedAPIError, _ outcome: (status: RowStatus, code: ErrorCode, state: JournalState), request: Int
  ) -> [(String, Value)] {
    outcome.status == .skipped
      ? Skip(reason: .interrupted).fields
      : [("error", Outcome.errorValue(error, code: outcome.code)), ("request", .number(request))]
  }

  /// Clears the progress line and prints the summary; gives back claims never sent.
  func finish() {
    journal.releaseAll()
    connection.progress.clear()
    session.diagnostics(summary.line(now: connection.environment.clock.now, dryRun: dryRun))
  }
}
