import Foundation
import NetworkedAPI
import ShellCore

/// How `reconcile` reads the server's answer to a re-sent request. The re-send is the very
/// request that was in doubt, so the server's refusal of a duplicate is what tells.
enum ReconcileVerdict: Equatable {
  /// The re-send itself invited or added the person: the first request had not.
  case sentNow(JournalState)
  /// The server says the first request had worked (already invited, or — for a direct add —
  /// already a member).
  case earlierSucceeded(JournalState)
  /// The person is a member now (an invite re-sent to someone who has since joined).
  case alreadyMember
  /// Anything else: still in doubt, with the code and what the server said.
  case stillInDoubt(code: ErrorCode, detail: Value?)
  /// The re-send never reached the server: nothing changed.
  case notSent(code: ErrorCode)

  /// The answer to a re-sent invite, for one email, from the invites call's per-email lists.
  static func invite(_ outcome: InviteOutcome) -> ReconcileVerdict {
    switch outcome {
    case .invited: return .sentNow(.invited)
    case .failed(let reason):
      switch reason["code"]?.stringValue.map({ ErrorCode(rawValue: $0) }) {
      case .alreadyInvited?: return .earlierSucceeded(.invited)
      case .alreadyMember?: return .alreadyMember
      default: return .stillInDoubt(code: .unclassifiedRefusal, detail: Value(reason))
      }
    case .missing: return .stillInDoubt(code: .missingFromResponse, detail: nil)
    case .contradictory(_, let reason): return .stillInDoubt(code: .contradictoryResponse, detail: Value(reason))
    }
  }

  /// The answer to a re-sent add: a 409 whose message says what the duplicate was.
  static func add(_ result: Result<AddUserResult, NetworkedAPIError>, method: Int) -> ReconcileVerdict {
    switch result {
    case .success(.added): return .sentNow(.added)
    case .success(.invited): return .sentNow(.invited)
    case .failure(let error):
      if !error.requestWasSent || error.code == .rateLimited || (error.code == .serverError && error.status == 503) {
        return .notSent(code: Outcome.classify(error).code)
      }
      let message = error.message.lowercased()
      if error.code == .conflict && message.contains("member") {
        return method == 2 ? .earlierSucceeded(.added) : .alreadyMember
      }
      if error.code == .conflict && message.contains("invite") { return .earlierSucceeded(.invited) }
      return .stillInDoubt(
        code: Outcome.classify(error).status == .unknown ? .inDoubt : .unclassifiedRefusal,
        detail: .object(
          JSONObject([("http", error.status.map { .number($0) } ?? .null), ("message", .string(error.message))])))
    }
  }

  /// A whole invites call that failed: not sent, or still in doubt.
  static func failedCall(_ error: NetworkedAPIError) -> ReconcileVerdict {
    if !error.requestWasSent || error.code == .rateLimited || (error.code == .serverError && error.status == 503)
      || error.code == .unauthorized || error.code == .forbidden || error.cancelled
    {
      return .notSent(code: error.cancelled ? .interrupted : Outcome.classify(error).code)
    }
    return .stillInDoubt(
      code: Outcome.classify(error).status == .unknown ? .inDoubt : .unclassifiedRefusal,
      detail: .object(
        JSONObject([("http", error.status.map { .number($0) } ?? .null), ("message", .string(error.message))])))
  }

  /// The journal state, result status and `resolution` it leads to.
  var outcome: (state: JournalState, status: RowStatus, resolution: String) {
    switch self {
    case .sentNow(let state): (state, Self.status(of: state), "sent_now")
    case .earlierSucceeded(let state): (state, Self.status(of: state), "earlier_request_succeeded")
    case .alreadyMember: (.added, .added, "already_member")
    case .stillInDoubt: (.unknown, .unknown, "still_in_doubt")
    case .notSent: (.notSent, .unknown, "not_sent")
    }
  }

  /// The result status of a settled journal state (invited or added).
  private static func status(of state: JournalState) -> RowStatus {
    state == .added ? .added : .invited
  }
}

/// Re-sends in-doubt requests once, deliberately, and records what the server says.
final class ReconcileSource: SourceStage {
  /// What the server created, when a re-send created something.
  struct Receipt {
    var inviteId: String?
    var userId: String?
    var timeStamp: Int64?
  }

  private let connection: NetworkedConnection
  private let session: Session
  private let next: any Stage
  private let dryRun: Bool
  private let passwords: [String: String]
  private var number = 0
  private var counts: [RowStatus: Int] = [:]
  private var requests = 0
  private let runID: String

