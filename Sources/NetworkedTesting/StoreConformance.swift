import Foundation
public import NetworkedCommands
import ShellCore
import Synchronization

/// The rules every state store keeps, tried as two processes would use one store: each rule
/// (claim, takeover, intent, withdraw, renew, record, release, orphan, slots), and the
/// interleavings that once sent someone twice, as deterministic schedules — two owners on two
/// handles of the one database, a clock the suite moves, and the other owner's step placed at
/// every point of the first owner's work in turn (before each of its transactions and, where
/// the database lets another connection act meanwhile, before each write inside one).
///
/// After every schedule: nobody was sent while the journal did not hold them for the sender
/// (checked at the moment each request would leave, through the sender's own `Fence`), every
/// answer is in the journal, and what each scenario promises holds. The project runs it against
/// SQLite and PostgreSQL alike; the maker of another `StateBackend` runs it against theirs
/// (`#expect(try StoreConformance.run(subject).failures.isEmpty)`).
public enum StoreConformance {
  /// A database to try.
  public struct Subject: Sendable {
    /// Opens a new handle (a connection of its own) on the one database every handle shares.
    /// Its transactions must take their `now` from the caller (`localNow`): the suite moves time.
    public var open: @Sendable () throws -> any StateDatabase
    /// Whether another handle can act while a transaction is open (PostgreSQL can; SQLite's
    /// writes take the whole file, so only the points between transactions are tried).
    public var interleavesWithinTransactions: Bool

    /// A subject.
    public init(interleavesWithinTransactions: Bool, open: @escaping @Sendable () throws -> any StateDatabase) {
      self.open = open
      self.interleavesWithinTransactions = interleavesWithinTransactions
    }
  }

  /// What a run found: the failures, and how many schedules each scenario was tried in.
  public struct Report: Sendable {
    /// Each broken promise: the scenario, the schedule and what went wrong.
    public var failures: [String] = []
    /// For each scenario, how many schedules it was tried in.
    public var schedules: [String: Int] = [:]
  }

  /// Runs every scenario in every schedule. With `repeating`, every transaction of the first
  /// owner is committed and then run again, as `PostgresDatabase` runs one again when its
  /// connection is lost before the commit is acknowledged: each rule must be safe to repeat
  /// (all but the slots, where a repeat costs a slot of the budget, never a person).
  public static func run(_ subject: Subject, repeating: Bool = false) throws -> Report {
    let handles = try Handles(subject, repeating: repeating)
    var report = Report()
    for scenario in Scenario.all where !repeating || scenario.repeatable {
      var point = 0
      var seen = 0
      repeat {
        let world = World(handles: handles, scenario: scenario.name, schedule: point)
        scenario.setup(world)
        let other = Interjection(at: point) { scenario.other(world) }
        world.a.database.hook = { other.point() }
        scenario.first(world)
        world.a.database.hook = nil
        seen = other.points
        other.finish()
        for failure in world.failures + scenario.check(world) {
          report.failures.append("\(scenario.name), the other step at point \(point) of \(seen): \(failure)")
        }
        point += 1
      } while point <= seen
      report.schedules[scenario.name] = point
    }
    return report
  }

  /// The handles every schedule uses: one per owner, and one to look.
  final class Handles: Sendable {
    let a: InterleavingDatabase
    let b: InterleavingDatabase
    let observer: any StateDatabase

    init(_ subject: Subject, repeating: Bool) throws {
      a = InterleavingDatabase(
        try subject.open(), withinTransactions: subject.interleavesWithinTransactions, repeating: repeating)
      b = InterleavingDatabase(try subject.open(), withinTransactions: false)
      observer = try subject.open()
    }
  }

  /// One schedule: a scope of its own, a clock of its own, the two owners and what happened.
  final class World: Sendable {
    static let lease = 60.0
    let clock = VirtualClock(start: 1_900_000_000)
    let scope: String
    let email = "person@example.org"
    let a: Owner
    let b: Owner
    let observer: StateStore
    private let log = Mutex<(sends: [String], failures: [String])>(([], []))

    init(handles: Handles, scenario: String, schedule: Int) {
      scope = "conformance \(scenario) \(schedule) \(UUID().uuidString)"
      observer = StateStore(database: handles.observer, lease: Self.lease)
      let tag = UUID().uuidString.prefix(8)
      a = Owner(name: "A", host: "host-A-\(tag)", database: handles.a)
      b = Owner(name: "B", host: "host-B-\(tag)", database: handles.b)
      a.world = self
      b.world = self
    }

    var sends: [String] { log.withLock { $0.sends } }
    var failures: [String] { log.withLock { $0.failures } }
    func sent(by name: String) { log.withLock { $0.sends.append(name) } }
    func fail(_ message: String) { log.withLock { $0.failures.append(message) } }

    /// The person's entries, as a process that only reads sees them.
    var entries: [JournalEntry] {
      (try? observer.journalEntries(scope: scope, now: clock.now))?.filter { $0.email.lowercased() == email } ?? []
    }
  }

  /// One process: its identity (another host each, so each judges the other by its lease), its
  /// handle, its fence, and the journal entry it is working on.
  final class Owner: @unchecked Sendable {
    // Threading: each owner's steps run on one thread at a time (the schedule's, or the
    // interjection's for the other owner), so its fields need no lock.
    let name: String
    let owner: ClaimOwner
    let database: InterleavingDatabase
    let store: StateStore
    weak var world: World!
    private(set) var fence: Fence!
    var entry: Int64?
    /// How this owner writes the person's address (the world's, unless a scenario says).
    var spelling: String?
    var conflicts: Set<Int64> = []
    var renewed: Set<Int64>?

