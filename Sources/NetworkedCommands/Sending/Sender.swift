import JQ
import NetworkedAPI
import ShellCore

/// The only code that sends a person: it carries out what a ``SendMachine`` asks, one
/// operation at a time, on the pipeline's thread.
///
/// `invite`, `add-users` and `reconcile` claim people as their rows are accepted, group them
/// into ``SendOperation``s and hand them here; what comes back says, for each person, what the
/// journal recorded (``SendResult``). The HTTP request is the only async step, through
/// `Blocking`; everything else — the store, the waits — blocks this thread.
final class Sender {
  private let connection: NetworkedConnection
  private let run: RunContext
  private let journal: JournalKeeper
  /// Numbers the run's requests (1, 2, …); `release` takes the last number back.
  private let numbering: (take: () -> Int, release: () -> Void)

  init(
    connection: NetworkedConnection, run: RunContext, journal: JournalKeeper,
    numbering: (take: () -> Int, release: () -> Void)
  ) {
    self.connection = connection
    self.run = run
    self.journal = journal
    self.numbering = numbering
  }

  /// What became of an operation's people.
  struct SendResult {
    /// The people the request carried, as the journal has them.
    var answered: [PersonOutcome] = []
    /// Claims that were no longer this run's when the intent was written (another run took
    /// the person over): not sent.
    var lost: [Int64] = []
    /// Claims still held, not sent: the caller gives them back.
    var notSent: [(claim: Int64, why: SendMachine.NotSent)] = []
    /// Nothing more may be sent (the key was refused).
    var stop: StopReason?

    mutating func merge(_ other: SendResult) {
      answered += other.answered
      lost += other.lost
      notSent += other.notSent
      stop = stop ?? other.stop
    }
  }

  /// Sends `operation`'s people (split further if the server finds the request too large).
  func send(_ operation: SendOperation) throws -> SendResult {
    let pacer = try connection.pacer()
    let client = try connection.client()
    let clock = connection.configuration.clock
    let hooks = connection.configuration.testHooks
    let interruption = run.interruption
    let number = numbering.take()
    var machine = SendMachine(operation: operation, number: number, retry: connection.retryRule)
    // A key refused earlier, an API found unreachable: nothing is tried.
    if connection.sendingForbidden {
      numbering.release()
      return SendResult(notSent: operation.claims.map { ($0, .stopped(.interrupted)) })
    }
    var action = machine.next(.begin)
    while true {
      let event: SendMachine.Event
      switch action {
      case .reserve:
        do {
          event = .reserved(try pacer.reserve(method: "POST", path: operation.path))
        } catch {
          event = .failed(Self.failure(error))
        }
      case .waitForSlot(let reservation):
        do {
          try pacer.wait(for: reservation, method: "POST", path: operation.path, interruption: interruption)
          event = .slotReached
        } catch {
          event = .failed(.interrupted)
        }
      case .intend(let claims):
        do {
          event = .intended(moved: try journal.intend(claims, request: number))
        } catch {
          event = .failed(Self.failure(error))
        }
      case .send(let reservation, let claims):
        hooks.reach(.afterIntent)
        let carried = operation.only(claims)
        let gate = journal.gate(claims)
        let result = Result { () throws(NetworkedAPIError) in
          try Blocking.run { () async throws(NetworkedAPIError) in try await carried.send(with: client, gate: gate) }
        }
        hooks.reach(.afterSend)
        var answer = Answer(result, to: carried, number: number)
        switch result {
        case .failure(let error) where error.code == .transport && !error.requestWasSent && !error.cancelled:
          // Nothing reached the server: the slot costs nothing. An API that cannot be reached
          // at all stops the run; this request is then final, not sent.
          pacer.cancel(reservation)
          if connection.couldNotConnect(error) { answer = .exhausted(error, to: carried, number: number) }
        case .failure(let error) where error.code == .unauthorized || error.code == .forbidden:
          pacer.complete(reservation, status: error.status)
          connection.keyRefused(error)
        default:
          pacer.complete(reservation, status: Self.status(of: result))
          if case .failure(let error) = result, error.code == .withheld {
            break  // the request did not reach the server whole: it says nothing of the API
          }
          connection.stops.answered(in: connection.runInProgress)
        }
        event = .answered(answer, at: clock.now)
      case .withdraw(let claims):
        do {
          event = .withdrawn(kept: try journal.withdraw(claims))
        } catch {
          event = .failed(Self.failure(error))
        }
      case .pause(let until, let reason):
        // Should the pause not reach the store, the next try may come early and be refused
        // again: that costs a retry, never a person.
        try? pacer.pause(until: until, reason: reason)
        event = .retryReady
      case .wait(let until, let reason):
        pacer.notify(.retrying(at: until, reason: reason))
        do {
          try clock.wait(until: until, interruption: interruption)
          event = .retryReady
        } catch {
          event = .failed(.interrupted)
        }
      case .record(let outcomes, let request):
        do {
          event = .recorded(conflicts: try journal.record(outcomes.map(\.journal), request: request))
        } catch {
          event = .failed(Self.failure(error))
        }
        hooks.reach(.afterOutcome)
      case .cancel(let reservation, let conclusion):
        pacer.cancel(reservation)
        return try finish(conclusion, operation)
      case .finish(let conclusion):
        return try finish(conclusion, operation)
      }
      action = machine.next(event)
    }
  }

  private func finish(_ conclusion: SendMachine.Conclusion, _ operation: SendOperation) throws -> SendResult {
    switch conclusion {
    case .answered(let outcomes, let lost, let stop):
      if outcomes.isEmpty { numbering.release() }
      return SendResult(answered: outcomes, lost: lost, stop: stop)
    case .notSent(let why, let held, let lost):
      numbering.release()
      return SendResult(lost: lost, notSent: held.map { ($0, why) })
    case .split(let largest, let held, let lost):
      // Too large, and not carried out: the people are claims again; remember what the server
      // takes and send them in halves.
      numbering.release()
      connection.learnedInviteLimit = min(connection.learnedInviteLimit ?? largest, largest)
      run.diagnose(
        "nwsh: invite: the server refused \(operation.count) invitees in one request (413); sending at most "
          + "\(largest) per request from now on")
      var result = SendResult(lost: lost)
      let remaining = operation.only(held)
      var start = 0
      while start < remaining.count {
        // What the server takes, as learned so far (a half may have been refused too).
        let end = min(remaining.count, start + min(largest, connection.learnedInviteLimit ?? largest))
        if let stop = result.stop ?? (run.interruption.isSet ? .interrupted : nil) {
          result.notSent += remaining.claims[start..<end].map { ($0, .stopped(stop)) }
        } else {
          result.merge(try send(remaining.subset(start..<end)))
        }
        start = end
      }
      return result
    }
  }

  private static func failure(_ error: any Error) -> SendMachine.Failure {
    error is Interrupted ? .interrupted : .state(error)
  }

  private static func status(of result: Result<SendOperation.Response, NetworkedAPIError>) -> Int? {
    switch result {
    case .success: 200
    case .failure(let error): error.status
    }
  }
}

extension SendOperation {
  /// The operation for the people whose claims are `claims` (the intents that were written).
  func only(_ claims: [Int64]) -> SendOperation {
    let kept = Set(claims)
    let positions = self.claims.indices.filter { kept.contains(self.claims[$0]) }
    var part = self
    part.claims = positions.map { self.claims[$0] }
    if case .invite(let invitees, let planIds) = request {
      part.request = .invite(positions.map { invitees[$0] }, planIds: planIds)
    }
    return part
  }
}
