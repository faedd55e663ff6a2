import JQ
import NetworkedAPI
import ShellCore

/// One request's worth of people, each already claimed in the journal, and what to send
/// them: what `invite`, `add-users` and `reconcile` hand to the ``Sender``.
struct SendOperation: Sendable {
  /// The request.
  enum Request: Sendable {
    /// `POST …/invites/emails`: many people, with the plans offered to all of them.
    case invite([Invitee], planIds: [String]?)
    /// `POST …/addExternalUsers`: one person, by invitation (1) or directly (2).
    case add(AddUserRequest)
  }

  /// What is sent.
  var request: Request
  /// Each person's claim (journal entry id), in the request's order.
  var claims: [Int64]
  /// Whether this re-sends requests that were in doubt (`reconcile`): the answer is then read
  /// for what it says about the earlier request too.
  var isReconcile = false
  /// Whether the people are invited again on purpose (`--reinvite`): a refusal as already
  /// invited is then a failure, not a person settled.
  var reinvite = false

  /// The endpoint, for the pacer's log.
  var path: String {
    switch request {
    case .invite: NetworkedClient.Paths.invites
    case .add: NetworkedClient.Paths.addUser
    }
  }

  /// How many people it carries.
  var count: Int { claims.count }

  /// The operation for a subset of the people (by their positions), for splitting an invite the
  /// server found too large.
  func subset(_ positions: Range<Int>) -> SendOperation {
    var part = self
    part.claims = Array(claims[positions])
    if case .invite(let invitees, let planIds) = request {
      part.request = .invite(Array(invitees[positions]), planIds: planIds)
    }
    return part
  }

  /// Sends it once, with `client` (which adds the key and nothing else: pacing and retries are
  /// the sender's); the request's body is completed only if `gate` allows it then.
  func send(with client: NetworkedClient, gate: SendGate) async throws(NetworkedAPIError) -> Response {
    switch request {
    case .invite(let invitees, let planIds): .invite(try await client.invite(invitees, planIds: planIds, gate: gate))
    case .add(let user): .add(try await client.addUser(user, gate: gate))
    }
  }

  /// The server's answer, as the client decoded it.
  enum Response: Sendable {
    case invite(InviteBatchResult)
    case add(AddUserResult)
  }
}

/// What one person's part of an answer comes to: their result's status and fields, and what
/// the journal records for them.
struct PersonOutcome {
  /// The person's claim.
  var claim: Int64
  /// The result's status.
  var status: ResultStatus
  /// The result's fields (`inviteId`, `error`, `resolution`…).
  var fields: [(String, Value)]
  /// What the journal records.
  var journal: JournalOutcome
  /// How the run's exit status counts it, when not as its status says (a refused key: 77).
  var severity: Severity? = nil

  /// This outcome when the journal could not record it: in doubt, whatever the server said,
  /// because the journal will hold the person in doubt (their intent, unanswered).
  func unrecorded(_ error: String) -> PersonOutcome {
    var doubt = self
    doubt.status = .unknown
    let said: [(String, Value)] = fields.filter { $0.0 != "error" && $0.0 != "resolution" && $0.0 != "request" }
    let answer = Value.object(JSONObject([("status", .string(status.name))] + said))
    let message =
      "the server answered (\(status.name)) but the journal could not record it (\(error)); the journal "
      + "holds this person in doubt: run reconcile once the state is back"
    doubt.fields = fields.filter { $0.0 == "request" }
    doubt.fields.append(("error", .error(code: .journalError, message: message, [("answer", answer)])))
    return doubt
  }

  /// This outcome when its intent had been taken over by another process before the answer
  /// could be recorded (this one was stopped past its lease): in doubt, with the answer, which
  /// the journal holds on an entry of its own.
  func takenOver() -> PersonOutcome {
    var doubt = self
    doubt.status = .unknown
    let said: [(String, Value)] = fields.filter { $0.0 != "resolution" && $0.0 != "request" }
    let answer = Value.object(JSONObject([("status", .string(status.name))] + said))
    let message =
      "the server answered (\(status.name)), but this run had been stopped past its lease and another run had "
      + "taken this person over meanwhile (it may have sent to them too); both answers are in the journal"
    doubt.fields = fields.filter { $0.0 == "request" }
    doubt.fields.append(("error", .error(code: .journalConflict, message: message, [("answer", answer)])))
    doubt.journal.error = .journalConflict
    return doubt
  }
}

