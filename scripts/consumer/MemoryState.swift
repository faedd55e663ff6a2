import Foundation
import JQ
import NetworkedCommands
import ShellCore

// A third place for nwsh's state, as another project would write one: a target of its own,
// against nwsh's public API only (scripts/check-consumer builds it in a package that depends on
// nwsh by version, and runs the store rules, NetworkedTesting's StoreConformance, on it).

/// Every row in this process's memory (`memory://NAME`), each name one database, one
/// transaction at a time.
/// Sendable because it keeps no state of its own but its name: every row is in `databases`,
/// touched only under `lock`.
public final class MemoryDatabase: StateDatabase, @unchecked Sendable {
  struct Request {
    var id: Int64, scope: String, at: Double, reserved: Double, completed: Double?, status: Int?
  }
  struct Pause { var until: Double, since: Double }
  struct Rows {
    var requests: [Request] = []
    var pauses: [String: Pause] = [:]
    var journal: [(scope: String, entry: JournalEntry)] = []
    var lastId: Int64 = 0
  }
  /// The rows of every database of this process, by name; one lock for all (a transaction at a
  /// time). Unsafe for the compiler only: read and written under `lock`, nowhere else.
  nonisolated(unsafe) private static var databases: [String: Rows] = [:]
  private static let lock = NSRecursiveLock()

  public let location: String
  private let name: String

  public init(name: String) {
    self.name = name
    location = "memory://" + name
  }

  public func transaction<T>(
    lock: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T
  ) throws -> T {
    Self.lock.lock()
    defer { Self.lock.unlock() }
    let before = Self.databases[name] ?? Rows()
    let transaction = MemoryTransaction(rows: before, now: localNow)
    do {
      let result = try body(transaction)
      Self.databases[name] = transaction.rows
      return result
    } catch {
      Self.databases[name] = before
      throw error
    }
  }

  public func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T {
    try transaction(lock: nil, durable: false, localNow: localNow, body)
  }

  public func check() throws -> (schema: Int, server: String) { (1, "memory") }
}

struct MemoryConflict: Error {}

final class MemoryTransaction: StateTransaction {
  var rows: MemoryDatabase.Rows
  let now: Double
  var offset: Double { 0 }

  init(rows: MemoryDatabase.Rows, now: Double) {
    self.rows = rows
    self.now = now
  }

  private func nextId() -> Int64 {
    rows.lastId += 1
    return rows.lastId
  }

  func requests(scope: String, since: Double) throws -> [(at: Double, completed: Double?)] {
    rows.requests.filter { $0.scope == scope && ($0.at > since || ($0.completed ?? -.infinity) > since) }
      .map { ($0.at, $0.completed) }
  }
  func latestSlot(scope: String) throws -> Double {
    rows.requests.filter { $0.scope == scope }.map(\.at).max() ?? 0
  }
  func logRequest(scope: String, at: Double, reserved: Double, method: String, path: String, process: ProcessIdentity)
    throws -> Int64
  {
    let id = nextId()
    rows.requests.append(.init(id: id, scope: scope, at: at, reserved: reserved, completed: nil, status: nil))
    return id
  }
  func finishRequest(id: Int64, at: Double, status: Int?) throws {
    for index in rows.requests.indices where rows.requests[index].id == id {
      rows.requests[index].completed = at
      rows.requests[index].status = status
    }
  }
  func deleteRequest(id: Int64) throws { rows.requests.removeAll { $0.id == id } }
  func deleteRequests(before time: Double) throws { rows.requests.removeAll { $0.at < time } }
  func pausedUntil(scope: String) throws -> Double { rows.pauses[scope]?.until ?? 0 }
  func setPause(scope: String, until time: Double, since: Double, reason: String) throws {
    rows.pauses[scope] = .init(until: time, since: since)
  }
  func dropFuture(scope: String, after time: Double) throws -> Int {
    let before = rows.requests.count
    rows.requests.removeAll { $0.scope == scope && $0.reserved > time }
    if let pause = rows.pauses[scope], pause.since > time { rows.pauses[scope] = nil }
    return before - rows.requests.count
  }

