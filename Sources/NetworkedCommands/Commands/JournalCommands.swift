import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// `journal` and `reconcile`.
enum JournalCommands {
  /// The flags of `journal` and `reconcile`.
  enum Flags {
    static let run = CommandFlag.word("run", "only this run")
    static func status(_ states: String) -> CommandFlag<String?> {
      CommandFlag.word("status", "only entries in this state (\(states))")
    }
    static let runs = CommandFlag.toggle("runs", "one row per run with its counts")
    static let results = CommandFlag.toggle(
      "results", "with --run: that run's results again, one line per person it sent")
    static let dryRun = CommandFlag.toggle("dry-run", "list what would be re-sent, send nothing")
    static let again = CommandFlag.toggle(
      "again", "re-send once more people a reconcile already re-sent without a clear answer")
    static let passwords = CommandFlag.path(
      "passwords", "a file of {email, password} rows for direct adds that were sent with a password")
  }

  static func definitions(_ connection: NetworkedConnection) -> [CommandDefinition] {
    let states = JournalState.allCases.map(\.rawValue).joined(separator: ", ")
    return [
      CommandDefinition(
        CommandSignature(
          "journal",
          summary: "What invite and add did with this key, oldest first: one row per invitee, or per run with --runs.",
          flags: [
            Flags.run.declaration, Flags.status(states).declaration, Flags.runs.declaration, Flags.results.declaration,
          ],
          examples: [
            "journal --status unknown", "journal --runs", "journal --run 20261122T101500-3f2-1 | save run.jsonl",
            "journal --run 20261122T101500-3f2-1 --results",
          ]),
        role: .source
      ) { context in
        let run = try context.value(of: Flags.run)
        var wanted: [JournalState]?
        if let word = try context.value(of: Flags.status(states)) {
          guard let state = JournalState(rawValue: word) else {
            throw Diagnostic(
              .usage, "no journal state '\(word)'; the states are: \(states)",
              at: context.range(of: Flags.status(states)))
          }
          wanted = [state]
        }
        let perRun = try context.value(of: Flags.runs)
        let results = try context.value(of: Flags.results)
        if results && run == nil {
          throw Diagnostic(
            .usage, "--results prints one run's results: give the run with --run ID (journal --runs lists them)",
            at: context.call.range)
        }
        return FetchSource(run: context.run, name: "journal", next: context.next) { emit in
          let (store, scope) = try connection.journal()
          let entries = try store.journalEntries(
            scope: scope, run: run, states: wanted, now: connection.configuration.clock.now)
          let now = connection.configuration.clock.now
          let roles = connection.knownRoles
          if perRun {
            for value in runSummaries(entries) { try emit(value) }
          } else if results {
            for entry in printed(entries) { try emit(result(entry, now: now, roles: roles)) }
          } else {
            for entry in entries { try emit(describe(entry, now: now, roles: roles)) }
          }
        }
      },
      CommandDefinition(
        CommandSignature(
          "reconcile", summary: "Settle invitees whose earlier request may or may not have reached the server.",
          flags: [
            Flags.dryRun.declaration, Flags.again.declaration, Flags.passwords.declaration,
          ],
          examples: ["reconcile", "reconcile --dry-run", "reconcile --passwords vault.csv", "reconcile --again"],
          discussion: """
            For each person the journal holds in doubt, reconcile re-sends the very request that was \
            in doubt (the same endpoint, method, role, plans and note) once, and classifies the answer: \
            a fresh invite or add (sent_now), "already invited" (earlier_request_succeeded), "already a \
            member" (already_member). Any other refusal, or no clear answer, leaves the person in doubt \
            (unknown) rather than failed, so no plain re-run sends to them again; nor does a later \
            reconcile (not_resent) unless --again asks for one more re-send. A direct add that carried \
            a password needs it again (--passwords); it is never stored. Each person is claimed first, so \
            two reconciles at once never both re-send.
            """),
        role: .source
      ) { context in
        var passwords: [String: String] = [:]
        if let given = try context.value(of: Flags.passwords) {
          passwords = try PasswordFile.read(context.run.resolvePath(given), range: context.range(of: Flags.passwords))
        }
        return ReconcileSource(
          connection: connection, run: context.run, next: context.next,
          dryRun: try context.value(of: Flags.dryRun) || context.run.value(of: NetworkedSettings.dryRun),
          again: try context.value(of: Flags.again),
          passwords: passwords)
      },
    ]
  }

  static func describe(_ entry: JournalEntry, now: Double, roles: [NetworkedAPIRole]?) -> Value {
    var entry = entry
    if entry.state == .pending && !JournalRules.isHeld(entry, now: now) {
      // Its process died with the request out: that is what in doubt means.
      entry.state = .unknown
      entry.error = entry.error ?? .inDoubt
    }
    var fields: [(String, Value)] = [
      ("run", .string(entry.run)), ("op", .string(entry.operation.kind.rawValue)), ("row", .number(entry.row)),
      ("email", .string(entry.email)), ("status", .string(entry.state.rawValue)), ("request", .number(entry.request)),
    ]
    fields += entry.operation.resultFields(roles: roles)
    if let method = entry.operation.method { fields.append(("method", .string(method == 2 ? "direct" : "invite"))) }
    if entry.operation.passwordSet { fields.append(("password", .string("set"))) }
    if let id = entry.inviteId { fields.append(("inviteId", .string(id))) }
    if let id = entry.userId { fields.append(("userId", .string(id))) }
    if let time = entry.timeStamp { fields.append(("timeStamp", .number(Double(time)))) }
    if let error = entry.error { fields.append(("error", .error(code: error, message: error.meaning))) }
    if entry.state == .claimed || entry.state == .pending, entry.owner != nil {
      fields.append(("claimedBy", JournalKeeper.claimant(entry)))
    }
    if let superseded = entry.supersedes { fields.append(("resends", .number(Double(superseded)))) }
    fields.append(("created", .string(ISO8601.format(entry.created))))
    fields.append(("at", .string(ISO8601.format(entry.updated))))
    return .object(JSONObject(fields))
  }

