import JQ
import NetworkedAPI
import ShellCore

/// The rules of one journalled send, without any I/O: after each event, what to do next.
///
/// The order is fixed: reserve a slot in the rate windows → wait for it → write the intent
/// (only the people whose claims are still this run's) → send at once, through the fence →
/// record the answer → finish. Nobody is `pending` while a window or a `Retry-After` is waited
/// for: an answer that says nothing was carried out (429, 503, a connection that never opened)
/// takes the intents back to claims first, and the loop starts again from the reservation. A
/// request held back at its fence (the process was stopped past its lease between the intent
/// and the request) is such an answer too: the intents go back to claims where nobody else
/// judged them meanwhile, and the others are lost — never sent by this run. The ``Sender``
/// carries the actions out; `invite`, `add-users` and `reconcile` only hand it operations.
struct SendMachine {
  /// Where the send is.
  enum State: Equatable {
    case start
    case reserving
    case waitingForSlot(StateReservation)
    case intending(StateReservation)
    case sending(StateReservation)
    case withdrawing(then: Retry)
    case waitingToRetry
    case recording
    case finished
  }

  /// What happens after an answer that carried out nothing.
  enum Retry: Equatable {
    /// Every request of the key waits until then (the server asked: 429, 503).
    case pause(until: Double)
    /// This request backs off until then (a connection that never opened).
    case backOff(until: Double)
    /// The server found the request too large: send its people in halves.
    case split
    /// The request was held back at its fence: confirm the people again (a new intent) and
    /// send at the next slot.
    case reconfirm
    /// Held back at its fence on every try: give up, nothing sent.
    case exhausted
  }

  /// What the ``Sender`` tells the machine.
  enum Event {
    case begin
    case reserved(StateReservation)
    case slotReached
    case intended(moved: Set<Int64>)
    case answered(Answer, at: Double)
    /// The intents that are this run's claims again (the rest were judged by another process).
    case withdrawn(kept: Set<Int64>)
    case retryReady
    /// The outcomes are recorded; those of these claims on entries of their own (their intents
    /// had been taken over).
    case recorded(conflicts: Set<Int64>)
    /// The step failed: the state could not be reached or written, or an interrupt came.
    case failed(Failure)
  }

  /// Why a step failed.
  enum Failure {
    case interrupted
    case state(any Error)
  }

  /// Why nothing was sent.
  enum NotSent {
    /// Sending stopped first (Ctrl-C or SIGTERM, or a refused key earlier in the run).
    case stopped(StopReason)
    /// The state could not be reached or written (the message says why).
    case stateFailed(String)
    /// Held back at its fence on every try (the process kept being stopped past its lease).
    case withheld
  }

  /// What the ``Sender`` must do next.
  enum Action {
    case reserve
    case waitForSlot(StateReservation)
    case intend([Int64])
    case send(StateReservation, [Int64])
    case withdraw([Int64])
    case pause(until: Double, reason: String)
    case wait(until: Double, reason: String)
    case record([PersonOutcome], request: Int)
    /// Give the slot back (nobody is sent with it), then finish.
    case cancel(StateReservation, Conclusion)
    case finish(Conclusion)
  }

  /// How the send ended.
  enum Conclusion {
    /// Each person's outcome, as the journal has it (those no longer this run's are `lost`),
    /// and whether nothing more may be sent.
    case answered([PersonOutcome], lost: [Int64], stop: StopReason?)
    /// Nothing was sent: the claims `held` are still this run's (the caller gives them back);
    /// those `lost` were taken over meanwhile.
    case notSent(NotSent, held: [Int64], lost: [Int64])
    /// The people went back to claims: send those still held in smaller requests (the others
    /// were lost meanwhile).
    case split(largest: Int, held: [Int64], lost: [Int64])
  }

  private(set) var state = State.start
  /// The people still this run's (claims, or intents while a request is out), in order.
  private var held: [Int64]
  /// The number the run gave this request.
  let number: Int
  /// When to try again.
  let retry: RetryRule
  /// The operation, for reading a failure that is final after all.
  let operation: SendOperation
  private var attempts = 0
  /// The claims that became intents (the people the request carries).
  private var sending: [Int64] = []
  private var lost: [Int64] = []
  private var outcomes: [PersonOutcome] = []
  private var stop: StopReason?

  init(operation: SendOperation, number: Int, retry: RetryRule) {
    self.operation = operation
    self.held = operation.claims
    self.number = number
    self.retry = retry
  }

