import ShellCore

/// The journal side of `invite` and `add`: skips what an earlier run already did, writes each
/// invitee's intent durably before the request leaves, and its outcome before its result is
/// printed.
struct JournalKeeper {
  let connection: NetworkedConnection
  let op: String
  let reinvite: Bool

  /// A row about to be sent.
  struct Intent {
    var row: Int
    var email: String
    var name: String
    var roleId: String
    var note: String?
  }

  /// Why this email should not be sent again, as result fields (`reason` first), or nil.
  func skip(email: String) -> (status: String, fields: [(String, Value)])? {
    guard !reinvite, let (store, scope) = try? connection.journal(),
      let earlier = try? store.journalStanding(scope: scope, email: email)
    else { return nil }
    var fields: [(String, Value)]
    if earlier.state == "invited" || earlier.state == "added" {
      fields = [("reason", .string(earlier.state == "added" ? "already_added" : "already_invited"))]
      if let id = earlier.inviteId { fields.append(("inviteId", .string(id))) }
      if let time = earlier.timeStamp { fields.append(("timeStamp", .number(Double(time)))) }
    } else {
      // Sent before with no answer we could trust: never re-send blindly.
      fields = [
        ("reason", .string("in_doubt")),
        ("hint", .string("an earlier request for this email may have reached the server; run reconcile")),
      ]
    }
    fields += [("earlierRun", .string(earlier.run)), ("earlierOp", .string(earlier.op))]
    return ("skipped", fields)
  }

  /// Writes the intents (state `pending`); nil (with the reason) when the journal cannot be
  /// written, in which case nothing may be sent.
  func intend(_ intents: [Intent], request: Int) -> Result<[Int64], any Error> {
    Result {
      let (store, scope) = try connection.journal()
      let now = connection.environment.clock.now
      let run = connection.runID
      return try store.journalIntent(
        scope: scope,
        intents.map {
          StateStore.JournalEntry(
            run: run, op: op, email: $0.email, name: $0.name, roleId: $0.roleId, note: $0.note, row: $0.row,
            request: request, state: "pending", created: now, updated: now)
        })
    }
  }

  /// Records outcomes; false when the journal could not be written (the entries stay
  /// `pending`, so a later run treats them as in doubt, which is safe).
  @discardableResult
  func record(_ outcomes: [StateStore.JournalOutcome]) -> Bool {
    guard !outcomes.isEmpty else { return true }
    do {
      let (store, _) = try connection.journal()
      try store.journalOutcomes(outcomes, at: connection.environment.clock.now)
      return true
    } catch {
      connection.session.diagnostics("nwsh: \(op): could not record outcomes in the journal (\(error)); those rows stay in doubt there")
      return false
    }
  }
}