  private func select(_ predicate: (String, JournalEntry) -> Bool) -> [JournalEntry] {
    rows.journal.filter { predicate($0.scope, $0.entry) }.map(\.entry).sorted { $0.id < $1.id }
  }
  func entries(scope: String, emailKey: String) throws -> [JournalEntry] {
    select { $0 == scope && $1.email.lowercased() == emailKey }
  }
  func entries(scope: String, run: String?, states: [JournalState]?) throws -> [JournalEntry] {
    select { entryScope, entry in
      entryScope == scope && (run == nil || entry.run == run)
        && (states.map { $0.isEmpty || $0.contains(entry.state) } ?? true)
    }
  }
  func entries(scope: String, ofPeopleIn states: [JournalState]) throws -> [JournalEntry] {
    let people = Set(select { $0 == scope && states.contains($1.state) }.map { $0.email.lowercased() })
    return select { $0 == scope && people.contains($1.email.lowercased()) }
  }
  func entries(ids: [Int64]) throws -> [JournalEntry] { select { ids.contains($1.id) } }
  func entries(heldBy process: ProcessIdentity, states: [JournalState]) throws -> [JournalEntry] {
    select { $1.owner?.process == process && states.contains($1.state) }
  }

  /// At most one entry per (scope, person) claimed or pending, as a unique index would keep it.
  private func checkHeld(_ entry: JournalEntry, scope: String) throws {
    guard entry.state == .claimed || entry.state == .pending else { return }
    let key = entry.email.lowercased()
    if rows.journal.contains(where: {
      $0.scope == scope && $0.entry.id != entry.id && $0.entry.email.lowercased() == key
        && ($0.entry.state == .claimed || $0.entry.state == .pending)
    }) {
      throw MemoryConflict()
    }
  }
  func insert(_ entry: JournalEntry, scope: String) throws -> Int64 {
    var entry = entry
    entry.id = nextId()
    entry.version = 0
    try checkHeld(entry, scope: scope)
    rows.journal.append((scope, entry))
    return entry.id
  }
  func update(_ entry: JournalEntry) throws -> Bool {
    guard let index = rows.journal.firstIndex(where: { $0.entry.id == entry.id && $0.entry.version == entry.version })
    else { return false }
    var stored = rows.journal[index].entry
    stored.state = entry.state
    stored.request = entry.request
    stored.inviteId = entry.inviteId
    stored.userId = entry.userId
    stored.timeStamp = entry.timeStamp
    stored.error = entry.error
    stored.updated = entry.updated
    stored.leaseUntil = entry.leaseUntil
    stored.version += 1
    try checkHeld(stored, scope: rows.journal[index].scope)
    rows.journal[index].entry = stored
    return true
  }
  func extendLeases(heldBy process: ProcessIdentity, states: [JournalState], runningAt: Double, until: Double) throws
    -> Set<Int64>
  {
    var ids: Set<Int64> = []
    for index in rows.journal.indices {
      let entry = rows.journal[index].entry
      guard entry.owner?.process == process, states.contains(entry.state), (entry.leaseUntil ?? -.infinity) > runningAt
      else { continue }
      rows.journal[index].entry.leaseUntil = until
      rows.journal[index].entry.version += 1
      ids.insert(entry.id)
    }
    return ids
  }
  func markJoined(_ ids: [Int64], at time: Double) throws {
    for index in rows.journal.indices where ids.contains(rows.journal[index].entry.id) {
      if rows.journal[index].entry.joined == nil { rows.journal[index].entry.joined = time }
    }
  }
  func delete(_ entries: [JournalEntry]) throws -> Int {
    var deleted = 0
    for entry in entries {
      if let index = rows.journal.firstIndex(where: { $0.entry.id == entry.id && $0.entry.version == entry.version }) {
        rows.journal.remove(at: index)
        deleted += 1
      }
    }
    return deleted
  }
  func forget(scope: String) throws -> Int {
    let count = rows.journal.filter { $0.scope == scope }.count
    rows.journal.removeAll { $0.scope == scope }
    rows.requests.removeAll { $0.scope == scope }
    rows.pauses[scope] = nil
    return count
  }
}

/// `memory://NAME` as a place for the state.
public struct MemoryBackend: StateBackend {
  public struct Address: StateAddress, Equatable {
    public var name: String
    public var description: String { "memory://" + name }
  }
  public init() {}
  public var name: String { "memory" }
  public var schemes: [String] { ["memory"] }
  public var parameters: [String] { [] }
  public var form: String { "memory://NAME" }
  public var passwordVariable: String? { nil }
  public func address(_ url: inout StateURL) throws(StateLocationError) -> any StateAddress {
    Address(name: url.host)
  }
  public func open(
    _ address: any StateAddress, password: String?, environment: HostEnvironment, interruption: Interruption?
  ) throws -> any StateDatabase {
    MemoryDatabase(name: (address as? Address)?.name ?? "\(address)")
  }
}