/// How the sender reads an answer (or a failure) for an operation.
enum Answer {
  /// The request was held back at its fence: its body never complete, nothing carried out.
  case withheld
  /// The server carried out nothing (a 429 or 503, or a connection that never opened): it may
  /// be tried again (``RetryRule``).
  case notCarriedOut(NetworkedAPIError)
  /// 413 for more than one person: not carried out; send them in smaller requests.
  case tooLarge(NetworkedAPIError)
  /// The answer for every person, and whether nothing more may be sent (a refused key).
  case final([PersonOutcome], stop: StopReason?)

  /// Reads `result`, the answer to `operation` sent as request `number`.
  init(_ result: Result<SendOperation.Response, NetworkedAPIError>, to operation: SendOperation, number: Int) {
    if case .failure(let error) = result {
      if error.code == .withheld {
        self = .withheld
        return
      }
      if error.code == .rateLimited || (error.code == .serverError && error.status == 503) {
        self = .notCarriedOut(error)
        return
      }
      if error.code == .transport && !error.requestWasSent && !error.cancelled {
        self = .notCarriedOut(error)
        return
      }
      if error.code == .payloadTooLarge && operation.count > 1 {
        self = .tooLarge(error)
        return
      }
    }
    self = Self.final(result, to: operation, number: number)
  }

  /// A failure the sender stopped retrying (the budget or the longest wait ran out), as the
  /// final answer.
  static func exhausted(_ error: NetworkedAPIError, to operation: SendOperation, number: Int) -> Answer {
    final(.failure(error), to: operation, number: number)
  }

  private static func final(
    _ result: Result<SendOperation.Response, NetworkedAPIError>, to operation: SendOperation, number: Int
  ) -> Answer {
    let request: (String, Value) = ("request", .number(number))
    switch result {
    case .success(.invite(let batch)):
      let outcomes = zip(operation.claims, batch.outcomes).map { claim, outcome in
        operation.isReconcile
          ? AnswerReading.reconciled(ReconcileVerdict.invite(outcome), claim: claim, receipt: outcome.receipt)
          : AnswerReading.invited(outcome, claim: claim, request: request, reinvite: operation.reinvite)
      }
      return .final(outcomes, stop: nil)
    case .success(.add(let added)):
      guard case .add(let user) = operation.request else { return .final([], stop: nil) }
      let claim = operation.claims[0]
      if operation.isReconcile {
        let verdict = ReconcileVerdict.add(.success(added), method: user.method.rawValue)
        return .final([AnswerReading.reconciled(verdict, claim: claim, receipt: added.receipt)], stop: nil)
      }
      return .final([AnswerReading.added(added, claim: claim, request: request)], stop: nil)
    case .failure(let error):
      let stop: StopReason? = error.code == .unauthorized || error.code == .forbidden ? .authenticationFailed : nil
      // A refused key ends the run with 77, whatever else it did.
      let severity: Severity? = stop == nil ? nil : .fatal(.authentication)
      if operation.isReconcile {
        let verdict: ReconcileVerdict
        if case .add(let user) = operation.request {
          verdict = ReconcileVerdict.add(.failure(error), method: user.method.rawValue)
        } else {
          verdict = ReconcileVerdict.failedCall(error)
        }
        return .final(
          operation.claims.map {
            var outcome = AnswerReading.reconciled(verdict, claim: $0, receipt: nil)
            outcome.severity = severity
            return outcome
          }, stop: stop)
      }
      if case .add = operation.request, let done = AlreadyDone(addFailure: error),
        done == .member || !operation.reinvite
      {
        return .final(
          [AnswerReading.settled(done, claim: operation.claims[0], message: error.message, request: request)], stop: nil
        )
      }
      let (status, code) = APIFailure.classify(error)
      let state: JournalState = status == .unknown ? .unknown : (error.requestWasSent ? .failed : .notSent)
      let fields: [(String, Value)] = [("error", APIFailure.errorValue(error, code: code)), request]
      return .final(
        operation.claims.map {
          PersonOutcome(
            claim: $0, status: status, fields: fields, journal: JournalOutcome(id: $0, state: state, error: code),
            severity: severity)
        }, stop: stop)
    }
  }
}

extension InviteOutcome {
  /// What the server created, when it invited.
  var receipt: Receipt? {
    guard case .invited(let receipt) = self else { return nil }
    return Receipt(inviteId: receipt.inviteId, userId: receipt.userId, timeStamp: receipt.timeStamp)
  }
}

extension AddUserResult {
  /// What the server created, when it invited.
  var receipt: Receipt? {
    guard case .invited(_, let inviteId, let timeStamp) = self else { return nil }
    return Receipt(inviteId: inviteId, userId: nil, timeStamp: timeStamp)
  }
}

/// What a request created on the server, when it created something.
struct Receipt {
  var inviteId: String?
  var userId: String?
  var timeStamp: Int64?
}
