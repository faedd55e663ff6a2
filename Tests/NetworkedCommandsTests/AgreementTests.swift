import Foundation
import JQ
import NetworkedAPI
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Synchronization
import Testing

@testable import NetworkedCommands

/// A database that fails now and then, as a disk that fills or a server that goes away would:
/// before a transaction runs (nothing written), or after it committed (written, but the caller
/// is told it failed: the answer was lost).
final class FaultyDatabase: StateDatabase, @unchecked Sendable {
  // Threading: `random` and `failures` are guarded by `lock`; `base` is Sendable.
  let base: SQLiteDatabase
  private let lock = NSLock()
  private var random: SplitMix
  private let rate: Double
  private(set) var failures = 0

  init(base: SQLiteDatabase, seed: UInt64, rate: Double) {
    self.base = base
    self.random = SplitMix(state: seed)
    self.rate = rate
  }

  var location: String { base.location }

  struct Failure: Error, CustomStringConvertible {
    var committed: Bool
    var description: String { committed ? "the answer was lost after the commit" : "the disk is full" }
  }

  /// Whether to fail this call, and where.
  private func draw() -> Failure? {
    lock.lock()
    defer { lock.unlock() }
    guard random.unit() < rate else { return nil }
    failures += 1
    return Failure(committed: random.unit() < 0.5)
  }

  func transaction<T>(lock name: String?, durable: Bool, localNow: Double, _ body: (any StateTransaction) throws -> T)
    throws -> T
  {
    let failure = draw()
    if let failure, !failure.committed { throw failure }
    let result = try base.transaction(lock: name, durable: durable, localNow: localNow, body)
    if let failure { throw failure }
    return result
  }

  func read<T>(localNow: Double, _ body: (any StateTransaction) throws -> T) throws -> T {
    if draw() != nil { throw Failure(committed: false) }
    return try base.read(localNow: localNow, body)
  }

  func check() throws -> (schema: Int, server: String) { try base.check() }

  struct SplitMix {
    var state: UInt64
    mutating func unit() -> Double {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
  }
}

/// A result line never says more than the journal holds, whatever the state database does.
@Suite("results agree with the journal when the state fails at random points")
struct AgreementTests {
  @Test(
    "every printed line agrees with the journal afterwards; nothing reached the server unrecorded",
    arguments: (0..<64).map { UInt64(20_261_205 + $0) })
  func agreement(_ seed: UInt64) async throws {
    var random = FaultyDatabase.SplitMix(state: seed)
    let rows = 5 + Int(random.unit() * 40)
    let batch = 1 + Int(random.unit() * 10)
    let rate = 0.05 + random.unit() * 0.25
    try await Harness.run { h in
      let faulty = Locked<FaultyDatabase?>(nil)
      let run = try h.session(
        stdin: inviteRows(rows),
        openState: { location, _ in
          let database = FaultyDatabase(base: try SQLiteDatabase(path: location.path!), seed: seed, rate: rate)
          faulty.withLock { $0 = database }
          return StateStore(database: database, lease: location.lease)
        })
      let outcome = await run.run("set rate-limits none; read | invite --batch-size \(batch)")
      let context = "seed \(seed): \(rows) rows, batch \(batch), failure rate \(rate)"
      // One line per row.
      #expect(outcome.results.count == rows, "\(context): \(outcome.stdout) \(outcome.stderr)")
      #expect(Set(outcome.results.compactMap { $0["row"]?.doubleValue }).count == rows, "\(context)")
      // The journal as a healthy reader sees it afterwards.
      let store = try StateStore.open(.file(h.statePath))
      let scope = try run.connection.pacer().scope
      let runID = outcome.results.compactMap { $0["run"]?.stringValue }.first
      let entries = try store.journalEntries(scope: scope, run: runID ?? "none", now: h.clock.now)
      var byRow: [Int: JournalEntry] = [:]
      for entry in entries { byRow[entry.row] = entry }
      for result in outcome.results {
        let row = Int(result["row"]?.doubleValue ?? 0)
        let status = result["status"]?.stringValue ?? ""
        let entry = byRow[row]
        switch status {
        case "invited", "added":
          #expect(
            entry?.state.rawValue == status,
            "\(context): row \(row) printed \(status), journal \(entry?.state.rawValue ?? "nothing")")
        case "failed":
          let code = result["error"]?["code"]?.stringValue
          if code == "journal_error" {
            // Not sent; the journal may hold the intent it could not be told to take back.
            #expect(
              entry.map { [.claimed, .pending, .unknown, .notSent].contains($0.state) } ?? true,
              "\(context): row \(row)")
          } else {
            #expect(entry.map { $0.state == .failed || $0.state == .notSent } == true, "\(context): row \(row)")
          }
        case "unknown" where result["error"]?["code"]?.stringValue == "journal_error" && entry == nil:
          // Not sent, and the journal was told to take the intent back after all: nothing to hold.
          break
        case "unknown":
          // In doubt here; the journal holds it in doubt, or (the commit's answer lost) settled.
          #expect(
            entry.map { [.pending, .unknown, .invited].contains($0.state) } == true,
            "\(context): row \(row) \(JSONWriter.compact(result)) \(entries.map { "\($0.row):\($0.state)" })")
        default: break
        }
        // The journal never settles someone the result calls not settled.
        if let entry, entry.state.settles {
          #expect(
            ["invited", "added", "unknown"].contains(status),
            "\(context): row \(row) journal \(entry.state) printed \(status)")
        }
      }
      // Everyone the server invited has an entry that says so, or says in doubt.
      let journalled = Dictionary(entries.map { ($0.email.lowercased(), $0.state) }) { _, last in last }
      for sent in h.simulator.ledger {
        let state = journalled[sent.email.lowercased()]
        #expect(
          state == .invited || state == .pending || state == .unknown,
          "\(context): \(sent.email) sent, journal \(String(describing: state))")
      }
      // A run with a line in doubt ends in doubt.
      if outcome.results.contains(where: { $0["status"]?.stringValue == "unknown" }) {
        #expect(outcome.status == .someUnknown, "\(context): \(outcome.status)")
      }
      #expect(faulty.withLock { $0?.failures ?? 0 } > 0 || rows < 10, "\(context): the database never failed")
    }
  }
}
