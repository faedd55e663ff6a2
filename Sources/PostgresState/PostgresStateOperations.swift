import Foundation
public import NetworkedCommands
import PostgresNIO
import ShellCore

// The request log and the journal in PostgreSQL: the statements behind ``StateStore``. Times
// are stored on the database's clock; `offset` (the database's clock minus this host's)
// translates what comes in and what goes out.

extension PostgresStateStore {
  // MARK: Request log

  /// Reserves the next slot for `scope` under the scope's advisory lock.
  public func reserve(
    scope: String, schedule: RateSchedule, now localNow: Double, method: String, path: String
  ) throws -> StateReservation {
    try transaction { transaction in
      let now = try lockedNow(transaction, lock: "nwsh:scope:" + scope, localNow: localNow)
      let sends = try Self.effectiveTimes(
        transaction, scope: scope, now: now, horizon: schedule.horizon, keep: schedule.limits.map(\.limit).max() ?? 0)
      let row = try transaction.rows(
        """
        SELECT coalesce((SELECT until FROM nwsh_pause WHERE scope = \(scope)), 0),
          coalesce((SELECT max(at) FROM nwsh_request_log WHERE scope = \(scope)), 0)
        """
      ).first!
      let (pausedUntil, latestSlot) = try row.decode((Double, Double).self)
      let at = schedule.earliest(now: max(now, pausedUntil, latestSlot), after: sends)
      let id = try transaction.rows(
        """
        INSERT INTO nwsh_request_log (scope, at, method, path, host, pid)
        VALUES (\(scope), \(at), \(method), \(path), \(ProcessIdentity.host), \(Int(getpid()))) RETURNING id
        """
      ).first!.decode(Int64.self)
      return StateReservation(id: id, at: at - (now - localNow))
    }
  }

  /// Records when the request finished.
  public func complete(_ reservation: StateReservation, at time: Double, status: Int?) throws {
    try transaction { transaction in
      try transaction.rows(
        "UPDATE nwsh_request_log SET completed = \(time + offset), status = \(status) WHERE id = \(reservation.id)")
    }
  }

  /// Gives back an unused slot.
  public func cancel(_ reservation: StateReservation) throws {
    try transaction { try $0.rows("DELETE FROM nwsh_request_log WHERE id = \(reservation.id)") }
  }

  /// Pauses `scope` until `time`.
  public func pause(scope: String, until time: Double, reason: String) throws {
    try transaction { transaction in
      try transaction.rows(
        """
        INSERT INTO nwsh_pause (scope, until, reason) VALUES (\(scope), \(time + offset), \(reason))
        ON CONFLICT (scope) DO UPDATE SET until = greatest(nwsh_pause.until, excluded.until), reason = excluded.reason
        """)
    }
  }

  /// Until when `scope` is paused (0 when it is not).
  public func pausedUntil(scope: String) throws -> Double {
    try transaction { transaction in
      let until = try transaction.rows("SELECT until FROM nwsh_pause WHERE scope = \(scope)").first?.decode(
        Double.self)
      return until.map { $0 - offset } ?? 0
    }
  }

  /// The times that count against the windows at `now`, ascending.
  public func sendTimes(scope: String, now: Double, horizon: Double) throws -> [Double] {
    try transaction { transaction in
      try Self.effectiveTimes(transaction, scope: scope, now: now + offset, horizon: horizon).map { $0 - offset }
    }
  }

  /// Every logged request in `scope`, oldest first.
  public func requests(scope: String) throws -> [LoggedRequest] {
    try transaction { transaction in
      try transaction.rows(
        "SELECT at, completed, method, path, status FROM nwsh_request_log WHERE scope = \(scope) ORDER BY at, id"
      ).map { row in
        let (at, completed, method, path, status) = try row.decode((Double, Double?, String, String, Int?).self)
        return LoggedRequest(
          at: at - offset, completed: completed.map { $0 - offset }, method: method, path: path, status: status)
      }
    }
  }

  /// Drops log rows older than `age` seconds before `now`.
  public func prune(now: Double, age: Double) throws {
    try transaction { try $0.rows("DELETE FROM nwsh_request_log WHERE at < \(now + offset - age)") }
  }

  /// Forgets everything kept for `scope`.
  @discardableResult
  public func forget(scope: String) throws -> Int {
    try transaction { transaction in
      let count = try transaction.changes("DELETE FROM nwsh_journal WHERE scope = \(scope)")
      try transaction.rows("DELETE FROM nwsh_request_log WHERE scope = \(scope)")
      try transaction.rows("DELETE FROM nwsh_pause WHERE scope = \(scope)")
      return count
    }
  }

