import Foundation
import NetworkedCommands
import ShellCore

/// The scenarios every store must pass: one per rule, each against the other owner's step.
extension StoreConformance.Scenario {
  static let all: [Self] = [
    Self(
      name: "two claims at once",
      setup: { _ in },
      first: { $0.a.claim() },
      other: { $0.b.claim() },
      check: { world in
        let held = world.entries.filter { $0.state == .claimed }
        return held.count == 1 ? [] : ["\(held.count) claims stand, not one"]
      }),
    Self(
      name: "two claims at once, the address written in two cases",
      setup: { world in world.b.spelling = "Person@Example.ORG" },
      first: { $0.a.claim() },
      other: { $0.b.claim() },
      check: { world in
        let held = world.entries.filter { $0.state == .claimed }
        return held.count == 1 ? [] : ["\(held.count) claims stand for one person, not one"]
      }),
    Self(
      name: "a claim taken back after sleeping past its lease, against a takeover",
      setup: { world in
        world.a.claim()
        world.clock.advance(by: lease + 1)
      },
      first: { world in
        if world.a.intend(), world.a.send() { world.a.record(.invited) } else { world.a.release() }
      },
      other: { $0.b.job() },
      check: { world in
        var failures = exactlyOnce(world)
        if world.entries.contains(where: { $0.state.isHeldState }) { failures.append("a claim or intent is left") }
        return failures
      }),
    Self(
      name: "a takeover, against a claim taken back by its holder waking past its lease",
      setup: { world in
        world.b.claim()
        world.clock.advance(by: lease + 1)
      },
      first: { $0.a.job() },
      other: { world in
        if world.b.intend(), world.b.send() { world.b.record(.invited) } else { world.b.release() }
      },
      check: { world in
        var failures = exactlyOnce(world)
        if world.entries.contains(where: { $0.state.isHeldState }) { failures.append("a claim or intent is left") }
        return failures
      }),
    Self(
      name: "a reconcile, against a holder woken between its intent and its request",
      setup: { world in
        world.b.claim()
        world.b.intend()
        world.clock.advance(by: lease + 1)
      },
      first: { $0.a.reconcile() },
      other: { world in
        if world.b.send() {
          world.b.record(.invited)
        } else if world.b.withdraw(), world.b.intend(request: 2), world.b.send() {
          world.b.record(.invited, request: 2)
        } else {
          world.b.release()
        }
      },
      check: { exactlyOnce($0) }),
    Self(
      name: "woken between intent and request, against a reconcile",
      setup: { world in
        world.a.claim()
        world.a.intend()
        world.clock.advance(by: lease + 1)
      },
      first: { world in
        if world.a.send() {
          world.a.record(.invited)
        } else if world.a.withdraw(), world.a.intend(request: 2), world.a.send() {
          world.a.record(.invited, request: 2)
        } else {
          world.a.release()
        }
      },
      other: { $0.b.reconcile() },
      check: { world in
        var failures = exactlyOnce(world)
        if world.sends.contains("A") && world.sends.count == 1 && !world.a.conflicts.isEmpty {
          failures.append("A's answer was journalled as a conflict though nobody else sent")
        }
        return failures
      }),
    Self(
      name: "a release after another process took the claim over",
      setup: { world in
        world.a.claim()
        world.clock.advance(by: lease + 1)
      },
      first: { $0.a.release() },
      other: { $0.b.claim() },
      check: { world in
        guard let id = world.b.entry else { return ["B could not claim a person whose claim had run out"] }
        var failures: [String] = []
        if id == world.a.entry { failures.append("B's claim got A's old id \(id)") }
        let entry = world.entries.first { $0.id == id }
        if entry?.state != .claimed || entry?.owner != world.b.owner {
          failures.append("A's release removed or changed B's claim: \(String(describing: entry?.state))")
        }
        if !world.b.intend() { failures.append("B's claim could not become an intent") }
        return failures
      }),
    Self(
      name: "an answer recorded after sleeping past the lease, against a reconcile",
      setup: { world in
        world.a.claim()
        world.a.intend()
        world.a.send()
        world.clock.advance(by: lease + 1)
      },
      first: { $0.a.record(.invited) },
      other: { $0.b.reconcile() },
      check: { world in
        var failures: [String] = []
        let entries = world.entries
        if !entries.contains(where: { $0.run == "run-A" && $0.state == .invited && $0.inviteId == "invite-A" }) {
          failures.append("A's answer is not in the journal: \(entries.map { "\($0.run) \($0.state)" })")
        }
        let resent = world.sends.filter { $0 == "B" }.count
        if resent == 1 {
          if world.a.conflicts.isEmpty { failures.append("A's answer was written over B's re-send without a word") }
          if !entries.contains(where: { $0.run == "run-A" && $0.error?.rawValue == "journal_conflict" }) {
            failures.append("no journal_conflict entry for A's answer")
          }
        } else if resent > 1 {
          failures.append("B re-sent \(resent) times")
        }
        if !entries.contains(where: { $0.state == .invited && $0.error == nil }) && resent == 0 {
          failures.append("the person is not settled")
        }
        return failures
      }),
    Self(
      name: "a renewal after the lease ran out, against a takeover",
      setup: { world in
        world.a.claim()
        world.a.intend()
        world.clock.advance(by: lease + 1)
      },
      first: { $0.a.renew() },
      other: { $0.b.claim() },
      check: { world in
        var failures: [String] = []
        if let id = world.a.entry, world.a.renewed?.contains(id) == true {
          failures.append("a lease that had run out was renewed")
        }
        if world.b.entry != nil { failures.append("B claimed a person whose intent may have gone out") }
        if world.entries.first(where: { $0.run == "run-A" })?.state != .unknown {
          failures.append("A's intent, its lease run out, was not judged in doubt")
        }
        if let id = world.a.entry, world.a.fence.holds([id]) { failures.append("A's fence still holds") }
        return failures
      }),
    Self(
      name: "a renewal while the lease runs, against a takeover",
      setup: { world in
        world.a.claim()
        world.clock.advance(by: lease / 2)
      },
      first: { world in
        world.a.renew()
        world.clock.advance(by: lease * 3 / 4)
      },
      other: { $0.b.claim() },
      check: { world in
        var failures: [String] = []
        if let id = world.a.entry, world.a.renewed?.contains(id) != true {
          failures.append("a running lease was not renewed")
        }
        if world.b.entry != nil { failures.append("B took over a claim whose lease was renewed") }
        return failures
      }),
    Self(
      name: "a renewal by a process that holds nothing, against the holder's own renewal",
      setup: { world in
        world.b.claim()
        world.clock.advance(by: lease / 2)
      },
      first: { $0.a.renew() },
      other: { $0.b.renew() },
      check: { world in
        var failures: [String] = []
        guard let id = world.b.entry else { return ["B could not claim the person"] }
        if world.a.renewed?.contains(id) == true {
          failures.append("A's renewal extended B's claim (a renewal touches only what its own process holds)")
        }
        if world.b.renewed?.contains(id) != true { failures.append("B's running lease was not renewed") }
        return failures
      }),
    Self(
      name: "an intent withdrawn after a 429 and sent again, against a job",
      setup: { world in
        world.a.claim()
        world.a.intend()
      },
      first: { world in
        world.a.withdraw()
        if world.a.intend(request: 2), world.a.send() { world.a.record(.invited, request: 2) }
      },
      other: { $0.b.job() },
      check: { world in
        var failures = exactlyOnce(world)
        if world.sends != ["A"] { failures.append("A held the person throughout, but the sends were \(world.sends)") }
        return failures
      }),
    Self(
      name: "slots reserved by two processes at once",
      setup: { _ in },
      first: { world in reserve(world.a, in: world) },
      other: { world in reserve(world.b, in: world) },
      check: { world in
        guard
          let times = try? world.observer.sendTimes(scope: world.scope, now: world.clock.now + 3600, horizon: 7200)
        else { return ["the slots cannot be read"] }
        var failures: [String] = []
        if times.count != 8 { failures.append("\(times.count) slots, not 8") }
        for (index, time) in times.enumerated() where index + 2 < times.count && times[index + 2] < time + 10 - 1e-6 {
          failures.append("three slots within 10 s: \(times.map { $0 - world.clock.now })")
        }
        return failures
      }, repeatable: false),
  ]
}
