public import Foundation

/// Where nwsh keeps what every run with one key shares: the log of requests the pacer sent
/// (the rate budget) and the journal of people claimed, sent to and settled.
///
/// Two implementations: ``SQLiteStateStore``, a file on this machine (the default), and
/// PostgreSQL (the `PostgresState` module, `--state postgres://…`) for several machines sharing
/// one key. The commands (`invite`, `add`, `reconcile`, `journal`) and the ``Pacer`` see only
/// this protocol.
///
/// A *scope* is the ``Fingerprint`` of an API key and a base URL: the key itself is never
/// stored. Times are seconds since 1970 on the caller's clock; a store shared by several hosts
/// keeps its own clock and translates, so that hosts whose clocks disagree still agree on the
/// windows and the leases.
///
/// Every operation is one transaction. The rules every implementation keeps:
/// - ``reserve(scope:schedule:now:method:path:)`` hands out slots one at a time per scope, so
///   that all the processes together never exceed a window;
/// - ``claim(scope:_:row:owner:now:reinvite:supersedes:)`` reads the person's entries and
///   inserts the claim atomically, and at most one entry per (scope, email) is claimed or
///   pending: two processes can never both send to one person;
/// - ``intend(_:request:owner:now:)`` is durable before it returns: nothing is sent that the
///   journal does not hold as pending.
public protocol StateStore: AnyObject, Sendable {
  /// Where it is, for messages: a path, or a URL without its password.
  var location: String { get }

  // MARK: The request log

  /// Reserves the earliest slot `schedule` allows for one more request in `scope`.
  func reserve(scope: String, schedule: RateSchedule, now: Double, method: String, path: String) throws
    -> StateReservation
  /// Records that the request of `reservation` finished at `time` (its response, or its failure).
  func complete(_ reservation: StateReservation, at time: Double, status: Int?) throws
  /// Gives back a slot that was never used (the wait was interrupted before sending).
  func cancel(_ reservation: StateReservation) throws
  /// Holds every request in `scope` until `time` (after a 429 or 503 with `Retry-After`).
  func pause(scope: String, until time: Double, reason: String) throws
  /// Until when `scope` is paused (0 when it is not).
  func pausedUntil(scope: String) throws -> Double
  /// The times that count against the windows in `scope` at `now`, ascending.
  func sendTimes(scope: String, now: Double, horizon: Double) throws -> [Double]
  /// Every logged request in `scope`, oldest first.
  func requests(scope: String) throws -> [LoggedRequest]
  /// Drops log rows older than `age` seconds before `now`.
  func prune(now: Double, age: Double) throws
  /// Forgets everything kept for `scope` (journal, request log, pauses); returns how many
  /// journal entries went.
  @discardableResult func forget(scope: String) throws -> Int

  // MARK: The journal

  /// Claims `operation`'s person for `owner` when they are free (or, for `reconcile`, in doubt
  /// with `supersedes` the entry being re-sent), in one transaction with the read. Claiming
  /// again what `owner` already holds returns that claim (a retried call is harmless).
  func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool,
    supersedes: Int64?
  ) throws -> ClaimResult
  /// What the journal holds for `email` now (a read: dry runs use it; sending claims instead).
  func standing(scope: String, email: String, reinvite: Bool, now: Double) throws -> JournalStanding
  /// Turns claims still held by `owner` into intents (`pending`, with their request number),
  /// durably, just before the request leaves. Returns the ids that moved: only those are sent.
  func intend(_ ids: [Int64], request: Int, owner: ClaimOwner, now: Double) throws -> Set<Int64>
  /// Records outcomes durably (before their results are printed). An entry that settles a
  /// person retires the in-doubt entries it re-sent.
  func record(_ outcomes: [JournalOutcome], at time: Double) throws
  /// Gives up claims that were never sent.
  func release(_ ids: [Int64]) throws
  /// Gives up every claim `owner` still holds.
  func release(owner: ClaimOwner) throws
  /// Renews the lease on everything `owner` holds (claims and requests in flight).
  func renew(owner: ClaimOwner, now: Double) throws
  /// Journal entries in `scope`, oldest first, optionally of one run or in some states.
  func journalEntries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry]
  /// The people in doubt in `scope`, each with the entry that put them in doubt (or with the
  /// live run that holds them now), oldest first: what `reconcile` settles.
  func inDoubt(scope: String, now: Double) throws -> [JournalStanding]
}

