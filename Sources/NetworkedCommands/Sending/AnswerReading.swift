import JQ
import NetworkedAPI
import ShellCore

/// One person's outcome from the server's answer: the result's status and fields, and the
/// journal's record, for a first send (`invite`, `add-users`) or a re-send (`reconcile`).
enum AnswerReading {
  /// A first invite, from the invites call's entry for the person. A refusal that says there
  /// is nothing to do (already a member; already invited, unless this was a deliberate
  /// `--reinvite`) settles the person: `skipped` with that reason, never sent again.
  static func invited(_ outcome: InviteOutcome, claim: Int64, request: (String, Value), reinvite: Bool)
    -> PersonOutcome
  {
    switch outcome {
    case .invited(let receipt):
      return PersonOutcome(
        claim: claim, status: .invited,
        fields: [
          ("inviteId", receipt.inviteId.map(Value.string) ?? .null),
          ("userId", receipt.userId.map(Value.string) ?? .null),
          ("timeStamp", receipt.timeStamp.map { .number(Double($0)) } ?? .null), request,
        ],
        journal: JournalOutcome(
          id: claim, state: .invited, inviteId: receipt.inviteId, userId: receipt.userId,
          timeStamp: receipt.timeStamp))
    case .failed(let reason):
      let code = reason["code"]?.stringValue.map(ErrorCode.init(rawValue:)) ?? .rejected
      let message = reason["message"]?.stringValue ?? "the server did not invite this email"
      if let done = AlreadyDone(inviteRefusal: reason), done == .member || !reinvite {
        return settled(done, claim: claim, message: message, request: request)
      }
      return PersonOutcome(
        claim: claim, status: .failed,
        fields: [("error", .error(code: code, message: message, [("detail", Value(reason))])), request],
        journal: JournalOutcome(id: claim, state: .failed, error: code))
    case .missing:
      return doubt(claim, .missingFromResponse, request: request)
    case .contradictory(_, let reason):
      return doubt(claim, .contradictoryResponse, detail: Value(reason), request: request)
    }
  }

  /// A first add, from its answer.
  static func added(_ result: AddUserResult, claim: Int64, request: (String, Value)) -> PersonOutcome {
    switch result {
    case .added:
      return PersonOutcome(
        claim: claim, status: .added, fields: [("method", .string("direct")), request],
        journal: JournalOutcome(id: claim, state: .added))
    case .invited(_, let inviteId, let timeStamp):
      return PersonOutcome(
        claim: claim, status: .invited,
        fields: [
          ("method", .string("invite")), ("inviteId", inviteId.map(Value.string) ?? .null),
          ("timeStamp", timeStamp.map { .number(Double($0)) } ?? .null), request,
        ],
        journal: JournalOutcome(id: claim, state: .invited, inviteId: inviteId, timeStamp: timeStamp))
    case .alreadyDone(let message):
      // Nothing new happened, and nothing is left to do: the server had this person already.
      return settled(AlreadyDone(message: message) ?? .invited, claim: claim, message: message, request: request)
    }
  }

  /// A person the server already had: `skipped` (member or invited already), and settled in
  /// the journal (`added` or `invited`, with the code that says why), so no re-run sends again.
  static func settled(_ done: AlreadyDone, claim: Int64, message: String, request: (String, Value)) -> PersonOutcome {
    PersonOutcome(
      claim: claim, status: .skipped,
      fields: [Value.reason(done.reason), ("message", .string(message)), request],
      journal: JournalOutcome(id: claim, state: done.state, error: done.code))
  }

  /// A re-send's verdict, with what it created (if anything).
  static func reconciled(_ verdict: ReconcileVerdict, claim: Int64, receipt: Receipt?) -> PersonOutcome {
    let (state, status, resolution) = verdict.outcome
    var fields: [(String, Value)] = [("resolution", .string(resolution))]
    var code: ErrorCode?
    switch verdict {
    case .stillInDoubt(let why, let detail):
      code = why
      fields.append(("error", .error(code: why, message: why.meaning, detail.map { [("detail", $0)] } ?? [])))
    case .notSent(let why):
      code = why
      fields.append(("error", .error(code: why, message: "the re-send did not reach the server; still in doubt")))
    default: break
    }
    if let inviteId = receipt?.inviteId { fields.append(("inviteId", .string(inviteId))) }
    return PersonOutcome(
      claim: claim, status: status, fields: fields,
      journal: JournalOutcome(
        id: claim, state: state, inviteId: receipt?.inviteId, userId: receipt?.userId, timeStamp: receipt?.timeStamp,
        error: code))
  }

  private static func doubt(_ claim: Int64, _ code: ErrorCode, detail: Value? = nil, request: (String, Value))
    -> PersonOutcome
  {
    PersonOutcome(
      claim: claim, status: .unknown,
      fields: [("error", .error(code: code, message: code.meaning, detail.map { [("detail", $0)] } ?? [])), request],
      journal: JournalOutcome(id: claim, state: .unknown, error: code))
  }
}

/// What a refusal says was done already: the person is a member, or has an invite. Read from
/// the server's code when it gives one, else from its words (the real service may send `{}` or
/// only a message).
enum AlreadyDone: Equatable {
  case member
  case invited

  /// From an invites call's per-email failure.
  init?(inviteRefusal reason: JSONValue) {
    switch reason["code"]?.stringValue.map(ErrorCode.init(rawValue:)) {
    case .alreadyMember?: self = .member
    case .alreadyInvited?: self = .invited
    case nil: self.init(message: reason["message"]?.stringValue ?? "")
    default: return nil
    }
  }

  /// From a message such as "User is already a member of this community" or "An invite was
  /// already sent to this email".
  init?(message: String) {
    let words = message.lowercased()
    guard words.contains("already") else { return nil }
    if words.contains("member") || words.contains("exist") {
      self = .member
    } else if words.contains("invite") {
      self = .invited
    } else {
      return nil
    }
  }

  /// From a failed add: a 409 that says what the duplicate was.
  init?(addFailure error: NetworkedAPIError) {
    guard error.code == .conflict else { return nil }
    self.init(message: error.message)
  }

  /// The skip reason a result gives.
  var reason: SkipReason { self == .member ? .alreadyMember : .alreadyInvited }
  /// The error code the journal keeps with the settled entry.
  var code: ErrorCode { self == .member ? .alreadyMember : .alreadyInvited }
  /// The settled journal state.
  var state: JournalState { self == .member ? .added : .invited }
}
