/// One row of `POST /api/v1/admin/community/invites/emails`.
public struct Invitee: Sendable, Hashable, Codable {
  /// Display name; the server requires it non-empty.
  public var name: String
  /// Where the invite goes.
  public var email: String
  /// The role (`tagId` from the roles list) the invitee gets.
  public var tagId: String
  /// An optional personal message; omitted from the JSON when nil.
  public var note: String?

  /// Creates an invite row.
  public init(name: String, email: String, tagId: String, note: String? = nil) {
    self.name = name
    self.email = email
    self.tagId = tagId
    self.note = note
  }
}

/// The body of an invites call.
struct InviteRequestBody: Encodable {
  var users: [Invitee]
  var monetizationPlanIds: [String]?
}

/// What the server created for one invited email (`data.success[].data`).
public struct InviteReceipt: Sendable, Hashable {
  /// The email as the server echoed it.
  public var email: String
  /// The invite's id.
  public var inviteId: String?
  /// When the invite was created, epoch milliseconds.
  public var timeStamp: Int64?
  /// The user record the invite is attached to, if the server returned one.
  public var userId: String?
  /// The whole success entry, as sent.
  public var raw: JSONValue
}

/// The outcome of one requested email, matched by address.
public enum InviteOutcome: Sendable, Hashable {
  /// In `data.success` only.
  case invited(InviteReceipt)
  /// In `data.failure` only; `reason` is the entry's `error` value (may be `{}`).
  case failed(reason: JSONValue)
  /// In neither list: the server skipped it or lost it; its state is unknown.
  case missing
  /// In both lists: the server contradicted itself; its state is unknown.
  case contradictory(InviteReceipt, reason: JSONValue)
}

/// The answer to one invites call, one outcome per requested row in request order.
public struct InviteBatchResult: Sendable, Hashable {
  /// Outcomes aligned with the request's `users`.
  public var outcomes: [InviteOutcome]
  /// Emails the server reported that the request did not contain.
  public var unexpectedEmails: [String]
  /// The envelope's `message`.
  public var message: String?
}

/// The documented response data of the invites call.
struct InviteResponseData: Decodable {
  struct Entry: Decodable {
    var email: String?
    var data: JSONValue?
    var error: JSONValue?
  }
  var success: [Entry]?
  var failure: [Entry]?
}

extension InviteBatchResult {
  /// Matches response entries to requested emails: exactly first, then ignoring ASCII case
  /// (servers commonly lower-case addresses). Never guesses beyond that.
  init(users: [Invitee], data: InviteResponseData, message: String?) {
    var successes: [String: [InviteReceipt]] = [:]
    var failures: [String: [JSONValue]] = [:]
    for entry in data.success ?? [] {
      guard let email = entry.email ?? entry.data?["email"]?.stringValue else { continue }
      let payload = entry.data ?? .null
      let receipt = InviteReceipt(
        email: email, inviteId: payload["inviteId"]?.stringValue, timeStamp: payload["timeStamp"]?.int64Value,
        userId: payload["user"]?["userId"]?.stringValue ?? payload["userId"]?.stringValue,
        raw: payload)
      successes[email, default: []].append(receipt)
    }
    for entry in data.failure ?? [] {
      guard let email = entry.email else { continue }
      failures[email, default: []].append(entry.error ?? .object([:]))
    }
    var requested = Set<String>()
    var outcomes: [InviteOutcome] = []
    outcomes.reserveCapacity(users.count)
    let foldedSuccesses = Dictionary(grouping: successes.keys, by: { $0.lowercased() })
    let foldedFailures = Dictionary(grouping: failures.keys, by: { $0.lowercased() })
    func lookup<T>(_ email: String, _ table: [String: [T]], _ folded: [String: [String]]) -> T? {
      if let exact = table[email]?.first { return exact }
      if let keys = folded[email.lowercased()], keys.count == 1 { return table[keys[0]]?.first }
      return nil
    }
    for user in users {
      requested.insert(user.email.lowercased())
      let success = lookup(user.email, successes, foldedSuccesses)
      let failure = lookup(user.email, failures, foldedFailures)
      switch (success, failure) {
      case (let receipt?, nil): outcomes.append(.invited(receipt))
      case (nil, let reason?): outcomes.append(.failed(reason: reason))
      case (let receipt?, let reason?): outcomes.append(.contradictory(receipt, reason: reason))
      case (nil, nil): outcomes.append(.missing)
      }
    }
    let reported = Set(successes.keys).union(failures.keys)
    self.outcomes = outcomes
    self.unexpectedEmails = reported.filter { !requested.contains($0.lowercased()) }.sorted()
    self.message = message
  }
}
