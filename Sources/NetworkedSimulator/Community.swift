import Foundation

/// The simulated community: roles, members, pending invites, plans and the ledger.
struct Community: Codable {
  struct Role: Codable {
    var tagId: String
    var name: String
    var type: Int
  }
  struct Member: Codable {
    var userId: String
    var name: String
    var email: String
    var roleId: String
  }
  struct Invite: Codable {
    var inviteId: String
    var email: String
    var name: String
    var roleId: String
    /// When the first invite was sent.
    var timeStamp: Int64
    var userId: String
    /// When the latest invite or reminder was sent (the first, when nil).
    var lastSent: Int64?
  }

  var roles: [Role] = []
  private(set) var members: [Member] = []
  private(set) var invites: [String: Invite] = [:]  // by lower-cased email
  /// The plans (not persisted: the seeded ones are the same every time).
  var plans: [[String: Any]] = []
  private(set) var ledger: [LedgerEntry] = []
  /// Who joins by themselves (stored, so a sandbox keeps it between runs).
  private(set) var acceptance: Acceptance?
  /// How far the sandbox's clock was moved on (`nwsh sandbox --advance`), in milliseconds.
  private(set) var clockOffset: Int64 = 0
  private var counter: UInt64 = 0
  /// Members by lower-cased email (their positions), kept beside the list.
  private var memberIndex: [String: Int] = [:]
  /// The changes made since ``takeChanges()`` last took them: what a persisted community appends
  /// to its log instead of writing itself whole.
  private(set) var changes: [Change] = []

  /// One change to the community, as its log keeps it.
  enum Change: Codable {
    case invite(Invite)
    case uninvite(String)
    case member(Member)
    case ledger(LedgerEntry)
    case counter(UInt64)
    case acceptance(Acceptance?)
    case clockOffset(Int64)
  }

  /// Makes `change` (and notes it, unless it is being replayed from the log).
  mutating func apply(_ change: Change, replaying: Bool = false) {
    switch change {
    case .invite(let invite): invites[invite.email.lowercased()] = invite
    case .uninvite(let key): invites[key] = nil
    case .member(let member):
      memberIndex[member.email.lowercased()] = members.count
      members.append(member)
    case .ledger(let entry): ledger.append(entry)
    case .counter(let value): counter = value
    case .acceptance(let value): acceptance = value
    case .clockOffset(let value): clockOffset = value
    }
    if !replaying { changes.append(change) }
  }

  /// The changes made since last time, handed over (and forgotten here).
  mutating func takeChanges() -> [Change] {
    defer { changes = [] }
    return changes
  }

  mutating func setInvite(_ invite: Invite) { apply(.invite(invite)) }
  mutating func removeInvite(email: String) { apply(.uninvite(email.lowercased())) }
  mutating func addMember(_ member: Member) { apply(.member(member)) }
  mutating func setAcceptance(_ value: Acceptance?) { if acceptance != value { apply(.acceptance(value)) } }
  mutating func moveClock(by milliseconds: Int64) { apply(.clockOffset(clockOffset + milliseconds)) }

  private enum CodingKeys: String, CodingKey {
    case roles, members, invites, ledger, acceptance, counter, clockOffset
  }

