import Foundation
import NetworkedCommands
import Synchronization

/// A database handle that stops at each point of its owner's work — before each transaction
/// and, where the database allows another connection to act meanwhile, before each write inside
/// one — and asks ``hook`` whether another owner should take a step there.
///
/// ``StoreConformance`` puts the other owner's step at every such point in turn, so each rule is
/// tried with everything another process could do between any two of its steps.
final class InterleavingDatabase: StateDatabase, @unchecked Sendable {
  // Threading: `hook` is set by the schedule's thread before the owner's steps run and read by
  // the owner's thread; the Mutex keeps the handoff well-ordered.
  let base: any StateDatabase
  private let hookBox = Mutex<(@Sendable () -> Void)?>(nil)
  /// Whether points inside transactions are offered.
  let withinTransactions: Bool
  /// Whether each transaction is committed, then run again (its result is the second run's).
  let repeating: Bool

  init(_ base: any StateDatabase, withinTransactions: Bool, repeating: Bool = false) {
    self.base = base
    self.withinTransactions = withinTransactions
    self.repeating = repeating
  }

  var location: String { base.location }

  /// Called at each point while set.
  var hook: (@Sendable () -> Void)? {
    get { hookBox.withLock { $0 } }
    set { hookBox.withLock { $0 = newValue } }
  }

  func transaction<T>(lock: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T)
    throws -> T
  {
    hook?()
    if repeating {
      _ = try base.transaction(lock: lock, durable: durable, localNow: localNow, body)
    }
    return try base.transaction(lock: lock, durable: durable, localNow: localNow) { transaction in
      try body(withinTransactions ? Pausing(base: transaction, point: { [self] in hook?() }) : transaction)
    }
  }

  func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T {
    hook?()
    return try base.read(localNow: localNow, body)
  }

  func check() throws -> (schema: Int, server: String) { try base.check() }

  /// A transaction that stops before each write.
  private struct Pausing: StateTransaction {
    let base: any StateTransaction
    let point: () -> Void

    var now: Double { base.now }
    var offset: Double { base.offset }

    func requests(scope: String, since: Double) throws -> [(at: Double, completed: Double?)] {
      try base.requests(scope: scope, since: since)
    }
    func latestSlot(scope: String) throws -> Double { try base.latestSlot(scope: scope) }
    func logRequest(scope: String, at: Double, reserved: Double, method: String, path: String, process: ProcessIdentity)
      throws -> Int64
    {
      point()
      return try base.logRequest(scope: scope, at: at, reserved: reserved, method: method, path: path, process: process)
    }
    func finishRequest(id: Int64, at: Double, status: Int?) throws {
      point()
      try base.finishRequest(id: id, at: at, status: status)
    }
    func deleteRequest(id: Int64) throws {
      point()
      try base.deleteRequest(id: id)
    }
    func deleteRequests(before time: Double) throws { try base.deleteRequests(before: time) }
    func pausedUntil(scope: String) throws -> Double { try base.pausedUntil(scope: scope) }
    func setPause(scope: String, until time: Double, since: Double, reason: String) throws {
      point()
      try base.setPause(scope: scope, until: time, since: since, reason: reason)
    }
    func dropFuture(scope: String, after time: Double) throws -> Int {
      point()
      return try base.dropFuture(scope: scope, after: time)
    }
    func entries(scope: String, emailKey: String) throws -> [JournalEntry] {
      try base.entries(scope: scope, emailKey: emailKey)
    }
    func entries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
      try base.entries(scope: scope, run: run, states: states)
    }
    func entries(scope: String, ofPeopleIn states: [JournalState]) throws -> [JournalEntry] {
      try base.entries(scope: scope, ofPeopleIn: states)
    }
    func entries(ids: [Int64]) throws -> [JournalEntry] { try base.entries(ids: ids) }
    func entries(heldBy process: ProcessIdentity, states: [JournalState]) throws -> [JournalEntry] {
      try base.entries(heldBy: process, states: states)
    }
    func insert(_ entry: JournalEntry, scope: String) throws -> Int64 {
      point()
      return try base.insert(entry, scope: scope)
    }
    func update(_ entry: JournalEntry) throws -> Bool {
      point()
      return try base.update(entry)
    }
    func extendLeases(heldBy process: ProcessIdentity, states: [JournalState], runningAt: Double, until: Double)
      throws -> Set<Int64>
    {
      point()
      return try base.extendLeases(heldBy: process, states: states, runningAt: runningAt, until: until)
    }
    func markJoined(_ ids: [Int64], at time: Double) throws { try base.markJoined(ids, at: time) }
    func delete(_ entries: [JournalEntry]) throws -> Int {
      point()
      return try base.delete(entries)
    }
    func forget(scope: String) throws -> Int { try base.forget(scope: scope) }
  }
}

/// Runs one step of another owner at a chosen point of this owner's work: on a thread of its
/// own, waited for a moment (it may need a lock the paused transaction holds; then it finishes
/// once that transaction commits, and ``finish()`` waits for it).
final class Interjection: Sendable {
  private let step: @Sendable () -> Void
  private let at: Int
  private let state = Mutex<(points: Int, started: Bool, finished: Bool)>((0, false, false))
  private let done = DispatchSemaphore(value: 0)

  /// `step` runs at point number `at` (0 is the first); a point past the last runs it in
  /// ``finish()``.
  init(at: Int, _ step: @escaping @Sendable () -> Void) {
    self.at = at
    self.step = step
  }

  /// How many points went by.
  var points: Int { state.withLock { $0.points } }

  /// A point of the owner's work.
  func point() {
    let due = state.withLock { state -> Bool in
      defer { state.points += 1 }
      guard state.points == at, !state.started else { return false }
      state.started = true
      return true
    }
    guard due else { return }
    start()
    // Done in a moment, or blocked behind this very transaction's lock: go on either way.
    if done.wait(timeout: .now() + .milliseconds(250)) == .success { state.withLock { $0.finished = true } }
  }

  private func start() {
    let step = step
    let done = done
    Thread.detachNewThread {
      step()
      done.signal()
    }
  }

  /// Runs the step now if no point reached it, and waits until it has finished.
  func finish() {
    let (pending, finished) = state.withLock { state -> (Bool, Bool) in
      defer { state.started = true }
      return (!state.started, state.finished)
    }
    if pending { start() }
    if !finished { done.wait() }
  }
}
