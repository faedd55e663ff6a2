import Foundation
import JQ
import NetworkedCommands
import NetworkedTesting
import PostgresState
import ShellCore
import TestSupport
import Testing

/// The PostgreSQL store itself, against a real throwaway server: the rules every store keeps,
/// and the clock: hosts whose clocks disagree by an hour still share windows and leases.
@Suite("the PostgreSQL state store (real server)")
struct PostgresStoreTests {
  /// Two stores (two hosts) on one new server, for `body`.
  static func withTwoHosts(_ body: (PostgresServer, StateStore, StateStore) throws -> Void) throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    func store() throws -> StateStore {
      guard
        case .database(let address as PostgresAddress, _) = try StateLocation(
          parsing: server.url(), backends: [PostgresBackend()]
        ).kind
      else {
        throw StateLocationError(message: "not a PostgreSQL URL: \(server.url())")
      }
      return try PostgresStore.open(address, password: server.password)
    }
    try body(server, try store(), try store())
  }

  static let operation = JournalOperation(
    kind: .invite, email: "Ada@Example.net", name: "Ada", roleId: "69baa36beddb9f0012fdf101")

  @Test("two hosts an hour apart share the windows on the database's clock: never more than 3 in 2 s")
  func skewedWindows() throws {
    try Self.withTwoHosts { server, ahead, behind in
      let schedule = RateSchedule(limits: [RateLimit(limit: 3, seconds: 2)], margin: 0)
      let skew = 3600.0
      let start = Date().timeIntervalSince1970
      // Each host asks with its own idea of now (one an hour ahead); the slot comes back on that
      // same clock. Here that clock is this machine's, shifted: back on the real clock the slot
      // must match the one the database keeps, whichever host asked.
      var slots: [Int64: Double] = [:]
      for index in 0..<12 {
        let host = index.isMultiple(of: 2) ? (store: ahead, skew: skew) : (store: behind, skew: 0)
        let reservation = try host.store.reserve(
          scope: "s", schedule: schedule, now: Date().timeIntervalSince1970 + host.skew, method: "POST", path: "/x")
        slots[reservation.id] = reservation.at - host.skew
      }
      let stored = try server.sql("SELECT id || ' ' || at FROM nwsh_request_log ORDER BY at").split(separator: "\n")
        .map { line in line.split(separator: " ").map { Double($0)! } }
      #expect(stored.count == 12)
      // In the database's timeline: never more than 3 in any 2 s.
      let times = stored.map { $0[1] }
      for (index, time) in times.enumerated() {
        let inWindow = times[index...].prefix { $0 < time + 2 - 1e-6 }.count
        #expect(inWindow <= 3, "slots \(times.map { $0 - start })")
      }
      // Twelve requests at three per two seconds: the last at least six seconds out.
      #expect(times.last! - times.first! >= 6 - 1e-6, "\(times.map { $0 - start })")
      // Each host's slot is the database's, translated (within the moment between the host
      // reading its clock and the database reading its own).
      for row in stored {
        let local = try #require(slots[Int64(row[0])])
        #expect(abs(local - row[1]) < 0.25, "host slot \(local - start), database slot \(row[1] - start)")
      }
    }
  }

  @Test("a claim by a host whose clock is an hour behind still holds for the others (lease on the database's clock)")
  func skewedLease() throws {
    try Self.withTwoHosts { server, first, second in
      let now = Date().timeIntervalSince1970
      let elsewhere = ClaimOwner(
        run: "r1", process: ProcessIdentity(host: "other-host", machine: "m1", pidNamespace: nil, pid: 1, start: nil))
      guard
        case .claimed(let id) = try first.claim(
          scope: "s", Self.operation, row: 1, owner: elsewhere, now: now - 3600, reinvite: false)
      else {
        Issue.record("the first claim failed")
        return
      }
      let here = ClaimOwner(
        run: "r2", process: ProcessIdentity(host: "this-host", machine: "m2", pidNamespace: nil, pid: 2, start: nil))
      let result = try second.claim(scope: "s", Self.operation, row: 1, owner: here, now: now, reinvite: false)
      guard case .refused(.held(let holder)) = result else {
        Issue.record("expected held, got \(result)")
        return
      }
      #expect(holder.id == id && holder.owner == elsewhere)
      // Asking again for the same row (a call retried after a lost connection) returns the claim.
      guard
        case .claimed(let again) = try first.claim(
          scope: "s", Self.operation, row: 1, owner: elsewhere, now: now - 3600, reinvite: false)
      else {
        Issue.record("a retried claim was refused")
        return
      }
      #expect(again == id)
      // Intent, outcome: the person is settled for everyone.
      #expect(try first.intend([id], request: 1, owner: elsewhere, now: now - 3600) == [id])
      let conflicts = try first.record(
        [StateStore.Record(JournalOutcome(id: id, state: .invited, inviteId: "i1"), operation: Self.operation, row: 1)],
        scope: "s", owner: elsewhere, request: 1, at: now - 3600)
      #expect(conflicts.isEmpty)
      guard
        case .settled(let entry) = try second.standing(scope: "s", email: "ada@example.net", reinvite: false, now: now)
      else {
        Issue.record("not settled")
        return
      }
      #expect(entry.inviteId == "i1" && entry.state == .invited)
      // Only one entry may be claimed or pending per person: the index stands behind the lock.
      let duplicate = try server.sql(
        """
        INSERT INTO nwsh_journal (run, scope, op, email, email_key, name, role_id, row_number, request, state, created,
          updated) SELECT run, scope, op, email, email_key, name, role_id, 2, 0, 'claimed', created, updated
          FROM nwsh_journal WHERE id = \(id) RETURNING id
        """)
      #expect(!duplicate.isEmpty, "a settled person can be claimed again (reinvite)")
      #expect(throws: (any Error).self) {
        try server.sql(
          """
          INSERT INTO nwsh_journal (run, scope, op, email, email_key, name, role_id, row_number, request, state, created,
            updated) SELECT run, scope, op, email, email_key, name, role_id, 3, 0, 'pending', created, updated
            FROM nwsh_journal WHERE id = \(id)
          """)
      }
    }
  }
}

/// The store rules, as two hosts would meet them, on PostgreSQL: the suite SQLite passes too,
/// here with the other host's step also between any two writes of a transaction.
@Suite("the store's rules on PostgreSQL: every rule, with another host's step between any two")
struct PostgresStoreRulesTests {
  @Test("StoreConformance passes on PostgreSQL, every scenario in every schedule")
  func postgres() throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    guard
      case .database(let address as PostgresAddress, _) = try StateLocation(
        parsing: server.url(), backends: [PostgresBackend()]
      ).kind
    else {
      Issue.record("not a PostgreSQL URL: \(server.url())")
      return
    }
    let password = server.password
    let report = try StoreConformance.run(
      StoreConformance.Subject(interleavesWithinTransactions: true) {
        try PostgresDatabase(address: address, password: password, interruption: Interruption(), time: .caller)
      })
    #expect(report.failures.isEmpty, "\(report.failures.joined(separator: "\n"))")
    #expect(report.schedules.count == 13 && report.schedules.values.allSatisfy { $0 >= 2 }, "\(report.schedules)")
    print("PostgreSQL schedules: \(report.schedules.sorted { $0.key < $1.key })")
    let repeated = try StoreConformance.run(
      StoreConformance.Subject(interleavesWithinTransactions: true) {
        try PostgresDatabase(address: address, password: password, interruption: Interruption(), time: .caller)
      }, repeating: true)
    #expect(repeated.failures.isEmpty, "repeated: \(repeated.failures.joined(separator: "\n"))")
  }
}
