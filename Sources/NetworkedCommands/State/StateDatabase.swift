/// What a database does for ``StateStore``: transactions that read and write rows. It makes no
/// decision of its own; the rules (slots, claims, intents, leases, doubts) are ``StateStore``'s
/// and `JournalRules`', written once for every database.
///
/// nwsh has two: SQLite (a file on this machine) and the PostgreSQL one in the `PostgresState`
/// module (several machines). Another comes with a ``StateBackend`` and must pass the store
/// rules, `StoreConformance.run` in `NetworkedTesting`.
public protocol StateDatabase: AnyObject, Sendable {
  /// Where it is, for messages: a path, or a URL without its password.
  var location: String { get }

  /// Runs `body` in one transaction and returns its result.
  ///
  /// - `lock`: serializes this transaction with every other one naming the same lock (a scope
  ///   for reservations, a person for claims), across every process and host using the
  ///   database. SQLite locks the whole file for any write, which covers it.
  /// - `durable`: the commit is on disk before this returns (intents, outcomes). Without it
  ///   the database may commit faster (claims, leases: losing one in a crash loses only a dead
  ///   process's hold).
  /// - `localNow`: the caller's clock. The transaction's ``StateTransaction/now`` is the
  ///   database's (PostgreSQL's own clock, so hosts whose clocks disagree still agree).
  ///
  /// A database that can lose its connection may run `body` again on a new one: every body
  /// must be safe to repeat.
  func transaction<T>(
    lock: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T
  ) throws -> T

  /// Opens a transaction for reading only.
  func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T

  /// The schema version the database is at, and what the database is (`SQLite 3.40.1`,
  /// `PostgreSQL 15.18 …`).
  func check() throws -> (schema: Int, server: String)
}

/// One transaction's reads and writes. Times are on the database's clock (``now``).
public protocol StateTransaction {
  /// Now, on the database's clock.
  var now: Double { get }
  /// The database's clock minus the caller's.
  var offset: Double { get }

  // MARK: The request log

  /// The requests of `scope` that slotted or finished after `since`: `(slot, finished)`.
  func requests(scope: String, since: Double) throws -> [(at: Double, completed: Double?)]
  /// The latest slot handed out in `scope` (0 when none).
  func latestSlot(scope: String) throws -> Double
  /// Logs a request slotted at `at`, reserved at `reserved` (now); returns its id.
  func logRequest(scope: String, at: Double, reserved: Double, method: String, path: String, process: ProcessIdentity)
    throws -> Int64
  /// Records when request `id` finished, and its HTTP status.
  func finishRequest(id: Int64, at: Double, status: Int?) throws
  /// Deletes request `id` (a slot never used).
  func deleteRequest(id: Int64) throws
  /// Deletes requests slotted before `time`.
  func deleteRequests(before time: Double) throws
  /// Until when `scope` is paused (0 when it is not).
  func pausedUntil(scope: String) throws -> Double
  /// Pauses `scope` until `time` (replacing any pause), as of `since` (now).
  func setPause(scope: String, until time: Double, since: Double, reason: String) throws
  /// Deletes what `scope`'s log and pause say was done after `time` (by a clock that was ahead,
  /// or is behind now): requests reserved then (or, logged before reservations were stamped,
  /// slotted more than two hours after it), and a pause set then. Returns how many requests.
  func dropFuture(scope: String, after time: Double) throws -> Int

  // MARK: The journal

  /// Every entry for the person `emailKey` (lower-cased) in `scope`, oldest first.
  func entries(scope: String, emailKey: String) throws -> [JournalEntry]
  /// Entries of `scope`, oldest first, of one run and in some states when given.
  func entries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry]
  /// Every entry of every person in `scope` who has an entry in one of `states`, oldest first.
  func entries(scope: String, ofPeopleIn states: [JournalState]) throws -> [JournalEntry]
  /// The entries with these ids.
  func entries(ids: [Int64]) throws -> [JournalEntry]
  /// The entries `process` holds in `states`.
  func entries(heldBy process: ProcessIdentity, states: [JournalState]) throws -> [JournalEntry]
  /// Inserts `entry` (its id is ignored) for `scope`; returns the new id, which is never one
  /// an entry had before (ids are not reused: a stale id can never name another's entry).
  func insert(_ entry: JournalEntry, scope: String) throws -> Int64
  /// Writes `entry`'s changeable fields (state, request, receipt, error, updated, lease) and
  /// increments its version, if its version is still `entry.version`; returns whether it did
  /// (a compare-and-set: someone else may have changed it since it was read).
  func update(_ entry: JournalEntry) throws -> Bool
  /// Sets the lease of every entry `process` holds in `states` whose lease runs past
  /// `runningAt` to `until`, and changes each one's version, in one statement; returns their
  /// ids. (One statement: each entry's holder, state and running lease are the condition, so no
  /// version need be read first, and a renewal never fails because the same process moved an
  /// entry on another connection.)
  func extendLeases(heldBy process: ProcessIdentity, states: [JournalState], runningAt: Double, until: Double) throws
    -> Set<Int64>
  /// Records `time` as when the people of entries `ids` were first seen members, where no time
  /// is recorded yet.
  func markJoined(_ ids: [Int64], at time: Double) throws
  /// Deletes each of `entries` whose version is still the one it was read at (a
  /// compare-and-set); returns how many it deleted.
  func delete(_ entries: [JournalEntry]) throws -> Int
  /// Deletes everything kept for `scope` (journal, request log, pause); returns how many
  /// journal entries went.
  func forget(scope: String) throws -> Int
}
