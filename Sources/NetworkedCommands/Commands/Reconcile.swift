import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// `reconcile`: re-sends each in-doubt request once, deliberately, through the ``Sender``, and
/// records what the server's answer says about the first one (``ReconcileVerdict``).
///
/// A person whose re-send got no clear answer either is not sent a third time: they are
/// reported still in doubt, `resent`, until `--again` asks for one more re-send.
final class ReconcileSource: SourceStage {
  private let connection: NetworkedConnection
  private let context: RunContext
  private let next: any Stage
  private let dryRun: Bool
  private let again: Bool
  private let passwords: [String: String]
  private var number = 0
  private var counts: [ResultStatus: Int] = [:]
  private var requests = 0
  private let runID: String

  init(
    connection: NetworkedConnection, run: RunContext, next: any Stage, dryRun: Bool, again: Bool,
    passwords: [String: String]
  ) {
    self.connection = connection
    self.context = run
    self.next = next
    self.dryRun = dryRun
    self.again = again
    self.passwords = passwords
    self.runID = connection.runID(of: run)
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  private func emit(
    _ entry: JournalEntry, _ status: ResultStatus, _ fields: [(String, Value)], severity: Severity? = nil
  ) throws {
    number += 1
    counts[status, default: 0] += 1
    // A person reconcile could not settle (still in doubt, held by another run, not reached)
    // leaves the run in doubt.
    let unsettled: Severity? = status == .unknown || status == .skipped ? .inDoubt : nil
    var record = ResultRecord(
      row: number, op: "reconcile", status: status, severity: severity ?? unsettled,
      [("email", .string(entry.email)), ("operation", .string(entry.operation.kind.rawValue))] + fields)
    record.add("earlierRun", entry.run)
    record.add("run", runID)
    let value = try context.count(record)
    try next.push(.row(Row(value: value, number: number, origin: Origin(source: "journal", line: 0))))
  }

  func run() throws {
    let (store, scope) = try connection.journal()
    let standings = try store.inDoubt(scope: scope, now: connection.configuration.clock.now)
    var doubtful: [JournalEntry] = []
    for standing in standings {
      switch standing {
      case .inDoubt(let entry) where entry.isResend && !again:
        // Re-sent once already, and that answer did not settle it either: a third request
        // could only invite twice. The person stays in doubt for a human to check.
        try emit(
          entry, .unknown,
          [
            ("resolution", .string("not_resent")), ("resent", .bool(true)),
            (
              "error",
              .error(
                code: .inDoubt,
                message: "re-sent once already without a clear answer; check the community (members, invites) by "
                  + "hand, or reconcile --again to re-send once more")
            ),
          ])
      case .inDoubt(let entry): doubtful.append(entry)
      case .held(let entry):
        try emit(entry, .skipped, JournalKeeper.skip(standing)?.fields ?? [])
      default: break
      }
    }
    if dryRun {
      for entry in doubtful {
        try emit(
          entry, .planned,
          [("was", .string(entry.state.rawValue))] + (needsPassword(entry).map { [("needs", .string($0))] } ?? []))
      }
      context.diagnose("nwsh: reconcile: \(doubtful.count) in doubt; dry run: nothing sent")
      return try next.finish()
    }
    let keeper = JournalKeeper(connection: connection, reinvite: true, run: runID)
    defer { keeper.releaseAll() }
    let sender = Sender(
      connection: connection, run: context, journal: keeper,
      numbering: (
        { [unowned self] in
          requests += 1
          return requests
        }, { [unowned self] in requests -= 1 }
      ))
    // Invites go back in groups with the same plans (one call each, as they were sent);
    // adds one call each, with the method, plan and role they had.
    var invites: [[JournalEntry]] = []
    var planGroups: [[String]?: Int] = [:]
    for entry in doubtful where entry.operation.kind == .invite {
      if let index = planGroups[entry.operation.planIds], invites[index].count < NetworkedCommands.defaultBatchSize {
        invites[index].append(entry)
      } else {
        planGroups[entry.operation.planIds] = invites.count
        invites.append([entry])
      }
    }
    var stopped: StopReason?
    for group in invites {
      stopped = try resend(group, keeper: keeper, sender: sender, stopped: stopped)
    }
    for entry in doubtful where entry.operation.kind == .add {
      if needsPassword(entry) != nil {
        try emit(
          entry, .unknown,
          [
            ("resolution", .string("still_in_doubt")),
            (
              "error",
              .error(
                code: .needsPassword,
                message:
                  "this direct add carried a password, which nwsh never stores; give it with reconcile --passwords FILE"
              )
            ),
          ])
        continue
      }
      stopped = try resend([entry], keeper: keeper, sender: sender, stopped: stopped)
    }
    let inDoubt = standings.filter { if case .inDoubt = $0 { true } else { false } }.count
    let parts = counts.sorted { $0.key.order < $1.key.order }.map { "\($0.value) \($0.key.name)" }.joined(
      separator: ", ")
    context.diagnose(
      "nwsh: reconcile: \(inDoubt) in doubt" + (parts.isEmpty ? "" : " → \(parts)")
        + " in \(requests) request\(requests == 1 ? "" : "s")")
    try next.finish()
  }

  /// What a re-send needs that the journal does not keep, if anything.
  private func needsPassword(_ entry: JournalEntry) -> String? {
    entry.operation.kind == .add && entry.operation.method == 2 && entry.operation.passwordSet
      && passwords[entry.email.lowercased()] == nil ? "password" : nil
  }

  /// Claims each person of `group` over their in-doubt entry (so no other run re-sends them)
  /// and re-sends them in one request, unless sending has stopped; returns why later re-sends
  /// must stop, if they must.
  private func resend(_ group: [JournalEntry], keeper: JournalKeeper, sender: Sender, stopped: StopReason?) throws
    -> StopReason?
  {
    if let reason = stopped ?? (context.interruption.isSet ? .interrupted : nil) {
      for entry in group { try emit(entry, .skipped, Skip(reason: reason.reason).fields) }
      return reason
    }
    var claimed: [(entry: JournalEntry, claim: Int64)] = []
    for entry in group {
      switch try keeper.claim(entry.operation, row: entry.row, supersedes: entry.id) {
      case .claimed(let id): claimed.append((entry, id))
      case .skip(let skip): try emit(entry, .skipped, skip.fields)
      case .unwritable:
        throw PipelineStop(
          status: .someFailed, message: "nwsh: reconcile: the journal could not be written; nothing sent")
      }
    }
    guard let first = claimed.first?.entry else { return nil }
    let request: SendOperation.Request
    if first.operation.kind == .add {
      let method = first.operation.method ?? 1
      request = .add(
        AddUserRequest(
          email: first.email, name: first.operation.name, roleId: first.operation.roleId,
          planId: first.operation.planId, password: method == 2 ? passwords[first.email.lowercased()] : nil,
          method: method == 2 ? .direct : .invite))
    } else {
      request = .invite(
        claimed.map {
          Invitee(
            name: $0.entry.operation.name, email: $0.entry.email, tagId: $0.entry.operation.roleId,
            note: $0.entry.operation.note)
        }, planIds: first.operation.planIds)
    }
    let operation = SendOperation(request: request, claims: claimed.map(\.claim), isReconcile: true)
    let result = try sender.send(operation)
    var byClaim: [Int64: JournalEntry] = [:]
    for (entry, claim) in claimed { byClaim[claim] = entry }
    for outcome in result.answered {
      guard let entry = byClaim[outcome.claim] else { continue }
      try emit(entry, outcome.status, outcome.fields, severity: outcome.severity)
    }
    for claim in result.lost {
      guard let entry = byClaim[claim] else { continue }
      try emit(entry, .skipped, keeper.lostClaim(email: entry.email).fields)
    }
    keeper.release(result.notSent.map(\.claim))
    var stop = result.stop
    for (claim, why) in result.notSent {
      guard let entry = byClaim[claim] else { continue }
      switch why {
      case .stopped(let reason):
        stop = stop ?? reason
        try emit(entry, .skipped, Skip(reason: reason.reason).fields)
      case .stateFailed(let message):
        try emit(
          entry, .unknown,
          [("resolution", .string("not_sent")), ("error", .error(code: .journalError, message: message))])
      case .withheld:
        try emit(
          entry, .unknown,
          [("resolution", .string("not_sent")), ("error", .error(code: .notSent, message: NotSentText.withheld))])
      }
    }
    try context.checkpoint()
    return stop
  }
}
