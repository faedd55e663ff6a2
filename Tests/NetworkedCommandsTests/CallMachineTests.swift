import Foundation
import Testing

@testable import NetworkedAPI
@testable import NetworkedCommands

/// The paced request that changes nothing (roles, members, plans, `api` GET), as the send
/// machine is tested: events in, actions out, every state, no I/O.
@Suite("the call machine: every state, each event, the action it asks for")
struct CallMachineTests {
  static let slot = StateReservation(id: 7, at: 100)

  static func machine(attempts: Int = 5, budget: Int = 30) -> CallMachine {
    var policy = RetryPolicy()
    policy.attemptsPerRequest = attempts
    return CallMachine(retry: RetryRule(policy: policy, budget: RetryBudget(budget), jitter: { 0.5 }))
  }

  static let rateLimited = NetworkedAPIError(
    code: .rateLimited, status: 429, message: "slow down", retryAfter: .seconds(30))
  static let unavailable = NetworkedAPIError(code: .serverError, status: 503, message: "down")
  static let serverError = NetworkedAPIError(code: .serverError, status: 500, message: "boom")
  static let refusedKey = NetworkedAPIError(code: .unauthorized, status: 401, message: "bad key")
  static let noConnection = NetworkedAPIError.transport(sent: false, reason: "connection refused")
  static let lostAnswer = NetworkedAPIError.transport(sent: true, reason: "connection reset")

  /// An action as text, for comparing.
  static func text(_ action: CallMachine.Action) -> String {
    switch action {
    case .reserve: "reserve"
    case .waitForSlot(let slot): "waitForSlot(\(slot.id))"
    case .call(let slot): "call(\(slot.id))"
    case .settle(let slot, let settlement):
      "settle(\(slot.id), \(settlement.slot == .cancel ? "cancel" : "complete \(text(settlement.slot))")"
        + (settlement.answered ? ", answered" : "") + (settlement.keyRefused ? ", key refused" : "")
        + (settlement.connectionFailed ? ", no connection" : "") + ")"
    case .pause(let until, let reason): "pause(until: \(Int(until)), \(reason))"
    case .wait(let until, _): "wait(until: \(Int(until * 100)) cs)"
    case .cancel(let slot, let error): "cancel(\(slot.id), \(error.message))"
    case .finish(nil): "finish(value)"
    case .finish(let error?): "finish(\(error.status.map(String.init) ?? error.message))"
    }
  }

  static func text(_ slot: CallMachine.Settlement.Slot) -> String {
    if case .complete(let status) = slot { return status.map(String.init) ?? "no status" }
    return "cancel"
  }

  static func walk(_ machine: inout CallMachine, _ events: [CallMachine.Event]) -> [String] {
    events.map { text(machine.next($0)) }
  }

  static let toTheCall: [CallMachine.Event] = [.begin(stopped: nil), .reserved(slot), .slotReached]

  @Test("start → reserving → waiting for the slot → calling → settling → finished with the value")
  func happyPath() {
    var machine = Self.machine()
    let actions = Self.walk(&machine, Self.toTheCall + [.succeeded, .settled(unreachable: false, at: 100)])
    #expect(actions == ["reserve", "waitForSlot(7)", "call(7)", "settle(7, complete 200, answered)", "finish(value)"])
    #expect(machine.state == .finished)
  }

  @Test("sending already stopped in this run (a refused key, an unreachable API): no slot, the stop's error")
  func stoppedBefore() {
    var machine = Self.machine()
    #expect(Self.walk(&machine, [.begin(stopped: Self.refusedKey)]) == ["finish(401)"])
    #expect(machine.state == .finished)
  }

