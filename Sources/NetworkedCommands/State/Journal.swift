import Foundation
public import ShellCore

/// Where a journal entry stands.
///
/// An entry is *claimed* when its row is accepted, *pending* once its intent is written (just
/// before its request leaves), then settled by the server's answer. At most one entry per
/// person and key is claimed or pending at a time: that is what keeps two processes from both
/// sending to one person.
public enum JournalState: String, Sendable, CaseIterable, Codable {
  /// Accepted by a run that will send it; nothing has gone out.
  case claimed
  /// Its request is going out now, or went out with no answer recorded (in doubt if its
  /// process is gone).
  case pending
  /// The server invited the person.
  case invited
  /// The server added the person (or says they are a member).
  case added
  /// The server refused; nothing happened.
  case failed
  /// The request may or may not have been carried out.
  case unknown
  /// The request certainly never reached the server.
  case notSent = "not_sent"
  /// An in-doubt entry a later entry (a reconcile) has taken over.
  case reconciled

  /// The states a person can be in doubt in (`pending` only when its process is gone).
  var mayBeInDoubt: Bool { self == .unknown || self == .pending }
  /// The states that settle a person.
  var settles: Bool { self == .invited || self == .added }
  /// The states of an entry someone holds (while its holder lives).
  package var isHeldState: Bool { self == .claimed || self == .pending }
}

/// Which endpoint an entry's request went to.
public enum JournalOperationKind: String, Sendable, Codable {
  /// `POST …/invites/emails`.
  case invite
  /// `POST …/addExternalUsers`.
  case add
}

/// The operation an entry records, exactly as sent, so that `reconcile` can send it again.
/// A password is never stored: only whether one was sent.
public struct JournalOperation: Sendable, Hashable {
  /// The endpoint.
  public var kind: JournalOperationKind
  /// The email as sent.
  public var email: String
  /// The name as sent.
  public var name: String
  /// The role id (`tagId` or `roleId`).
  public var roleId: String
  /// The invite's note.
  public var note: String?
  /// The invite's `monetizationPlanIds`.
  public var planIds: [String]?
  /// The add's `planId`.
  public var planId: String?
  /// The add's `method` (1 invite, 2 direct).
  public var method: Int?
  /// Whether the add carried a password.
  public var passwordSet: Bool

  /// Creates an operation.
  public init(
    kind: JournalOperationKind, email: String, name: String, roleId: String, note: String? = nil,
    planIds: [String]? = nil, planId: String? = nil, method: Int? = nil, passwordSet: Bool = false
  ) {
    self.kind = kind
    self.email = email
    self.name = name
    self.roleId = roleId
    self.note = note
    self.planIds = planIds
    self.planId = planId
    self.method = method
    self.passwordSet = passwordSet
  }
}

/// One person's line in the journal for one attempt.
public struct JournalEntry: Sendable, Hashable {
  /// Its row id.
  public var id: Int64
  /// The run that wrote it.
  public var run: String
  /// What was (or is to be) sent.
  public var operation: JournalOperation
  /// The row number in that run's input.
  public var row: Int
  /// Which request of the run carried it (0 while only claimed).
  public var request: Int
  /// Where it stands.
  public var state: JournalState
  /// The server's invite id, when known.
  public var inviteId: String?
  /// The server's user id, when known.
  public var userId: String?
  /// The server's timestamp (epoch ms), when known.
  public var timeStamp: Int64?
  /// The error code, for `failed`, `unknown` and `not_sent`.
  public var error: ErrorCode?
  /// When it was written.
  public var created: Double
  /// When it last changed.
  public var updated: Double
  /// Who holds it while claimed or pending (nil for entries older than claims).
  public var owner: ClaimOwner?
  /// Until when the holder's claim stands for other hosts.
  public var leaseUntil: Double?
  /// The in-doubt entry this one re-sends (reconcile).
  public var supersedes: Int64?
  /// When the person was first seen a member after this invite (`pending`, `funnel`), if they
  /// have been.
  public var joined: Double?
  /// How many times the entry has changed: a ``StateDatabase`` sets it (0 when inserted, one
  /// more on every change) and checks it in ``StateTransaction/update(_:)`` and
  /// ``StateTransaction/delete(_:)``, its compare-and-set.
  public var version: Int

  /// The email.
  public var email: String { operation.email }

  /// Whether this entry is a re-send of an earlier one (`reconcile`).
  public var isResend: Bool { supersedes != nil }

  /// Creates an entry (stores build them from their rows).
  public init(
    id: Int64, run: String, operation: JournalOperation, row: Int, request: Int, state: JournalState,
    inviteId: String? = nil, userId: String? = nil, timeStamp: Int64? = nil, error: ErrorCode? = nil,
    created: Double, updated: Double, owner: ClaimOwner? = nil, leaseUntil: Double? = nil, supersedes: Int64? = nil,
    joined: Double? = nil, version: Int = 0
  ) {
    self.id = id
    self.run = run
    self.operation = operation
    self.row = row
    self.request = request
    self.state = state
    self.inviteId = inviteId
    self.userId = userId
    self.timeStamp = timeStamp
    self.error = error
    self.created = created
    self.updated = updated
    self.owner = owner
    self.leaseUntil = leaseUntil
    self.supersedes = supersedes
    self.joined = joined
    self.version = version
  }

  /// Whether the server settled this entry by saying it was done already (a member, or invited).
  var saidDoneAlready: Bool { error == .alreadyMember || error == .alreadyInvited }

  /// Why a settled entry leaves nothing to do: the server said the person was a member or
  /// had an invite already, else the journal's own record (added, invited).
  var settledReason: SkipReason {
    switch error {
    case .alreadyMember?: .alreadyMember
    case .alreadyInvited?: .alreadyInvited
    default: state == .added ? .alreadyAdded : .alreadyInvited
    }
  }

  /// The same entry with its times moved by `seconds` (from a database's clock to a host's).
  package func shifted(by seconds: Double) -> JournalEntry {
    guard seconds != 0 else { return self }
    var entry = self
    entry.created += seconds
    entry.updated += seconds
    entry.leaseUntil = leaseUntil.map { $0 + seconds }
    entry.joined = joined.map { $0 + seconds }
    return entry
  }
}

/// What the journal says of one person before anything is sent to them.
public enum JournalStanding: Sendable {
  /// Nothing stands in the way.
  case free
  /// Already invited or added (the entry that says so).
  case settled(JournalEntry)
  /// An earlier request may have reached the server: only `reconcile` sends again.
  case inDoubt(JournalEntry)
  /// Another run (usually another process) holds the person now.
  case held(JournalEntry)
}

/// The result of trying to claim a person.
public enum ClaimResult: Sendable {
  /// Claimed: the entry's id.
  case claimed(Int64)
  /// Not claimed, because of this standing.
  case refused(JournalStanding)
}

/// An outcome to record for a journal entry.
public struct JournalOutcome: Sendable {
  /// The entry.
  public var id: Int64
  /// Its new state.
  public var state: JournalState
  /// Invite id, user id, timestamp, error code (when known).
  public var inviteId: String?, userId: String?, timeStamp: Int64?, error: ErrorCode?

  /// Creates an outcome.
  public init(
    id: Int64, state: JournalState, inviteId: String? = nil, userId: String? = nil, timeStamp: Int64? = nil,
    error: ErrorCode? = nil
  ) {
    self.id = id
    self.state = state
    self.inviteId = inviteId
    self.userId = userId
    self.timeStamp = timeStamp
    self.error = error
  }
}