  init(connection: NetworkedConnection, session: Session, next: any Stage, dryRun: Bool, passwords: [String: String]) {
    self.connection = connection
    self.session = session
    self.next = next
    self.dryRun = dryRun
    self.passwords = passwords
    self.runID = connection.runID
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  private func emit(_ entry: JournalEntry, _ status: RowStatus, _ fields: [(String, Value)]) throws {
    number += 1
    counts[status, default: 0] += 1
    var record = ResultRecord(row: number, op: "reconcile", status: status, email: entry.email)
    record.add("operation", entry.operation.kind.rawValue)
    for (key, value) in fields { record.add(key, value) }
    record.add("earlierRun", entry.run)
    record.add("run", runID)
    // A person reconcile could not settle (still in doubt, held by another run, not reached)
    // leaves the run in doubt.
    if status == .unknown || status == .skipped { session.escalate(to: .someUnknown) }
    let value = record.value
    try session.countResult(value)
    try next.push(.row(Row(value: value, number: number, origin: Origin(source: "journal", line: 0))))
  }

  func run() throws {
    let (store, scope) = try connection.journal()
    let standings = try store.inDoubt(scope: scope, now: connection.environment.clock.now)
    var doubtful: [JournalEntry] = []
    for standing in standings {
      switch standing {
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
      session.diagnostics("nwsh: reconcile: \(doubtful.count) in doubt; dry run: nothing sent")
      return try next.finish()
    }
    let keeper = JournalKeeper(connection: connection, op: "reconcile", reinvite: true, run: runID)
    defer { keeper.releaseAll() }
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
    var stopped: SkipReason?
    for group in invites {
      if let reason = stopped ?? (session.interruption.isSet ? .interrupted : nil) {
        for entry in group { try emit(entry, .skipped, Skip(reason: reason).fields) }
        continue
      }
      stopped = try resendInvites(group, keeper: keeper)
    }
    for entry in doubtful where entry.operation.kind == .add {
      if let reason = stopped ?? (session.interruption.isSet ? .interrupted : nil) {
        try emit(entry, .skipped, Skip(reason: reason).fields)
        continue
      }
      stopped = try resendAdd(entry, keeper: keeper)
    }
    let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
    session.diagnostics(
      "nwsh: reconcile: \(doubtful.count) in doubt" + (parts.isEmpty ? "" : " → \(parts)")
        + " in \(requests) request\(requests == 1 ? "" : "s")")
    try next.finish()
  }

  /// What a re-send needs that the journal does not keep, if anything.
  private func needsPassword(_ entry: JournalEntry) -> String? {
    entry.operation.kind == .add && entry.operation.method == 2 && entry.operation.passwordSet
      && passwords[entry.email.lowercased()] == nil ? "password" : nil
  }

  /// Claims each person (so no other run re-sends them), writes the intents, re-sends.
  private func claimAndIntend(_ entries: [JournalEntry], keeper: JournalKeeper) throws -> [(JournalEntry, Int64)]? {
    var claimed: [(JournalEntry, Int64)] = []
    for entry in entries {
      switch try keeper.claim(entry.operation, row: entry.row, supersedes: entry.id) {
      case .claimed(let id): claimed.append((entry, id))
      case .skip(let skip): try emit(entry, .skipped, skip.fields)
      case .unwritable:
        throw PipelineStop(
          status: .someFailed, message: "nwsh: reconcile: the journal could not be written; nothing sent")
      }
    }
    guard !claimed.isEmpty else { return nil }
    requests += 1
    guard case .success(let moved) = keeper.intend(claimed.map(\.1), request: requests) else {
      throw PipelineStop(
        status: .someFailed, message: "nwsh: reconcile: the journal could not be written; nothing sent")
    }
    var sending: [(JournalEntry, Int64)] = []
    for (entry, id) in claimed {
      if moved.contains(id) {
        sending.append((entry, id))
      } else {
        try emit(entry, .skipped, keeper.lostClaim(email: entry.email).fields)
      }
    }
    if sending.isEmpty { requests -= 1 }
    return sending.isEmpty ? nil : sending
  }

  /// Re-sends one group of invites; returns why later re-sends must stop, if they must.
  private func resendInvites(_ group: [JournalEntry], keeper: JournalKeeper) throws -> SkipReason? {
    guard let sending = try claimAndIntend(group, keeper: keeper) else { return nil }
    let client = try connection.client()
    let invitees = sending.map { entry, _ in
      Invitee(name: entry.operation.name, email: entry.email, tagId: entry.operation.roleId, note: entry.operation.note)
    }
    let planIds = group[0].operation.planIds
    let answer = Result { () throws(NetworkedAPIError) in
      try waitFor { () async throws(NetworkedAPIError) in try await client.invite(invitees, planIds: planIds) }
    }
    let verdicts: [ReconcileVerdict]
    var receipts: [Receipt?] = Array(repeating: nil, count: sending.count)
    switch answer {
    case .success(let result):
      verdicts = result.outcomes.map(ReconcileVerdict.invite)
      for (index, outcome) in result.outcomes.enumerated() {
        if case .invited(let receipt) = outcome {
          receipts[index] = Receipt(inviteId: receipt.inviteId, userId: receipt.userId, timeStamp: receipt.timeStamp)
        }
      }
    case .failure(let error):
      verdicts = Array(repeating: ReconcileVerdict.failedCall(error), count: sending.count)
    }
    try settle(sending, verdicts, receipts: receipts, keeper: keeper)
    if case .failure(let error) = answer { return stopReason(error) }
    return nil
  }

  /// Re-sends one add with its method, role and plan; returns why later re-sends must stop.
  private func resendAdd(_ entry: JournalEntry, keeper: JournalKeeper) throws -> SkipReason? {
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
                "this direct add carried a password, which nwsh never stores; give it with reconcile --passwords FILE")
          ),
        ])
      return nil
    }
    guard let sending = try claimAndIntend([entry], keeper: keeper), let (_, id) = sending.first else { return nil }
    let client = try connection.client()
    let method = entry.operation.method ?? 1
    let request = AddUserRequest(
      email: entry.email, name: entry.operation.name, roleId: entry.operation.roleId, planId: entry.operation.planId,
      password: method == 2 ? passwords[entry.email.lowercased()] : nil, method: method == 2 ? .direct : .invite)
    let answer = Result { () throws(NetworkedAPIError) in
      try waitFor { () async throws(NetworkedAPIError) in try await client.addUser(request) }
    }
    var receipt: Receipt?
    if case .success(.invited(_, let inviteId, let timeStamp)) = answer {
      receipt = Receipt(inviteId: inviteId, userId: nil, timeStamp: timeStamp)
    }
    try settle([(entry, id)], [ReconcileVerdict.add(answer, method: method)], receipts: [receipt], keeper: keeper)
    if case .failure(let error) = answer { return stopReason(error) }
    return nil
  }

  /// Journals the verdicts, then emits them.
  private func settle(
    _ sending: [(JournalEntry, Int64)], _ verdicts: [ReconcileVerdict], receipts: [Receipt?], keeper: JournalKeeper
  ) throws {
    var outcomes: [JournalOutcome] = []
    var rows: [(JournalEntry, RowStatus, [(String, Value)])] = []
    for (index, ((entry, id), verdict)) in zip(sending, verdicts).enumerated() {
      let (state, status, resolution) = verdict.outcome
      var fields: [(String, Value)] = [("resolution", .string(resolution))]
      var code: ErrorCode?
      switch verdict {
      case .stillInDoubt(let why, let detail):
        code = why
        fields.append(("error", .error(code: why, message: why.meaning, detail.map { [("detail", $0)] } ?? [])))
      case .notSent(let why):
        code = why
        fields.append(("error", .error(code: why, message: "the re-send did not reach the server; still in doubt")))
      default: break
      }
      if let receipt = receipts[index], let inviteId = receipt.inviteId {
        fields.append(("inviteId", .string(inviteId)))
      }
      outcomes.append(
        JournalOutcome(
          id: id, state: state, inviteId: receipts[index]?.inviteId, userId: receipts[index]?.userId,
          timeStamp: receipts[index]?.timeStamp, error: code))
      rows.append((entry, status, fields))
    }
    keeper.record(outcomes)
    for (entry, status, fields) in rows { try emit(entry, status, fields) }
    session.checkpoint()
  }

  /// Whether a failed call means no more re-sends in this run (interrupt, refused key).
  private func stopReason(_ error: NetworkedAPIError) -> SkipReason? {
    if error.cancelled { return .interrupted }
    if error.code == .unauthorized || error.code == .forbidden {
      session.forcedStatus = .authentication
      session.diagnostics("nwsh: reconcile: the API refused the key; nothing more will be re-sent")
      return .authenticationFailed
    }
    return nil
  }
}
