import Foundation
import JQ
import ShellCore
import Testing

@testable import NetworkedAPI
@testable import NetworkedCommands

/// The send protocol as AsyncHTTPClient tests its connection pool: events in, actions out,
/// every state, no I/O. Each test walks the machine through a path and compares the actions it
/// asks for, written out as text.
@Suite("the send machine: every state, each event, the action it asks for")
struct SendMachineTests {
  static let slot = StateReservation(id: 7, at: 100)
  static let number = 4

  static func machine(people: [Int64] = [1, 2, 3], attempts: Int = 5, budget: Int = 30) -> SendMachine {
    let invitees = people.map { Invitee(name: "P\($0)", email: "p\($0)@example.org", tagId: "t") }
    var policy = RetryPolicy()
    policy.attemptsPerRequest = attempts
    return SendMachine(
      operation: SendOperation(request: .invite(invitees, planIds: nil), claims: people), number: number,
      retry: RetryRule(policy: policy, budget: RetryBudget(budget), jitter: { 0.5 }))
  }

  static func invited(_ claims: [Int64]) -> Answer {
    .final(
      claims.map {
        PersonOutcome(
          claim: $0, status: .invited, fields: [("inviteId", .string("i\($0)"))],
          journal: JournalOutcome(id: $0, state: .invited, inviteId: "i\($0)"))
      }, stop: nil)
  }

  static let rateLimited = NetworkedAPIError(
    code: .rateLimited, status: 429, message: "slow down", retryAfter: .seconds(30))
  static let refused = NetworkedAPIError.transport(sent: false, reason: "connection refused")
  static let withheld = NetworkedAPIError.withheld("held back")

  /// An action as text, for comparing.
  static func text(_ action: SendMachine.Action) -> String {
    switch action {
    case .reserve: "reserve"
    case .waitForSlot(let slot): "waitForSlot(\(slot.id))"
    case .intend(let claims): "intend(\(claims))"
    case .send(let slot, let claims): "send(\(slot.id), \(claims))"
    case .withdraw(let claims): "withdraw(\(claims))"
    case .pause(let until, _): "pause(until: \(Int(until)))"
    case .wait(let until, _): "wait(until: \(Int(until)))"
    case .record(let outcomes, let request): "record(\(text(outcomes)), request: \(request))"
    case .cancel(let slot, let conclusion): "cancel(\(slot.id), \(text(conclusion)))"
    case .finish(let conclusion): "finish(\(text(conclusion)))"
    }
  }

  static func text(_ outcomes: [PersonOutcome]) -> String {
    "["
      + outcomes.map { outcome in
        let code = outcome.fields.first { $0.0 == "error" }?.1["code"]?.stringValue
        return "\(outcome.claim): \(outcome.status.name)" + (code.map { " \($0)" } ?? "")
      }.joined(separator: ", ") + "]"
  }

  static func text(_ conclusion: SendMachine.Conclusion) -> String {
    switch conclusion {
    case .answered(let outcomes, let lost, let stop):
      "answered(\(text(outcomes)), lost: \(lost)" + (stop.map { ", stop: \($0)" } ?? "") + ")"
    case .notSent(let why, let held, let lost):
      "notSent(\(text(why)), held: \(held)" + (lost.isEmpty ? "" : ", lost: \(lost)") + ")"
    case .split(let largest, let held, let lost): "split(largest: \(largest), held: \(held), lost: \(lost))"
    }
  }

  static func text(_ why: SendMachine.NotSent) -> String {
    switch why {
    case .stopped(let reason): "stopped: \(reason)"
    case .stateFailed: "stateFailed"
    case .withheld: "withheld"
    }
  }

  /// Feeds `events` in order (the first answered by `.begin`), returning every action as text.
  static func walk(_ machine: inout SendMachine, _ events: [SendMachine.Event]) -> [String] {
    events.map { text(machine.next($0)) }
  }

  static let toTheRequest: [SendMachine.Event] = [.begin, .reserved(slot), .slotReached]