  /// The same rule as ``SQLiteStateStore``'s: a finished request counts from its answer; one in
  /// flight from its slot or now (the later) plus the allowance (twice the longest recent round
  /// trip, within bounds); one stuck from its slot plus the in-flight limit. Only the `keep`
  /// most recent.
  static func effectiveTimes(
    _ transaction: Transaction, scope: String, now: Double, horizon: Double, keep: Int = .max
  ) throws -> [Double] {
    guard keep > 0 else { return [] }
    let since = now - horizon - RequestLogRules.inFlightLimit
    let allowance = RequestLogRules.inFlightAllowance
    let limit = RequestLogRules.inFlightLimit
    let keep: Int? = keep == .max ? nil : keep
    let floor = RequestLogRules.inFlightFloor
    return try transaction.rows(
      """
      WITH trip AS (
        SELECT coalesce(least(\(allowance), greatest(\(floor), 2 * max(completed - at))), \(allowance)) AS a
        FROM nwsh_request_log WHERE scope = \(scope) AND completed > \(since))
      SELECT coalesce(completed, least(greatest(at, \(now)) + (SELECT a FROM trip), at + \(limit))) AS t
      FROM nwsh_request_log WHERE scope = \(scope) AND (at > \(since) OR completed > \(since))
      ORDER BY t DESC LIMIT \(keep)
      """
    ).map { try $0.decode(Double.self) }.reversed()
  }

  // MARK: Journal