  @Test("429 and 503: the slot counts, the key pauses for Retry-After (or the default), then from the check again")
  func pausesTheKey() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheCall + [
        .failed(Self.rateLimited), .settled(unreachable: false, at: 100), .retryReady(stopped: nil),
        .reserved(Self.slot), .slotReached, .failed(Self.unavailable), .settled(unreachable: false, at: 200),
        .retryReady(stopped: nil), .reserved(Self.slot), .slotReached, .succeeded,
        .settled(unreachable: false, at: 100),
      ])
    #expect(
      actions == [
        "reserve", "waitForSlot(7)", "call(7)", "settle(7, complete 429, answered)", "pause(until: 130, HTTP 429)",
        "reserve", "waitForSlot(7)", "call(7)", "settle(7, complete 503, answered)", "pause(until: 260, HTTP 503)",
        "reserve", "waitForSlot(7)", "call(7)", "settle(7, complete 200, answered)", "finish(value)",
      ])
  }

  @Test("the wait counts from when the slot was settled, however long settling took (a store reconnecting)")
  func waitFromSettling() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine, Self.toTheCall + [.failed(Self.rateLimited), .settled(unreachable: false, at: 175)])
    #expect(actions.last == "pause(until: 205, HTTP 429)")
  }

  @Test("no connection: the slot is given back, this request backs off (doubling); the API found unreachable stops it")
  func noConnection() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheCall + [
        .failed(Self.noConnection), .settled(unreachable: false, at: 100), .retryReady(stopped: nil),
        .reserved(Self.slot), .slotReached, .failed(Self.noConnection), .settled(unreachable: true, at: 200),
      ])
    // Back-off 1 s, then 2 s, × (0.5 + 0.5 × jitter 0.5).
    #expect(
      actions == [
        "reserve", "waitForSlot(7)", "call(7)", "settle(7, cancel, no connection)", "wait(until: 10075 cs)",
        "reserve", "waitForSlot(7)", "call(7)", "settle(7, cancel, no connection)", "finish(connection refused)",
      ])
  }

  @Test("a refused key: the slot counts, the key is marked refused, final at once")
  func refusedKey() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine, Self.toTheCall + [.failed(Self.refusedKey), .settled(unreachable: false, at: 100)])
    #expect(actions.suffix(2) == ["settle(7, complete 401, answered, key refused)", "finish(401)"])
  }

  @Test("final failures: a 500, and an answer lost after the request went out, are not tried again")
  func finalFailures() {
    for (error, settled, finished) in [
      (Self.serverError, "settle(7, complete 500, answered)", "finish(500)"),
      (Self.lostAnswer, "settle(7, complete no status)", "finish(connection reset)"),
    ] {
      var machine = Self.machine()
      let actions = Self.walk(&machine, Self.toTheCall + [.failed(error), .settled(unreachable: false, at: 100)])
      #expect(actions.suffix(2) == [settled, finished])
    }
  }

  @Test("attempts and the run's retry budget: once spent, the failure is final")
  func attemptsAndBudget() {
    var limited = Self.machine(attempts: 1)
    let once = Self.walk(
      &limited,
      Self.toTheCall + [
        .failed(Self.rateLimited), .settled(unreachable: false, at: 100), .retryReady(stopped: nil),
        .reserved(Self.slot), .slotReached, .failed(Self.rateLimited), .settled(unreachable: false, at: 130),
      ])
    #expect(once.suffix(3) == ["call(7)", "settle(7, complete 429, answered)", "finish(429)"])
    var broke = Self.machine(budget: 0)
    let none = Self.walk(&broke, Self.toTheCall + [.failed(Self.rateLimited), .settled(unreachable: false, at: 100)])
    #expect(none.last == "finish(429)")
  }

  @Test("stopped while waiting to retry (another request's key refusal): the stop's error, no new slot")
  func stoppedWhileWaiting() {
    var machine = Self.machine()
    let actions = Self.walk(
      &machine,
      Self.toTheCall + [
        .failed(Self.rateLimited), .settled(unreachable: false, at: 100), .retryReady(stopped: Self.refusedKey),
      ])
    #expect(actions.last == "finish(401)")
  }

  @Test("failed steps: the state at the reservation, an interrupt at the slot (given back) or in the back-off")
  func failedSteps() {
    var reserving = Self.machine()
    let state = Self.walk(&reserving, [.begin(stopped: nil), .stepFailed(.state(CocoaError(.fileWriteNoPermission)))])
    #expect(state.last?.hasPrefix("finish(the state database failed") == true, "\(state)")
    var waiting = Self.machine()
    #expect(
      Self.walk(&waiting, [.begin(stopped: nil), .reserved(Self.slot), .stepFailed(.interrupted)]).last
        == "cancel(7, interrupted before sending)")
    var backingOff = Self.machine()
    let interrupted = Self.walk(
      &backingOff,
      Self.toTheCall + [.failed(Self.noConnection), .settled(unreachable: false, at: 100), .stepFailed(.interrupted)])
    #expect(interrupted.last == "finish(interrupted before sending)")
    #expect(backingOff.state == .finished)
  }
}