  /// The next action after `event`.
  mutating func next(_ event: Event) -> Action {
    switch (state, event) {
    case (.start, .begin), (.waitingToRetry, .retryReady):
      state = .reserving
      return .reserve

    case (.reserving, .reserved(let reservation)):
      state = .waitingForSlot(reservation)
      return .waitForSlot(reservation)

    case (.waitingForSlot(let reservation), .slotReached):
      state = .intending(reservation)
      return .intend(held)

    case (.intending(let reservation), .intended(let moved)):
      sending = held.filter { moved.contains($0) }
      lost += held.filter { !moved.contains($0) }
      held = sending
      guard !sending.isEmpty else {
        state = .finished
        return .cancel(reservation, .answered([], lost: lost, stop: nil))
      }
      state = .sending(reservation)
      return .send(reservation, sending)

    case (.sending, .answered(let answer, let now)):
      return read(answer, now: now)

    case (.withdrawing(let retry), .withdrawn(let kept)):
      lost += sending.filter { !kept.contains($0) }
      held = sending.filter { kept.contains($0) }
      guard !held.isEmpty else {
        state = .finished
        return .finish(.answered([], lost: lost, stop: stop))
      }
      switch retry {
      case .pause(let until):
        state = .waitingToRetry
        return .pause(until: until, reason: "the server asked to wait")
      case .backOff(let until):
        state = .waitingToRetry
        return .wait(until: until, reason: "could not connect")
      case .split:
        state = .finished
        return .finish(.split(largest: max(1, (held.count + 1) / 2), held: held, lost: lost))
      case .reconfirm:
        state = .reserving
        return .reserve
      case .exhausted:
        state = .finished
        return .finish(.notSent(.withheld, held: held, lost: lost))
      }

    case (.recording, .recorded(let conflicts)):
      state = .finished
      return .finish(
        .answered(
          outcomes.map { conflicts.contains($0.claim) ? $0.takenOver() : $0 }, lost: lost, stop: stop))

    // Failures, step by step.
    case (.reserving, .failed(let failure)), (.waitingToRetry, .failed(let failure)):
      state = .finished
      return .finish(notSent(failure))
    case (.waitingForSlot(let reservation), .failed(let failure)), (.intending(let reservation), .failed(let failure)):
      state = .finished
      return .cancel(reservation, notSent(failure))
    case (.withdrawing, .failed(let failure)):
      // Nothing reached the server, but the intents stand: the journal holds these people in
      // doubt (until a reconcile looks), so their results must say so too.
      state = .finished
      let error = APIFailure.describe(failure)
      return .finish(
        .answered(
          sending.map { claim in
            PersonOutcome(
              claim: claim, status: .unknown,
              fields: [
                (
                  "error",
                  .error(
                    code: .journalError,
                    message: "not sent, but the journal could not take the intent back (\(error)); it may hold "
                      + "this person in doubt: run reconcile once the state is back")
                ), ("request", .number(number)),
              ], journal: JournalOutcome(id: claim, state: .unknown, error: .journalError))
          }, lost: lost, stop: stop))
    case (.recording, .failed(let failure)):
      state = .finished
      let error = APIFailure.describe(failure)
      return .finish(.answered(outcomes.map { $0.unrecorded(error) }, lost: lost, stop: stop))

    default:
      preconditionFailure("send: event \(event) in state \(state)")
    }
  }

  /// An answer: record it, or take the intents back and try again.
  private mutating func read(_ answer: Answer, now: Double) -> Action {
    switch answer {
    case .final(let all, let stop):
      self.stop = stop
      let sent = Set(sending)
      outcomes = all.filter { sent.contains($0.claim) }
      state = .recording
      return .record(outcomes, request: number)
    case .withheld:
      attempts += 1
      state = .withdrawing(then: attempts <= retry.policy.attemptsPerRequest ? .reconfirm : .exhausted)
      return .withdraw(sending)
    case .tooLarge:
      state = .withdrawing(then: .split)
      return .withdraw(sending)
    case .notCarriedOut(let error):
      attempts += 1
      switch retry.decide(error, attempt: attempts, now: now) {
      case .giveUp:
        return read(Answer.exhausted(error, to: operation, number: number), now: now)
      case .pause(let until):
        state = .withdrawing(then: .pause(until: until))
      case .backOff(let until):
        state = .withdrawing(then: .backOff(until: until))
      }
      return .withdraw(sending)
    }
  }

  private func notSent(_ failure: Failure) -> Conclusion {
    switch failure {
    case .interrupted: .notSent(.stopped(.interrupted), held: held, lost: lost)
    case .state(let error):
      .notSent(.stateFailed("not sent: the journal could not be written (\(error))"), held: held, lost: lost)
    }
  }
}