  /// The entries whose result lines their runs printed: one per run and row — where a run's
  /// answer was journalled on an entry of its own (`journal_conflict`), that one, not the intent
  /// another run took over.
  static func printed(_ entries: [JournalEntry]) -> [JournalEntry] {
    let conflicted = Set(entries.filter { $0.error == .journalConflict }.map { "\($0.run)\n\($0.row)" })
    return entries.filter { $0.error == .journalConflict || !conflicted.contains("\($0.run)\n\($0.row)") }
  }

  /// An entry as the result line its run printed for it (or would have, had the output been
  /// writable): `{"row", "op", "status", "email", "name", …, "run"}`.
  static func result(_ entry: JournalEntry, now: Double, roles: [NetworkedAPIRole]?) -> Value {
    let status: ResultStatus
    var fields: [(String, Value)] = entry.operation.resultFields(roles: roles)
    if entry.error == .journalConflict {
      // Printed in doubt, with the answer it could not write over another run's entry.
      var answer: [(String, Value)] = [("status", .string(entry.state.rawValue))]
      if let id = entry.inviteId { answer.append(("inviteId", .string(id))) }
      if let id = entry.userId { answer.append(("userId", .string(id))) }
      fields.append(
        (
          "error",
          .error(
            code: .journalConflict, message: ErrorCode.journalConflict.meaning,
            [("answer", .object(JSONObject(answer)))])
        ))
      if entry.request > 0 { fields.append(("request", .number(entry.request))) }
      var record = ResultRecord(
        row: entry.row, op: entry.operation.kind.rawValue, status: .unknown, [("email", .string(entry.email))])
      for (key, value) in fields { record.add(key, value) }
      record.add("run", entry.run)
      return record.value
    }
    switch entry.state {
    case .invited where entry.saidDoneAlready, .added where entry.saidDoneAlready:
      // The server said it was done already: nothing to do, as the run printed it.
      status = .skipped
      fields.append(Value.reason(entry.settledReason))
    case .invited: status = .invited
    case .added: status = .added
    case .failed, .notSent: status = .failed
    case .claimed: status = .skipped
    case .pending where JournalRules.isHeld(entry, now: now): status = .skipped
    case .pending, .unknown, .reconciled: status = .unknown
    }
    if let id = entry.inviteId { fields.append(("inviteId", .string(id))) }
    if let id = entry.userId { fields.append(("userId", .string(id))) }
    if let time = entry.timeStamp { fields.append(("timeStamp", .number(Double(time)))) }
    if status != .skipped, let error = entry.error ?? (status == .unknown ? .inDoubt : nil) {
      let value = Value.error(code: error, message: error.meaning)
      fields.append(("error", status == .failed ? ErrorCatalog.markRetryable(value) : value))
    }
    if entry.state == .reconciled { fields.append(("reconciled", .bool(true))) }
    if entry.request > 0 { fields.append(("request", .number(entry.request))) }
    var record = ResultRecord(
      row: entry.row, op: entry.operation.kind.rawValue, status: status, [("email", .string(entry.email))])
    for (key, value) in fields { record.add(key, value) }
    record.add("run", entry.run)
    return record.value
  }

  static func runSummaries(_ entries: [JournalEntry]) -> [Value] {
    var order: [String] = []
    var counts: [String: [String: Int]] = [:]
    var started: [String: Double] = [:]
    for entry in entries {
      if counts[entry.run] == nil {
        order.append(entry.run)
        started[entry.run] = entry.created
      }
      counts[entry.run, default: [:]][entry.state.rawValue, default: 0] += 1
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

/// `reconcile --passwords FILE`: `{email, password}` rows (JSON lines, JSON or CSV).
enum PasswordFile {
  static func read(_ path: String, range: SourceRange?) throws -> [String: String] {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw Diagnostic(.usage, FileProblem.message("cannot open", path), at: range)
    }
    defer { try? handle.close() }
    var source = FileDescriptorSource(fileDescriptor: handle.fileDescriptor)
    var passwords: [String: String] = [:]
    let collect: (Item) throws -> Void = { item in
      guard case .row(let row) = item, let email = row.value.text("email"),
        case .string(let password)? = row.value["password"],
        !password.isEmpty
      else { return }
      passwords[email.lowercased()] = password
    }
    if path.lowercased().hasSuffix(".csv") {
      try CSVReader(sourceName: path).read(&source, collect)
    } else {
      try JSONRowReader(sourceName: path).read(&source, collect)
    }
    return passwords
  }
}