extension StateStore {
  /// ``claim(scope:_:row:owner:now:reinvite:supersedes:)`` of a free person.
  public func claim(
    scope: String, _ operation: JournalOperation, row: Int, owner: ClaimOwner, now: Double, reinvite: Bool
  ) throws -> ClaimResult {
    try claim(scope: scope, operation, row: row, owner: owner, now: now, reinvite: reinvite, supersedes: nil)
  }

  /// Every journal entry in `scope`.
  public func journalEntries(scope: String) throws -> [JournalEntry] {
    try journalEntries(scope: scope, run: nil, states: nil)
  }

  /// Drops log rows older than two days.
  public func prune(now: Double) throws { try prune(now: now, age: 2 * 86_400) }
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

/// One logged request.
public struct LoggedRequest: Sendable, Hashable {
  /// When it was due to go out.
  public var at: Double
  /// When it finished, if it did.
  public var completed: Double?
  /// `GET`, `POST`…
  public var method: String
  /// The path.
  public var path: String
  /// The HTTP status, if one came back.
  public var status: Int?

  /// Creates a logged request.
  public init(at: Double, completed: Double?, method: String, path: String, status: Int?) {
    self.at = at
    self.completed = completed
    self.method = method
    self.path = path
    self.status = status
  }
}

/// The rules of the request log that every store shares.
public enum RequestLogRules {
  /// A request in flight for longer than this is assumed to have reached the server by then.
  public static let inFlightLimit = 120.0
  /// How much later than now a request still in flight (another process's, usually) may reach
  /// the server, at most: it counts this much later, to be safe. Within that bound the
  /// allowance is twice the longest round trip (slot to answer) of the scope's recent requests,
  /// and at least ``inFlightFloor``: on a fast network a request in flight does not hold a
  /// short window's slots for two whole seconds.
  public static let inFlightAllowance = 2.0
  /// The least allowance for a request in flight.
  public static let inFlightFloor = 0.05
  /// How long a claim stands for other hosts without being renewed.
  public static let claimLease = 600.0
}

/// What a claim transaction does, decided from the person's entries (oldest first) read inside
/// it: the same rule for every store.
public struct ClaimDecision: Sendable {
  /// Claims whose holder is gone: nothing was sent for them, delete them.
  public var stale: [Int64]
  /// Intents whose holder is gone: their request may have gone out, mark them in doubt
  /// (`unknown`, error `in_doubt`).
  public var orphaned: [Int64]
  /// nil: insert the claim; else the answer without inserting.
  public var answer: ClaimResult?

  /// Decides for `owner` and input row `row`, claiming anew or (for `reconcile`) over the in-doubt entry
  /// `supersedes`.
  public init(
    entries: [JournalEntry], row: Int, owner: ClaimOwner, now: Double, reinvite: Bool, supersedes: Int64?
  ) {
    stale = entries.filter { $0.state == .claimed && !$0.isHeld(now: now) }.map(\.id)
    let orphaned = entries.filter { $0.state == .pending && !$0.isHeld(now: now) }.map(\.id)
    self.orphaned = orphaned
    let live = entries.filter { !stale.contains($0.id) }.map { entry in
      var entry = entry
      if orphaned.contains(entry.id) { entry.state = .unknown }
      return entry
    }
    // A retried call (its first answer lost with a connection) finds its own claim: same
    // owner, same row. (A second row with the same email is held by the first, as it should.)
    if let mine = live.last(where: {
      $0.state == .claimed && $0.owner == owner && $0.row == row && $0.supersedes == supersedes
    }) {
      answer = .claimed(mine.id)
      return
    }
    let standing = JournalStanding.of(live, reinvite: reinvite, now: now)
    switch (standing, supersedes) {
    case (.free, nil): answer = nil
    case (.inDoubt(let doubt), let superseded?) where doubt.id == superseded: answer = nil
    default: answer = .refused(standing)
    }
  }
}

extension JournalStanding {
  /// The people in doubt among `entries` (every entry of each person with an `unknown` or
  /// `pending` entry, oldest first), in order of first appearance: ``StateStore/inDoubt(scope:now:)``.
  public static func inDoubt(among entries: [JournalEntry], now: Double) -> [JournalStanding] {
    var order: [String] = []
    var byPerson: [String: [JournalEntry]] = [:]
    for entry in entries {
      let key = entry.email.lowercased()
      if byPerson[key] == nil { order.append(key) }
      byPerson[key, default: []].append(entry)
    }
    return order.compactMap { key in
      let entries = byPerson[key]!
      switch JournalStanding.of(entries, reinvite: true, now: now) {
      case .inDoubt(let entry): return .inDoubt(entry)
      case .held(let entry) where entries.contains(where: { $0.state == .unknown }): return .held(entry)
      default: return nil
      }
    }
  }
}
