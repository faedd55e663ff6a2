import Foundation
import NetworkedCommands
import PostgresState
import TestSupport
import Testing

/// The PostgreSQL store itself, against a real throwaway server: the rules every store keeps,
/// and the clock: hosts whose clocks disagree by an hour still share windows and leases.
@Suite("the PostgreSQL state store (real server)")
struct PostgresStoreTests {
  static func store(_ server: PostgresServer) throws -> PostgresStateStore {
    try PostgresStateStore(url: URLComponents(string: server.url())!, password: server.password)
  }

  static let operation = JournalOperation(
    kind: .invite, email: "Ada@Example.net", name: "Ada", roleId: "69baa36beddb9f0012fdf101")

  @Test("two hosts an hour apart share the windows on the database's clock: never more than 3 in 2 s")
  func skewedWindows() throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let ahead = try Self.store(server)
    let behind = try Self.store(server)
    let schedule = RateSchedule(limits: [RateLimit(limit: 3, seconds: 2)], margin: 0)
    let skew = 3600.0
    let real = Date().timeIntervalSince1970
    var slots: [Double] = []
    for index in 0..<12 {
      // Each host asks with its own idea of now; the slot comes back on that same clock.
      if index.isMultiple(of: 2) {
        let reservation = try ahead.reserve(scope: "s", schedule: schedule, now: real + skew, method: "POST", path: "/x")
        slots.append(reservation.at - skew)
      } else {
        let reservation = try behind.reserve(scope: "s", schedule: schedule, now: real, method: "POST", path: "/x")
        slots.append(reservation.at)
      }
    }
    slots.sort()
    for (index, slot) in slots.enumerated() {
      let inWindow = slots[index...].prefix { $0 < slot + 2 - 0.001 }.count
      #expect(inWindow <= 3, "slots \(slots.map { $0 - real })")
    }
    // Twelve requests at three per two seconds: the last is at least six seconds out.
    #expect(slots.last! - real >= 5.9, "\(slots.map { $0 - real })")
  }

  @Test("a claim by a host whose clock is an hour behind still holds for the others (lease on the database's clock)")
  func skewedLease() throws {
    let server = try PostgresServer.start()
    defer { server.stop() }
    let first = try Self.store(server)
    let second = try Self.store(server)
    let now = Date().timeIntervalSince1970
    let elsewhere = ClaimOwner(run: "r1", host: "other-host", pid: 1, pidStart: nil)
    guard case .claimed(let id) = try first.claim(scope: "s", Self.operation, row: 1, owner: elsewhere, now: now - 3600, reinvite: false)
    else {
      Issue.record("the first claim failed")
      return
    }
    let here = ClaimOwner(run: "r2", host: "this-host", pid: 2, pidStart: nil)
    let result = try second.claim(scope: "s", Self.operation, row: 1, owner: here, now: now, reinvite: false)
    guard case .refused(.held(let holder)) = result else {
      Issue.record("expected held, got \(result)")
      return
    }
    #expect(holder.id == id && holder.owner == elsewhere)
    // Asking again for the same row (a call retried after a lost connection) returns the claim.
    guard case .claimed(let again) = try first.claim(scope: "s", Self.operation, row: 1, owner: elsewhere, now: now - 3600, reinvite: false)
    else {
      Issue.record("a retried claim was refused")
      return
    }
    #expect(again == id)
    // Intent, outcome: the person is settled for everyone.
    #expect(try first.intend([id], request: 1, owner: elsewhere, now: now - 3600) == [id])
    try first.record([JournalOutcome(id: id, state: .invited, inviteId: "i1")], at: now - 3600)
    guard case .settled(let entry) = try second.standing(scope: "s", email: "ada@example.net", reinvite: false, now: now) else {
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
