/// The journal's rules, the same for every store: who holds a person, where a person stands,
/// what a claim does, who is in doubt, and what a settled re-send retires. Stores only read and
/// write rows (`StateDatabase`); every decision is made here, in Swift, once.
package enum JournalRules {
  /// Whether `entry`'s holder is still at work on it: the entry is claimed or pending and its
  /// process runs, judged by pid when it shares pids with `observer` (host, machine and pid
  /// namespace all equal), else by its lease.
  package static func isHeld(_ entry: JournalEntry, now: Double, observer: ProcessIdentity = .current) -> Bool {
    guard entry.state.isHeldState, let owner = entry.owner else { return false }
    if let running = owner.process.isRunning(seenFrom: observer) { return running }
    return (entry.leaseUntil ?? 0) > now
  }

  /// The entries that matter for a person's standing: everything but the doubts a re-send
  /// already retired.
  package static func live(_ entries: [JournalEntry]) -> [JournalEntry] {
    entries.filter { $0.state != .reconciled }
  }

  /// Where a person stands, from their entries (oldest first). `reinvite` looks past settled
  /// entries (never past a holder or a doubt).
  package static func standing(_ entries: [JournalEntry], reinvite: Bool, now: Double) -> JournalStanding {
    // A claim whose holder is gone sent nothing: it is as if it were not there.
    let entries = live(entries).filter { $0.state != .claimed || isHeld($0, now: now) }
    if let holder = entries.last(where: { isHeld($0, now: now) }) { return .held(holder) }
    if !reinvite, let settled = entries.last(where: { $0.state.settles }) { return .settled(settled) }
    // An entry that re-sent a doubt and got somewhere (an answer, or a request in flight)
    // takes the doubt over; one that was certainly not sent, or refused, does not.
    let superseded = Set(entries.filter { $0.state != .notSent && $0.state != .failed }.compactMap(\.supersedes))
    if let doubt = entries.last(where: { $0.state.mayBeInDoubt && !superseded.contains($0.id) }),
      !entries.contains(where: { $0.id > doubt.id && $0.state.settles })
    {
      return .inDoubt(doubt)
    }
    return .free
  }

  /// The people in doubt among `entries` (every entry of each person with an `unknown` or
  /// `pending` entry, oldest first), in order of first appearance; a person a live run holds
  /// now is listed with that holder.
  package static func inDoubt(among entries: [JournalEntry], now: Double) -> [JournalStanding] {
    var order: [String] = []
    var byPerson: [String: [JournalEntry]] = [:]
    for entry in entries {
      let key = entry.email.lowercased()
      if byPerson[key] == nil { order.append(key) }
      byPerson[key, default: []].append(entry)
    }
    return order.compactMap { key in
      let entries = byPerson[key]!
      switch standing(entries, reinvite: true, now: now) {
      case .inDoubt(let entry): return .inDoubt(entry)
      case .held(let entry) where entries.contains(where: { $0.state == .unknown }): return .held(entry)
      default: return nil
      }
    }
  }

  /// The states whose people ``inDoubt(among:now:)`` looks at.
  package static let doubtfulStates: [JournalState] = JournalState.allCases.filter(\.mayBeInDoubt)

  /// The earlier doubts that `entry`, just answered, retires: a re-send with an answer (even an
  /// unclear one, which carries the doubt on) takes over every earlier in-doubt entry of the
  /// person; an answer that says it was not sent takes over nothing.
  package static func retired(by entry: JournalEntry, among personEntries: [JournalEntry]) -> [JournalEntry] {
    guard entry.isResend, entry.state != .notSent else { return [] }
    return personEntries.filter { $0.id < entry.id && $0.state.mayBeInDoubt }
  }

  /// What a claim transaction does, decided from the person's entries (oldest first) read
  /// inside it.
  package struct ClaimDecision: Sendable {
    /// Claims whose holder is gone: nothing was sent for them, delete them.
    package var stale: [JournalEntry]
    /// Intents whose holder is gone: their request may have gone out, mark them in doubt
    /// (`unknown`, error `in_doubt`).
    package var orphaned: [JournalEntry]
    /// nil: insert the claim; else the answer without inserting.
    package var answer: ClaimResult?

    /// Decides for `owner` and input row `row`, claiming anew or (for `reconcile`) over the
    /// in-doubt entry `supersedes`.
    package init(
      entries: [JournalEntry], row: Int, owner: ClaimOwner, now: Double, reinvite: Bool, supersedes: Int64?
    ) {
      let entries = live(entries)
      stale = entries.filter { $0.state == .claimed && !isHeld($0, now: now) }
      let orphaned = entries.filter { $0.state == .pending && !isHeld($0, now: now) }
      self.orphaned = orphaned
      let staleIds = Set(stale.map(\.id))
      let orphanIds = Set(orphaned.map(\.id))
      let current = entries.filter { !staleIds.contains($0.id) }.map { entry in
        var entry = entry
        if orphanIds.contains(entry.id) { entry.state = .unknown }
        return entry
      }
      // A retried call (its first answer lost with a connection) finds its own claim: same
      // owner, same row. (A second row with the same email is held by the first, as it should.)
      if let mine = current.last(where: {
        $0.state == .claimed && $0.owner == owner && $0.row == row && $0.supersedes == supersedes
      }) {
        answer = .claimed(mine.id)
        return
      }
      let standing = JournalRules.standing(current, reinvite: reinvite, now: now)
      switch (standing, supersedes) {
      case (.free, nil): answer = nil
      case (.inDoubt(let doubt), let superseded?) where doubt.id == superseded: answer = nil
      default: answer = .refused(standing)
      }
    }
  }
}
