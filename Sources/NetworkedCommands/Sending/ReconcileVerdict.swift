import JQ
import NetworkedAPI
import ShellCore

/// How `reconcile` reads the server's answer to a re-sent request. The re-send is the very
/// request that was in doubt, so the server's refusal of a duplicate is what tells.
enum ReconcileVerdict: Equatable {
  /// The re-send itself invited or added the person: the first request had not.
  case sentNow(JournalState)
  /// The server says the first request had worked (already invited, or — for a direct add —
  /// already a member).
  case earlierSucceeded(JournalState)
  /// The person is a member now (an invite re-sent to someone who has since joined).
  case alreadyMember
  /// Anything else: still in doubt, with the code and what the server said.
  case stillInDoubt(code: ErrorCode, detail: Value?)
  /// The re-send never reached the server: nothing changed.
  case notSent(code: ErrorCode)

  /// The answer to a re-sent invite, for one email, from the invites call's per-email lists.
  static func invite(_ outcome: InviteOutcome) -> ReconcileVerdict {
    switch outcome {
    case .invited: return .sentNow(.invited)
    case .failed(let reason):
      switch AlreadyDone(inviteRefusal: reason) {
      case .invited?: return .earlierSucceeded(.invited)
      case .member?: return .alreadyMember
      case nil: return .stillInDoubt(code: .unclassifiedRefusal, detail: Value(reason))
      }
    case .missing: return .stillInDoubt(code: .missingFromResponse, detail: nil)
    case .contradictory(_, let reason): return .stillInDoubt(code: .contradictoryResponse, detail: Value(reason))
    }
  }

  /// The answer to a re-sent add: a 409 whose message says what the duplicate was.
  static func add(_ result: Result<AddUserResult, NetworkedAPIError>, method: Int) -> ReconcileVerdict {
    switch result {
    case .success(.added): return .sentNow(.added)
    case .success(.alreadyDone(let message)):
      // The server answered the re-send as a duplicate: the first request had worked.
      if method == 1 && AlreadyDone(message: message) == .member { return .alreadyMember }
      return .earlierSucceeded(method == 2 ? .added : .invited)
    case .success(.invited): return .sentNow(.invited)
    case .failure(let error):
      if !error.requestWasSent || error.code == .rateLimited || (error.code == .serverError && error.status == 503) {
        return .notSent(code: APIFailure.classify(error).code)
      }
      switch AlreadyDone(addFailure: error) {
      case .member?: return method == 2 ? .earlierSucceeded(.added) : .alreadyMember
      case .invited?: return .earlierSucceeded(.invited)
      case nil: break
      }
      return .stillInDoubt(
        code: APIFailure.classify(error).status == .unknown ? .inDoubt : .unclassifiedRefusal,
        detail: .object(
          JSONObject([("http", error.status.map { .number($0) } ?? .null), ("message", .string(error.message))])))
    }
  }

  /// A whole invites call that failed: not sent, or still in doubt.
  static func failedCall(_ error: NetworkedAPIError) -> ReconcileVerdict {
    if !error.requestWasSent || error.code == .rateLimited || (error.code == .serverError && error.status == 503)
      || error.code == .unauthorized || error.code == .forbidden || error.cancelled
    {
      return .notSent(code: error.cancelled ? .interrupted : APIFailure.classify(error).code)
    }
    return .stillInDoubt(
      code: APIFailure.classify(error).status == .unknown ? .inDoubt : .unclassifiedRefusal,
      detail: .object(
        JSONObject([("http", error.status.map { .number($0) } ?? .null), ("message", .string(error.message))])))
  }

  /// The journal state, result status and `resolution` it leads to.
  var outcome: (state: JournalState, status: ResultStatus, resolution: String) {
    switch self {
    case .sentNow(let state): (state, Self.status(of: state), "sent_now")
    case .earlierSucceeded(let state): (state, Self.status(of: state), "earlier_request_succeeded")
    case .alreadyMember: (.added, .added, "already_member")
    case .stillInDoubt: (.unknown, .unknown, "still_in_doubt")
    case .notSent: (.notSent, .unknown, "not_sent")
    }
  }

  /// The result status of a settled journal state (invited or added).
  private static func status(of state: JournalState) -> ResultStatus {
    state == .added ? .added : .invited
  }
}