  @Test("start → reserving → waiting for the slot → intending → sending → recording → finished")
  func happyPath() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(Self.invited([1, 2, 3]), at: 100), .recorded(conflicts: []),
      ])
    #expect(
      actions == [
        "reserve", "waitForSlot(7)", "intend([1, 2, 3])", "send(7, [1, 2, 3])",
        "record([1: invited, 2: invited, 3: invited], request: 4)",
        "finish(answered([1: invited, 2: invited, 3: invited], lost: []))",
      ])
    #expect(machine.state == .finished)
  }

  @Test("intending: claims another process took are lost, the rest are sent; none left gives the slot back")
  func intending() {
    var some = Self.machine()
    #expect(
      Self.walk(&some, Self.toTheRequest + [.intended(moved: [1, 3])]).last == "send(7, [1, 3])")
    #expect(
      Self.walk(&some, [.answered(Self.invited([1, 2, 3]), at: 100), .recorded(conflicts: [])]) == [
        "record([1: invited, 3: invited], request: 4)", "finish(answered([1: invited, 3: invited], lost: [2]))",
      ])
    var none = Self.machine()
    #expect(
      Self.walk(&none, Self.toTheRequest + [.intended(moved: [])]).last == "cancel(7, answered([], lost: [1, 2, 3]))")
  }

  @Test("sending, held back at the fence: the intents go back to claims, the kept ones are confirmed and sent again")
  func withheld() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(Answer(.failure(Self.withheld), to: Self.operation, number: 4), at: 100),
        .withdrawn(kept: [1, 3]), .reserved(Self.slot), .slotReached, .intended(moved: [1, 3]),
        .answered(Self.invited([1, 3]), at: 101), .recorded(conflicts: []),
      ])
    #expect(
      actions == [
        "reserve", "waitForSlot(7)", "intend([1, 2, 3])", "send(7, [1, 2, 3])", "withdraw([1, 2, 3])", "reserve",
        "waitForSlot(7)", "intend([1, 3])", "send(7, [1, 3])", "record([1: invited, 3: invited], request: 4)",
        "finish(answered([1: invited, 3: invited], lost: [2]))",
      ])
  }

  @Test("held back with nobody kept: finished, everyone lost, nothing recorded")
  func withheldNobodyKept() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(.withheld, at: 100), .withdrawn(kept: []),
      ])
    #expect(actions.last == "finish(answered([], lost: [1, 2, 3]))")
    #expect(machine.state == .finished)
  }

  @Test("held back on every try: the intents go back to claims, and nothing is recorded as answered")
  func withheldEveryTime() {
    var machine = Self.machine(people: [1, 2], attempts: 2)
    var actions = Self.walk(&machine, Self.toTheRequest + [.intended(moved: [1, 2])])
    for _ in 0..<2 {
      actions += Self.walk(
        &machine, [.answered(.withheld, at: 100), .withdrawn(kept: [1, 2]), .reserved(Self.slot), .slotReached])
      actions += Self.walk(&machine, [.intended(moved: [1, 2])])
    }
    actions += Self.walk(&machine, [.answered(.withheld, at: 100), .withdrawn(kept: [2])])
    #expect(actions.suffix(2) == ["withdraw([1, 2])", "finish(notSent(withheld, held: [2], lost: [1]))"])
  }

  @Test("a failure after some were lost: the lost are reported lost, only the held as not sent")
  func failureAfterPartialLoss() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(.withheld, at: 100), .withdrawn(kept: [1]), .failed(.interrupted),
      ])
    #expect(actions.last == "finish(notSent(stopped: interrupted, held: [1], lost: [2, 3]))")
  }

  @Test("429: withdraw, pause the key, then from the reservation again; 503 the same")
  func rateLimited() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(.notCarriedOut(Self.rateLimited), at: 100),
        .withdrawn(kept: [1, 2, 3]), .retryReady, .reserved(Self.slot), .slotReached,
      ])
    #expect(
      actions.suffix(5) == [
        "withdraw([1, 2, 3])", "pause(until: 130)", "reserve", "waitForSlot(7)", "intend([1, 2, 3])",
      ])
  }

  @Test("a connection that never opened: withdraw, back off this request, again")
  func backOff() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(.notCarriedOut(Self.refused), at: 100), .withdrawn(kept: [2]),
        .retryReady, .reserved(Self.slot), .slotReached,
      ])
    // Back-off 1 s × (0.5 + 0.5 × jitter 0.5) after the first try.
    #expect(
      actions.suffix(5) == ["withdraw([1, 2, 3])", "wait(until: 100)", "reserve", "waitForSlot(7)", "intend([2])"])
  }

  @Test("a retry the budget refuses is final: recorded as not sent")
  func budgetSpent() {
    var machine = Self.machine(budget: 0)
    let actions = Self.walk(
      &machine, Self.toTheRequest + [.intended(moved: [1, 2, 3]), .answered(.notCarriedOut(Self.refused), at: 100)])
    #expect(actions.last == "record([1: failed not_sent, 2: failed not_sent, 3: failed not_sent], request: 4)")
  }

  @Test("413: withdraw, then split what is still held (the lost stay lost)")
  func tooLarge() {
    var machine = Self.machine()
    let error = NetworkedAPIError(code: .payloadTooLarge, status: 413, message: "too many")
    let actions = Self.walk(
      &machine, Self.toTheRequest + [.intended(moved: [1, 2, 3]), .answered(.tooLarge(error), at: 100)])
    #expect(actions.last == "withdraw([1, 2, 3])")
    #expect(Self.text(machine.next(.withdrawn(kept: [1, 3]))) == "finish(split(largest: 1, held: [1, 3], lost: [2]))")
  }

  @Test("recording: an answer whose intent another process took over is in doubt, journal_conflict")
  func recordedConflict() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1, 2, 3]), .answered(Self.invited([1, 2, 3]), at: 100), .recorded(conflicts: [2]),
      ])
    #expect(actions.last == "finish(answered([1: invited, 2: unknown journal_conflict, 3: invited], lost: []))")
  }

  @Test("failures in each state: nothing sent gives the slot back; an intent not taken back is in doubt")
  func failures() {
    let failure = SendMachine.Event.failed(.state(StateConflict(what: "testing")))
    var reserving = Self.machine()
    #expect(Self.walk(&reserving, [.begin, failure]).last == "finish(notSent(stateFailed, held: [1, 2, 3]))")
    var waiting = Self.machine()
    #expect(
      Self.walk(&waiting, [.begin, .reserved(Self.slot), .failed(.interrupted)]).last
        == "cancel(7, notSent(stopped: interrupted, held: [1, 2, 3]))")
    var intending = Self.machine()
    #expect(
      Self.walk(&intending, Self.toTheRequest + [failure]).last == "cancel(7, notSent(stateFailed, held: [1, 2, 3]))")
    var withdrawing = Self.machine()
    #expect(
      Self.walk(
        &withdrawing,
        Self.toTheRequest + [.intended(moved: [1, 2]), .answered(.notCarriedOut(Self.rateLimited), at: 100), failure]
      ).last == "finish(answered([1: unknown journal_error, 2: unknown journal_error], lost: [3]))")
    var retrying = Self.machine()
    #expect(
      Self.walk(
        &retrying,
        Self.toTheRequest + [
          .intended(moved: [1, 2, 3]), .answered(.notCarriedOut(Self.refused), at: 100), .withdrawn(kept: [1, 2, 3]),
          .failed(.interrupted),
        ]
      ).last == "finish(notSent(stopped: interrupted, held: [1, 2, 3]))")
    var recording = Self.machine()
    #expect(
      Self.walk(
        &recording, Self.toTheRequest + [.intended(moved: [1]), .answered(Self.invited([1, 2, 3]), at: 100), failure]
      ).last == "finish(answered([1: unknown journal_error], lost: [2, 3]))")
  }

  @Test("a refused key is final and stops the pipeline")
  func refusedKey() {
    var machine = Self.machine(people: [1])
    let error = NetworkedAPIError(code: .unauthorized, status: 401, message: "bad key")
    let actions = Self.walk(
      &machine,
      Self.toTheRequest + [
        .intended(moved: [1]), .answered(Answer(.failure(error), to: Self.operation, number: 4), at: 100),
        .recorded(conflicts: []),
      ])
    #expect(
      actions.suffix(2) == [
        "record([1: failed unauthorized], request: 4)",
        "finish(answered([1: failed unauthorized], lost: [], stop: authenticationFailed))",
      ])
  }

  static var operation: SendOperation { machine(people: [1]).operation }
}