    init(name: String, host: String, database: InterleavingDatabase) {
      self.name = name
      self.database = database
      let process = ProcessIdentity(
        host: host, machine: "machine-\(name)", pidNamespace: "pid:[\(name)]", pid: 4242, start: 1)
      owner = ClaimOwner(run: "run-\(name)", process: process)
      store = StateStore(database: database, lease: World.lease)
    }

    private var now: Double { world.clock.now }
    private var operation: JournalOperation {
      JournalOperation(kind: .invite, email: spelling ?? world.email, name: "Person", roleId: "role")
    }

    private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? {
      do { return try body() } catch {
        world.fail("\(name) \(what): \(error)")
        return nil
      }
    }

    /// Claims the person (over the in-doubt entry `supersedes`, for a reconcile).
    @discardableResult func claim(supersedes: Int64? = nil) -> Bool {
      if fence == nil { fence = Fence(clock: world.clock, lease: World.lease) }
      guard
        case .claimed(let id)? = attempt(
          "claim",
          {
            try store.claim(
              scope: world.scope, operation, row: 1, owner: owner, now: now, reinvite: supersedes != nil,
              supersedes: supersedes)
          })
      else { return false }
      entry = id
      return true
    }

    /// Writes the intent (taking back a claim of its own whose lease ran out untouched), and
    /// confirms the fence from a reading taken before, as the sender does.
    @discardableResult func intend(request: Int = 1) -> Bool {
      guard let id = entry else { return false }
      let stamp = fence.stamp()
      guard let moved = attempt("intend", { try store.intend([id], request: request, owner: owner, now: now) })
      else { return false }
      fence.confirm(moved, from: stamp)
      return moved.contains(id)
    }

    /// The request would leave now: only if the fence holds, and then the journal must hold the
    /// person for this owner, pending, its lease running.
    @discardableResult func send() -> Bool {
      guard let id = entry, fence.holds([id]) else { return false }
      let held = world.entries.first { $0.id == id }
      if held?.state != .pending || held?.owner != owner || (held?.leaseUntil ?? 0) <= now {
        world.fail(
          "\(name) sent while the journal held \(held.map { "\($0.state) for \($0.owner?.run ?? "nobody")" } ?? "nothing")"
        )
      }
      world.sent(by: name)
      return true
    }

    /// Takes the intent back to a claim (its request was held back or not carried out).
    @discardableResult func withdraw() -> Bool {
      guard let id = entry else { return false }
      fence.drop([id])
      return attempt("withdraw", { try store.withdraw([id], owner: owner, now: now) })?.contains(id) ?? false
    }

    /// Records the answer `state`.
    func record(_ state: JournalState, request: Int = 1) {
      guard let id = entry else { return }
      fence.drop([id])
      let record = StateStore.Record(
        JournalOutcome(id: id, state: state, inviteId: "invite-\(name)"), operation: operation, row: 1)
      conflicts =
        attempt(
          "record",
          {
            try store.record([record], scope: world.scope, owner: owner, request: request, at: now)
          }) ?? []
    }

    /// Gives the claim back.
    func release() {
      guard let id = entry else { return }
      _ = attempt("release", { try store.release([id], owner: owner, now: now) })
    }

    /// Renews what this owner's process holds (perhaps nothing yet).
    func renew() {
      if fence == nil { fence = Fence(clock: world.clock, lease: World.lease) }
      let stamp = fence.stamp()
      renewed = attempt("renew", { try store.renew(process: owner.process, now: now) })
      if let renewed { fence.renewed(renewed, from: stamp) }
    }

    /// A whole run for the person: claim, intent, send, record.
    func job() {
      guard claim(), intend(), send() else {
        release()
        return
      }
      record(.invited)
    }

    /// A reconcile: the person, if in doubt, re-sent once.
    func reconcile() {
      guard let doubts = attempt("inDoubt", { try store.inDoubt(scope: world.scope, now: now) }) else { return }
      for case .inDoubt(let doubt) in doubts where doubt.email.lowercased() == world.email {
        guard claim(supersedes: doubt.id), intend(), send() else {
          release()
          continue
        }
        record(.invited)
      }
    }
  }

  /// Two owners' work on one person: the setup, the first owner's steps (interrupted at each
  /// point in turn), the other owner's step, and what must hold afterwards.
  struct Scenario: Sendable {
    let name: String
    let setup: @Sendable (World) -> Void
    let first: @Sendable (World) -> Void
    let other: @Sendable (World) -> Void
    let check: @Sendable (World) -> [String]
    /// Whether the rules it tries are safe to run twice.
    var repeatable = true

    static let lease = World.lease

    /// Someone sent the person exactly once, and the journal says they are settled.
    static func exactlyOnce(_ world: World) -> [String] {
      var failures: [String] = []
      if world.sends.count != 1 { failures.append("sent \(world.sends.count) times: \(world.sends)") }
      if !world.entries.contains(where: { $0.state == .invited }) {
        failures.append("not settled: \(world.entries.map { "\($0.run) \($0.state)" })")
      }
      return failures
    }

    /// Four slots under two requests per 10 s, each logged as used.
    static func reserve(_ owner: Owner, in world: World) {
      let schedule = RateSchedule(limits: [RateLimit(limit: 2, seconds: 10)], margin: 0)
      for _ in 0..<4 {
        do {
          _ = try owner.store.reserve(
            scope: world.scope, schedule: schedule, now: world.clock.now, method: "POST", path: "/x")
        } catch {
          world.fail("\(owner.name) reserve: \(error)")
        }
      }
    }
  }
}
