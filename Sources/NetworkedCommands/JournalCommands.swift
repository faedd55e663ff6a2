import Foundation
import NetworkedAPI
import ShellCore

/// `journal` and `reconcile`.
enum JournalCommands {
  static func definitions(_ connection: NetworkedConnection) -> [CommandDefinition] {
    [
      CommandDefinition(
        CommandSignature(
          "journal", summary: "What invite and add did with this key, oldest first: one row per invitee, or per run with --runs.",
          flags: [
            .init("run", .word, "only this run"),
            .init("status", .word, "only entries in this state (invited, added, failed, unknown, pending, not_sent, reconciled)"),
            .init("runs", nil, "one row per run with its counts"),
          ],
          examples: ["journal --status unknown", "journal --runs", "journal --run 20261122T101500-3f2-1 | save run.jsonl"]),
        role: .source
      ) { context in
        let run = context.flagWord("run")
        let states = context.flagWord("status").map { [$0] }
        let perRun = context.flag("runs")
        return FetchSource(session: context.session, name: "journal", next: context.next) { emit in
          let (store, scope) = try connection.journal()
          let entries = try store.journalEntries(scope: scope, run: run, states: states)
          if perRun {
            for value in runSummaries(entries.map(\.entry)) { try emit(value) }
          } else {
            for (_, entry) in entries { try emit(describe(entry)) }
          }
        }
      },
      CommandDefinition(
        CommandSignature(
          "reconcile", summary: "Settle invitees whose earlier request may or may not have reached the server.",
          flags: [.init("dry-run", nil, "list what would be checked, send nothing")],
          examples: ["reconcile", "reconcile --dry-run"],
          discussion: """
            For each email the journal holds in doubt (pending or unknown, and not settled since), \
            reconcile sends an invite again, relying on the server refusing a duplicate: \
            "already_invited" means the earlier request did succeed (resolution earlier_request_succeeded), \
            "already_member" that the person is in (already_member), and a fresh invite that it had not \
            (sent_now). Nothing else re-sends an in-doubt email.
            """),
        role: .source
      ) { context in
        ReconcileSource(connection: connection, session: context.session, next: context.next, dryRun: context.flag("dry-run") || connection.isDryRun)
      },
    ]
  }

  static func describe(_ entry: StateStore.JournalEntry) -> Value {
    var fields: [(String, Value)] = [
      ("run", .string(entry.run)), ("op", .string(entry.op)), ("row", .number(entry.row)), ("email", .string(entry.email)),
      ("status", .string(entry.state)), ("request", .number(entry.request)),
    ]
    if let id = entry.inviteId { fields.append(("inviteId", .string(id))) }
    if let id = entry.userId { fields.append(("userId", .string(id))) }
    if let time = entry.timeStamp { fields.append(("timeStamp", .number(Double(time)))) }
    if let error = entry.error { fields.append(("error", .string(error))) }
    fields.append(("at", .string(ISO8601.format(entry.updated))))
    return .object(JSONObject(fields))
  }

  static func runSummaries(_ entries: [StateStore.JournalEntry]) -> [Value] {
    var order: [String] = []
    var counts: [String: [String: Int]] = [:]
    var started: [String: Double] = [:]
    for entry in entries {
      if counts[entry.run] == nil {
        order.append(entry.run)
        started[entry.run] = entry.created
      }
      counts[entry.run, default: [:]][entry.state, default: 0] += 1
    }
    return order.map { run in
      let byState = counts[run]!.sorted { $0.key < $1.key }.map { ($0.key, Value.number($0.value)) }
      return .object(
        JSONObject([
          ("run", .string(run)), ("started", .string(ISO8601.format(started[run]!))),
          ("rows", .number(counts[run]!.values.reduce(0, +))), ("states", .object(JSONObject(byState))),
        ]))
    }
  }
}

/// Re-sends in-doubt invitees once, deliberately, and records what the server says.
final class ReconcileSource: SourceStage {
  private let connection: NetworkedConnection
  private let session: Session
  private let next: any Stage
  private let dryRun: Bool

