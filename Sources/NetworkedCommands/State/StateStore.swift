public import JQ
public import ShellCore

/// Where nwsh keeps what every run with one key shares: the log of requests the pacer sent
/// (the rate budget) and the journal of people claimed, sent to and settled.
///
/// The rules live here and in `JournalRules`, in Swift, once; a `StateDatabase` (SQLite on
/// this machine, or PostgreSQL for several) only reads and writes rows inside transactions.
///
/// A *scope* is the ``Fingerprint`` of an API key and a base URL: the key itself is never
/// stored. Times given and returned are seconds since 1970 on the caller's clock; a database
/// shared by several hosts keeps its own clock and translates, so hosts whose clocks disagree
/// still agree on windows and leases.
///
/// What every operation guarantees:
/// - ``reserve(scope:schedule:now:method:path:)`` hands out slots one at a time per scope (under
///   the scope's lock), so that all the processes together never exceed a window;
/// - ``claim(scope:_:row:owner:now:reinvite:supersedes:)`` reads the person's entries and
///   inserts the claim under the person's lock, and at most one entry per (scope, email) is
///   claimed or pending (a unique index stands behind the lock): two processes never both send
///   to one person;
/// - every change of a journal entry is a compare-and-set on the version it read: a change
///   another process made meanwhile is never undone, and an entry is never deleted after it
///   moved on;
/// - ``intend(_:request:owner:now:)`` and ``record(_:scope:owner:request:at:)`` are durable
///   before they return: nothing is sent that the journal does not hold as pending, and no
///   result is printed that the journal does not hold.
public final class StateStore: Sendable {
  package let database: any StateDatabase
  /// How long a claim or an intent stands for other hosts without being renewed (seconds).
  public let lease: Double

  /// A store keeping its rows in `database`, with claims leased for `lease` seconds.
  package init(database: any StateDatabase, lease: Double) {
    self.database = database
    self.lease = lease
  }

  /// Where it is, for messages: a path, or a URL without its password.
  public var location: String { database.location }

  /// The schema version its database is at, and what the database is (`SQLite 3.40.1`).
  public func check() throws -> (schema: Int, server: String) { try database.check() }

  /// Opens the store a location names: a SQLite file, or a ``StateBackend``'s database with
  /// its password (the URL's, else the backend's variable in `environment`), whose waits for a
  /// database that is away end when `interruption` is set.
  @Sendable public static func open(
    _ location: StateLocation, environment: HostEnvironment = HostEnvironment(), interruption: Interruption? = nil
  ) throws -> StateStore {
    switch location.kind {
    case .sqlite(let path): return StateStore(database: try SQLiteDatabase(path: path), lease: location.lease)
    case .database(let address, let backend):
      let database = try backend.open(
        address, password: location.password(in: environment), environment: environment, interruption: interruption)
      return StateStore(database: database, lease: location.lease)
    }
  }

  // MARK: The request log

  /// Reserves the earliest slot `schedule` allows for one more request in `scope`.
  public func reserve(scope: String, schedule: RateSchedule, now: Double, method: String, path: String) throws
    -> StateReservation
  {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      let now = transaction.now
      try Self.dropFuture(transaction, scope: scope)
      let sends = try RequestLogRules.effectiveTimes(
        transaction, scope: scope, now: now, horizon: schedule.horizon,
        keep: schedule.limits.map(\.limit).max() ?? 0)
      // In order (never before a slot already handed out), which is what makes the windows'
      // arithmetic valid; without windows there is nothing to keep in order.
      let latest = schedule.limits.isEmpty ? now : try transaction.latestSlot(scope: scope)
      let start = max(now, try transaction.pausedUntil(scope: scope), latest)
      let at = schedule.earliest(now: start, after: sends)
      let id = try transaction.logRequest(
        scope: scope, at: at, reserved: now, method: method, path: path, process: .current)
      return StateReservation(id: id, at: at - transaction.offset)
    }
  }

  /// Records that the request of `reservation` finished at `time` (its response, or its failure).
  public func complete(_ reservation: StateReservation, at time: Double, status: Int?) throws {
    try database.transaction(lock: nil, durable: false, localNow: time) { transaction in
      try transaction.finishRequest(id: reservation.id, at: transaction.now, status: status)
    }
  }

  /// Gives back a slot that was never used (the wait was interrupted, or nobody was left to send).
  public func cancel(_ reservation: StateReservation, now: Double) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { try $0.deleteRequest(id: reservation.id) }
  }

  /// Holds every request in `scope` until `time` (after a 429 or 503 with `Retry-After`); a
  /// longer pause already in force stays.
  public func pause(scope: String, until time: Double, reason: String, now: Double) throws {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      let until = time + transaction.offset
      try Self.dropFuture(transaction, scope: scope)
      if try transaction.pausedUntil(scope: scope) < until {
        try transaction.setPause(scope: scope, until: until, since: transaction.now, reason: reason)
      }
    }
  }

  /// Until when `scope` is paused (0 when it is not), on the caller's clock.
  public func pausedUntil(scope: String, now: Double) throws -> Double {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      try Self.dropFuture(transaction, scope: scope)
      let until = try transaction.pausedUntil(scope: scope)
      return until == 0 ? 0 : until - transaction.offset
    }
  }

  /// The times that count against the windows in `scope` at `now`, ascending.
  public func sendTimes(scope: String, now: Double, horizon: Double) throws -> [Double] {
    try database.transaction(lock: "scope:" + scope, durable: false, localNow: now) { transaction in
      try Self.dropFuture(transaction, scope: scope)
      return try RequestLogRules.effectiveTimes(transaction, scope: scope, now: transaction.now, horizon: horizon)
        .map { $0 - transaction.offset }
    }
  }

  /// Drops log rows older than `age` seconds (two days by default) before `now`.
  public func prune(now: Double, age: Double = 2 * 86_400) throws {
    try database.transaction(lock: nil, durable: false, localNow: now) { transaction in
      try transaction.deleteRequests(before: transaction.now - age)
    }
  }

  /// Forgets everything kept for `scope` (journal, request log, pauses); returns how many
  /// journal entries went.
  @discardableResult public func forget(scope: String) throws -> Int {
    try database.transaction(lock: "scope:" + scope, durable: true, localNow: 0) { try $0.forget(scope: scope) }
  }

  // MARK: Clocks

  static func shifted(_ result: ClaimResult, by seconds: Double) -> ClaimResult {
    guard case .refused(let standing) = result else { return result }
    return .refused(shifted(standing, by: seconds))
  }

  static func shifted(_ standing: JournalStanding, by seconds: Double) -> JournalStanding {
    switch standing {
    case .free: .free
    case .settled(let entry): .settled(entry.shifted(by: seconds))
    case .inDoubt(let entry): .inDoubt(entry.shifted(by: seconds))
    case .held(let entry): .held(entry.shifted(by: seconds))
    }
  }
}

/// The journal kept changing under a transaction, however often it read again.
public struct StateConflict: Error, CustomStringConvertible {
  /// What was being done.
  public var what: String
  /// The message.
  public var description: String { "the journal kept changing while \(what); try again" }
}

/// A reserved send slot.
public struct StateReservation: Sendable, Hashable {
  /// Its row in the log.
  public var id: Int64
  /// When it may go out (the caller's clock).
  public var at: Double

  /// Creates a reservation.
  public init(id: Int64, at: Double) {
    self.id = id
    self.at = at
  }
}