  init() {}

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    roles = try container.decode([Role].self, forKey: .roles)
    members = try container.decode([Member].self, forKey: .members)
    invites = try container.decode([String: Invite].self, forKey: .invites)
    ledger = try container.decode([LedgerEntry].self, forKey: .ledger)
    acceptance = try container.decodeIfPresent(Acceptance.self, forKey: .acceptance)
    counter = try container.decode(UInt64.self, forKey: .counter)
    clockOffset = try container.decodeIfPresent(Int64.self, forKey: .clockOffset) ?? 0
    for (position, member) in members.enumerated() { memberIndex[member.email.lowercased()] = position }
  }

  /// Makes members of the invitees whose acceptance is due by `now`, in the order they were
  /// invited.
  mutating func admitAccepted(now: Int64) {
    guard let acceptance, acceptance.rate > 0 else { return }
    let due = invites.values.filter { now >= $0.timeStamp + acceptance.after && acceptance.accepts($0.email) }
    for invite in due.sorted(by: { ($0.timeStamp, $0.email) < ($1.timeStamp, $1.email) }) {
      removeInvite(email: invite.email)
      if member(invite.email) == nil {
        addMember(Member(userId: invite.userId, name: invite.name, email: invite.email, roleId: invite.roleId))
      }
    }
  }

  static func seeded() -> Community {
    var community = Community()
    // The ids and names of the docs' Roles List example, including "Architect " with its space.
    community.roles = [
      Role(tagId: "67959032bc6bea0012fdc675", name: "Admin", type: 0),
      Role(tagId: "67959032bc6bea0012fdc676", name: "Moderator", type: 1),
      Role(tagId: "67959032bc6bea0012fdc677", name: "Contributor", type: 2),
      Role(tagId: "67959032bc6bea0012fdc678", name: "Viewer", type: 3),
      Role(tagId: "68739cdd8bf6c100121117f2", name: "Architect ", type: 4),
      // The ids the docs' curl examples send, so those commands work verbatim; "Member" is the
      // role the add-users page names.
      Role(tagId: "69baa36beddb9f0012fdf101", name: "Member", type: 5),
      Role(tagId: "69baa36beddb9f0012fdf102", name: "Alumni", type: 6),
    ]
    for member in [
      Member(
        userId: "6836fc8db386c90012787b60", name: "Olivia Owner", email: "owner@example.com",
        roleId: "67959032bc6bea0012fdc675"),
      Member(
        userId: "6836fc8db386c90012787b69", name: "user123", email: "user123@yopmail.com",
        roleId: "67959032bc6bea0012fdc676"),
      Member(
        userId: "6836fc8db386c90012787b6a", name: "Grace Hopper", email: "grace@example.com",
        roleId: "67959032bc6bea0012fdc677"),
      Member(
        userId: "6836fc8db386c90012787b6b", name: "Alan Turing", email: "alan@example.com",
        roleId: "67959032bc6bea0012fdc678"),
    ] {
      community.addMember(member)
    }
    _ = community.takeChanges()
    community.plans = [
      [
        "planId": "6801f0c2a1b2c3d4e5f60001", "name": "Supporter (monthly)", "amount": 900, "currency": "usd",
        "interval": "month", "status": 1,
      ],
      [
        "planId": "6801f0c2a1b2c3d4e5f60002", "name": "Patron (yearly)", "amount": 9000, "currency": "usd",
        "interval": "year", "status": 1,
      ],
    ]
    return community
  }

  /// A 24-hex id like the API's: 8 hex digits of seconds, then a counter.
  mutating func nextId(now: Int64) -> String {
    apply(.counter(counter + 1))
    let seconds = String(UInt32(truncatingIfNeeded: now / 1000), radix: 16)
    let count = String(counter, radix: 16)
    return String(repeating: "0", count: 8 - seconds.count) + seconds
      + String(repeating: "0", count: 16 - count.count) + count
  }

  func role(_ tagId: String) -> Role? { roles.first { $0.tagId == tagId } }
  func member(_ email: String) -> Member? { memberIndex[email.lowercased()].map { members[$0] } }
  func hasPlan(_ id: String) -> Bool { plans.contains { $0["planId"] as? String == id } }

  /// A syntactic check, like a server's: one `@`, a local part and a dotted domain.
  static func isValidEmail(_ email: String) -> Bool {
    let bytes = Array(email.utf8)
    guard bytes.count <= 254, let at = bytes.firstIndex(of: UInt8(ascii: "@")),
      bytes.lastIndex(of: UInt8(ascii: "@")) == at, at > 0, at <= 64
    else { return false }
    let local = bytes[..<at]
    let domain = bytes[(at + 1)...]
    let badLocal: Set<UInt8> = Set(" \t\r\n\"(),:;<>[\\]".utf8)
    guard local.allSatisfy({ $0 > 0x20 && $0 != 0x7F && !badLocal.contains($0) }),
      local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
      !local.indices.contains(where: {
        local[$0] == UInt8(ascii: ".") && $0 + 1 < at && local[$0 + 1] == UInt8(ascii: ".")
      })
    else { return false }
    let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    guard labels.count >= 2 else { return false }
    for label in labels {
      guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
        label.allSatisfy({
          $0 >= 0x80 || $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
            || (0x61...0x7A).contains($0)
        })
      else { return false }
    }
    return true
  }
}

// Plans are `[String: Any]` holding only strings and numbers, never mutated after seeding.
extension Community: @unchecked Sendable {}