  /// Claims a person under their advisory lock (the unique index stands behind it).
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now localNow: Double, reinvite: Bool,
    supersedes: Int64?
  ) throws -> ClaimResult {
    let emailKey = operation.email.lowercased()
    return try transaction { transaction in
      let now = try lockedNow(transaction, lock: "nwsh:person:" + scope + "\n" + emailKey, localNow: localNow)
      let entries = try entries(transaction, scope: scope, emailKey: emailKey, translate: false)
      let decision = ClaimDecision(
        entries: entries, row: row, owner: owner, now: now, reinvite: reinvite, supersedes: supersedes)
      if !decision.stale.isEmpty {
        try transaction.rows("DELETE FROM nwsh_journal WHERE id = ANY(\(decision.stale))")
      }
      if !decision.orphaned.isEmpty {
        try transaction.rows(
          """
          UPDATE nwsh_journal SET state = 'unknown', error = coalesce(error, 'in_doubt'), updated = \(now)
          WHERE id = ANY(\(decision.orphaned))
          """)
      }
      if let answer = decision.answer { return translate(answer) }
      let planIds = try operation.planIds.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
      let id = try transaction.rows(
        """
        INSERT INTO nwsh_journal (run, scope, op, email, email_key, name, role_id, note, plan_ids, plan_id, method,
          password_set, row_number, request, state, created, updated, host, pid, pid_start, lease_until, supersedes)
        VALUES (\(owner.run), \(scope), \(operation.kind.rawValue), \(operation.email), \(emailKey),
          \(operation.name), \(operation.roleId), \(operation.note), \(planIds), \(operation.planId),
          \(operation.method), \(operation.passwordSet), \(row), 0, 'claimed', \(now), \(now), \(owner.host),
          \(Int(owner.pid)), \(owner.pidStart), \(now + RequestLogRules.claimLease), \(supersedes))
        RETURNING id
        """
      ).first!.decode(Int64.self)
      return .claimed(id)
    }
  }

  /// What the journal holds for `email` now.
  public func standing(scope: String, email: String, reinvite: Bool, now: Double) throws -> JournalStanding {
    try transaction { transaction in
      JournalStanding.of(
        try entries(transaction, scope: scope, emailKey: email.lowercased(), translate: true), reinvite: reinvite,
        now: now)
    }
  }

  /// Turns `owner`'s claims into intents, durably.
  public func intend(_ ids: [Int64], request: Int, owner: ClaimOwner, now: Double) throws -> Set<Int64> {
    try transaction { transaction in
      let moved = try transaction.rows(
        """
        UPDATE nwsh_journal SET state = 'pending', request = \(request), updated = \(now + offset),
          lease_until = \(now + offset + RequestLogRules.claimLease)
        WHERE id = ANY(\(ids)) AND state = 'claimed' AND run = \(owner.run) AND pid = \(Int(owner.pid))
          AND host = \(owner.host)
        RETURNING id
        """
      ).map { try $0.decode(Int64.self) }
      return Set(moved)
    }
  }

  /// Records outcomes; a settled re-send retires the doubts before it.
  public func record(_ outcomes: [JournalOutcome], at time: Double) throws {
    let time = time + offset
    try transaction { transaction in
      for outcome in outcomes {
        let rows = try transaction.rows(
          """
          UPDATE nwsh_journal SET state = \(outcome.state.rawValue), invite_id = coalesce(\(outcome.inviteId), invite_id),
            user_id = coalesce(\(outcome.userId), user_id), time_stamp = coalesce(\(outcome.timeStamp), time_stamp),
            error = \(outcome.error?.rawValue), updated = \(time)
          WHERE id = \(outcome.id) RETURNING scope, email_key, supersedes
          """)
        guard outcome.state != .notSent, let row = rows.first else { continue }
        let (scope, emailKey, supersedes) = try row.decode((String, String, Int64?).self)
        guard supersedes != nil else { continue }
        try transaction.rows(
          """
          UPDATE nwsh_journal SET state = 'reconciled', updated = \(time)
          WHERE scope = \(scope) AND email_key = \(emailKey) AND id < \(outcome.id) AND state IN ('unknown', 'pending')
          """)
      }
    }
  }

  /// Gives up claims never sent.
  public func release(_ ids: [Int64]) throws {
    guard !ids.isEmpty else { return }
    try transaction { try $0.rows("DELETE FROM nwsh_journal WHERE state = 'claimed' AND id = ANY(\(ids))") }
  }

  /// Gives up every claim `owner` still holds.
  public func release(owner: ClaimOwner) throws {
    try transaction { transaction in
      try transaction.rows(
        """
        DELETE FROM nwsh_journal
        WHERE state = 'claimed' AND run = \(owner.run) AND pid = \(Int(owner.pid)) AND host = \(owner.host)
        """)
    }
  }

  /// Renews `owner`'s leases.
  public func renew(owner: ClaimOwner, now: Double) throws {
    try transaction { transaction in
      try transaction.rows(
        """
        UPDATE nwsh_journal SET lease_until = \(now + offset + RequestLogRules.claimLease)
        WHERE state IN ('claimed', 'pending') AND run = \(owner.run) AND pid = \(Int(owner.pid))
          AND host = \(owner.host)
        """)
    }
  }

  /// Journal entries in `scope`, oldest first.
  public func journalEntries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
    let states = (states ?? []).map(\.rawValue)
    return try transaction { transaction in
      try transaction.rows(
        """
        SELECT * FROM nwsh_journal WHERE scope = \(scope) AND (\(run)::text IS NULL OR run = \(run))
          AND (cardinality(\(states)::text[]) = 0 OR state = ANY(\(states)))
        ORDER BY id
        """
      ).map { try entry($0, translate: true) }
    }
  }

  /// The people in doubt in `scope`.
  public func inDoubt(scope: String, now: Double) throws -> [JournalStanding] {
    try transaction { transaction in
      let entries = try transaction.rows(
        """
        SELECT * FROM nwsh_journal WHERE scope = \(scope) AND email_key IN
          (SELECT email_key FROM nwsh_journal WHERE scope = \(scope) AND state IN ('unknown', 'pending'))
        ORDER BY id
        """
      ).map { try entry($0, translate: true) }
      return JournalStanding.inDoubt(among: entries, now: now)
    }
  }

  private func entries(_ transaction: Transaction, scope: String, emailKey: String, translate: Bool) throws
    -> [JournalEntry]
  {
    try transaction.rows(
      """
      SELECT * FROM nwsh_journal WHERE scope = \(scope) AND email_key = \(emailKey)
        AND state IN ('claimed', 'pending', 'invited', 'added', 'unknown', 'not_sent', 'failed') ORDER BY id
      """
    ).map { try entry($0, translate: translate) }
  }

  /// An entry from its row; with `translate`, its times on this host's clock.
  private func entry(_ row: PostgresRow, translate: Bool) throws -> JournalEntry {
    let cells = row.makeRandomAccess()
    func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
      try cells[name].decode(T.self)
    }
    let shift = translate ? offset : 0
    let planIds: [String]? = try value("plan_ids", String?.self).flatMap {
      try? JSONDecoder().decode([String].self, from: Data($0.utf8))
    }
    let host: String? = try value("host")
    let pid: Int32? = try value("pid")
    let run: String = try value("run")
    let operation = JournalOperation(
      kind: JournalOperationKind(rawValue: try value("op")) ?? .invite, email: try value("email"),
      name: try value("name"), roleId: try value("role_id"), note: try value("note"), planIds: planIds,
      planId: try value("plan_id"), method: try value("method", Int?.self), passwordSet: try value("password_set"))
    let pidStart: Int64? = try value("pid_start")
    return JournalEntry(
      id: try value("id"), run: run, operation: operation, row: try value("row_number", Int.self),
      request: try value("request", Int.self), state: JournalState(rawValue: try value("state")) ?? .unknown,
      inviteId: try value("invite_id"), userId: try value("user_id"), timeStamp: try value("time_stamp"),
      error: try value("error", String?.self).map { ErrorCode(rawValue: $0) },
      created: try value("created", Double.self) - shift, updated: try value("updated", Double.self) - shift,
      owner: host.flatMap { host in pid.map { ClaimOwner(run: run, host: host, pid: $0, pidStart: pidStart) } },
      leaseUntil: try value("lease_until", Double?.self).map { $0 - shift }, supersedes: try value("supersedes"))
  }

  /// A claim's answer with its entries' times on this host's clock.
  private func translate(_ result: ClaimResult) -> ClaimResult {
    guard case .refused(let standing) = result else { return result }
    func shift(_ entry: JournalEntry) -> JournalEntry {
      var entry = entry
      entry.created -= offset
      entry.updated -= offset
      entry.leaseUntil = entry.leaseUntil.map { $0 - offset }
      return entry
    }
    switch standing {
    case .free: return result
    case .settled(let entry): return .refused(.settled(shift(entry)))
    case .inDoubt(let entry): return .refused(.inDoubt(shift(entry)))
    case .held(let entry): return .refused(.held(shift(entry)))
    }
  }
}