  init(connection: NetworkedConnection, session: Session, next: any Stage, dryRun: Bool) {
    self.connection = connection
    self.session = session
    self.next = next
    self.dryRun = dryRun
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    let (store, scope) = try connection.journal()
    // The latest entry per email decides; only those still in doubt are looked at.
    var latest: [String: (id: Int64, entry: StateStore.JournalEntry)] = [:]
    var order: [String] = []
    for item in try store.journalEntries(scope: scope) where item.entry.state != "not_sent" {
      let key = item.entry.email.lowercased()
      if latest[key] == nil { order.append(key) }
      if item.entry.state != "reconciled" { latest[key] = item }
    }
    let doubtful = order.compactMap { latest[$0] }.filter { $0.entry.state == "pending" || $0.entry.state == "unknown" }
    var number = 0
    var counts: [String: Int] = [:]
    func emit(_ entry: StateStore.JournalEntry, _ status: String, _ fields: [(String, Value)]) throws {
      number += 1
      counts[status, default: 0] += 1
      var record = ResultRecord(row: number, op: "reconcile", status: status, email: entry.email)
      for (key, value) in fields { record.add(key, value) }
      record.add("earlierRun", entry.run)
      record.add("run", connection.runID)
      try next.push(.result(record.value))
    }
    if dryRun {
      for (_, entry) in doubtful { try emit(entry, "planned", [("was", .string(entry.state))]) }
      session.diagnostics("nwsh: reconcile: \(doubtful.count) in doubt; dry run: nothing sent")
      return try next.finish()
    }
    let client = try connection.client()
    let keeper = JournalKeeper(connection: connection, op: "reconcile", reinvite: true)
    var start = 0
    var request = 0
    while start < doubtful.count {
      let chunk = Array(doubtful[start..<min(start + NetworkedCommands.defaultBatchSize, doubtful.count)])
      start += chunk.count
      request += 1
      let invitees = chunk.map { Invitee(name: $0.entry.name, email: $0.entry.email, tagId: $0.entry.roleId, note: $0.entry.note) }
      let intents = chunk.map {
        JournalKeeper.Intent(row: $0.entry.row, email: $0.entry.email, name: $0.entry.name, roleId: $0.entry.roleId, note: $0.entry.note)
      }
      guard case .success(let ids) = keeper.intend(intents, request: request) else {
        throw PipelineStop(status: .someFailed, message: "nwsh: reconcile: the journal could not be written; nothing sent")
      }
      let outcome = Result { () throws(NetworkedAPIError) in
        try waitFor { () async throws(NetworkedAPIError) in try await client.invite(invitees) }
      }
      switch outcome {
      case .failure(let error):
        // Still in doubt (or not sent): leave the earlier entries as they were.
        let (status, code) = Outcome.classify(error)
        keeper.record(ids.map { StateStore.JournalOutcome(id: $0, state: status == "unknown" ? "unknown" : "not_sent", error: code) })
        for item in chunk { try emit(item.entry, "unknown", [("error", Outcome.errorValue(error, code: code))]) }
      case .success(let result):
        var outcomes: [StateStore.JournalOutcome] = []
        var settled: [Int64] = []
        var rows: [(StateStore.JournalEntry, String, [(String, Value)])] = []
        for ((item, id), answer) in zip(zip(chunk, ids), result.outcomes) {
          switch answer {
          case .invited(let receipt):
            outcomes.append(StateStore.JournalOutcome(id: id, state: "invited", inviteId: receipt.inviteId, userId: receipt.userId, timeStamp: receipt.timeStamp))
            settled.append(item.id)
            var fields: [(String, Value)] = [("resolution", .string("sent_now"))]
            if let id = receipt.inviteId { fields.append(("inviteId", .string(id))) }
            rows.append((item.entry, "invited", fields))
          case .failed(let reason) where reason["code"]?.stringValue == "already_invited":
            outcomes.append(StateStore.JournalOutcome(id: id, state: "invited", error: "already_invited"))
            settled.append(item.id)
            rows.append((item.entry, "invited", [("resolution", .string("earlier_request_succeeded"))]))
          case .failed(let reason) where reason["code"]?.stringValue == "already_member":
            outcomes.append(StateStore.JournalOutcome(id: id, state: "added", error: "already_member"))
            settled.append(item.id)
            rows.append((item.entry, "added", [("resolution", .string("already_member"))]))
          case .failed(let reason):
            let code = reason["code"]?.stringValue ?? "rejected"
            outcomes.append(StateStore.JournalOutcome(id: id, state: "failed", error: code))
            settled.append(item.id)
            rows.append((item.entry, "failed", [("error", .error(code: code, message: reason["message"]?.stringValue ?? "refused"))]))
          case .missing, .contradictory:
            outcomes.append(StateStore.JournalOutcome(id: id, state: "unknown", error: "unclear_response"))
            rows.append((item.entry, "unknown", [("error", .error(code: "unclear_response", message: "still in doubt"))]))
          }
        }
        keeper.record(outcomes + settled.map { StateStore.JournalOutcome(id: $0, state: "reconciled") })
        for (entry, status, fields) in rows { try emit(entry, status, fields) }
      }
    }
    let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    session.diagnostics("nwsh: reconcile: \(doubtful.count) in doubt" + (parts.isEmpty ? "" : " → \(parts)") + " in \(request) request\(request == 1 ? "" : "s")")
    try next.finish()
  }
}
