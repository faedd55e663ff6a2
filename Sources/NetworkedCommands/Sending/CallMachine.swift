import NetworkedAPI
import ShellCore

/// The rules of one paced request that changes nothing on the server (roles, members, plans,
/// `api` GET), without any I/O: after each event, what to do next. The sibling of
/// ``SendMachine`` for requests that are not journalled: the same slots in the same rate
/// windows, and the same ``RetryRule`` for answers that carried nothing out.
///
/// The order: finish at once when sending stopped earlier in the run (a refused key, an API
/// found unreachable) → reserve a slot → wait for it → call → settle the slot with what the
/// answer proves (a connection that never opened costs nothing; an answer proves the API
/// reachable; a refused key stops every later request) → finish, or pause (429, 503) or back
/// off (no connection) and start again from the check. ``PacedCall`` carries the actions out.
struct CallMachine {
  /// Where the call is.
  enum State: Equatable {
    case start
    case reserving
    case waitingForSlot(StateReservation)
    case calling(StateReservation)
    /// The answer is being settled: nil for a value, else the failure.
    case settling(NetworkedAPIError?)
    case waitingToRetry
    case finished
  }

  /// What ``PacedCall`` tells the machine.
  enum Event {
    /// Start, with the error sending stopped with earlier in the run, if it did.
    case begin(stopped: NetworkedAPIError?)
    case reserved(StateReservation)
    case slotReached
    /// The request returned a value.
    case succeeded
    /// The request failed.
    case failed(NetworkedAPIError)
    /// The slot is settled, at `now` (seconds since 1970: a wait for the answer's `Retry-After`
    /// or back-off counts from here, after whatever settling took); `unreachable` when the
    /// failure made the API count as unreachable (the run stops trying).
    case settled(unreachable: Bool, at: Double)
    /// The wait before trying again is over, with the error sending stopped with meanwhile.
    case retryReady(stopped: NetworkedAPIError?)
    /// The step failed: the state could not be reached or written, or an interrupt came.
    case stepFailed(SendMachine.Failure)
  }

  /// What an answer proves, for ``PacedCall`` to record.
  struct Settlement {
    /// How the slot ends.
    enum Slot: Equatable {
      /// The request reached the server: it counts in the windows, with the answer's status.
      case complete(status: Int?)
      /// Nothing reached the server: the slot costs nothing.
      case cancel
    }
    var slot: Slot
    /// An answer came back, so the API is reachable (not so for a request cancelled or held back).
    var answered: Bool
    /// The failure, when the request failed.
    var failure: NetworkedAPIError?
    /// The key was refused (401, 403): every later request fails at once and the run stops.
    var keyRefused: Bool { failure.map(CallMachine.refusesKey) ?? false }
    /// No connection was made: whether the API now counts as unreachable is the connection's to say.
    var connectionFailed: Bool { slot == .cancel }
  }

  /// What ``PacedCall`` must do next.
  enum Action {
    case reserve
    case waitForSlot(StateReservation)
    case call(StateReservation)
    case settle(StateReservation, Settlement)
    /// Every request of the key waits until then (the server asked).
    case pause(until: Double, reason: String)
    /// This request waits until then (no connection).
    case wait(until: Double, reason: String)
    /// Give the slot back, then fail with the error.
    case cancel(StateReservation, NetworkedAPIError)
    /// Return the value (nil) or throw the error.
    case finish(NetworkedAPIError?)
  }

  /// An interrupt (Ctrl-C, SIGTERM) before the request went out.
  static let interrupted = NetworkedAPIError.transport(
    sent: false, reason: "interrupted before sending", cancelled: true)

  private(set) var state = State.start
  /// When to try again.
  let retry: RetryRule
  private var attempts = 0

  init(retry: RetryRule) {
    self.retry = retry
  }

  /// The next action after `event`.
  mutating func next(_ event: Event) -> Action {
    switch (state, event) {
    case (.start, .begin(let stopped?)), (.waitingToRetry, .retryReady(let stopped?)):
      state = .finished
      return .finish(stopped)
    case (.start, .begin(nil)), (.waitingToRetry, .retryReady(nil)):
      state = .reserving
      return .reserve

    case (.reserving, .reserved(let reservation)):
      state = .waitingForSlot(reservation)
      return .waitForSlot(reservation)

    case (.waitingForSlot(let reservation), .slotReached):
      state = .calling(reservation)
      return .call(reservation)

    case (.calling(let reservation), .succeeded):
      state = .settling(nil)
      return .settle(reservation, Settlement(slot: .complete(status: 200), answered: true))

    case (.calling(let reservation), .failed(let error)):
      let neverConnected = error.code == .transport && !error.requestWasSent && !error.cancelled
      let settlement =
        neverConnected
        ? Settlement(slot: .cancel, answered: false, failure: error)
        : Settlement(slot: .complete(status: error.status), answered: error.status != nil, failure: error)
      state = .settling(error)
      return .settle(reservation, settlement)

    case (.settling(nil), .settled):
      state = .finished
      return .finish(nil)
    case (.settling(let error?), .settled(let unreachable, let now)):
      guard !unreachable, !Self.refusesKey(error) else {
        state = .finished
        return .finish(error)
      }
      attempts += 1
      switch retry.decide(error, attempt: attempts, now: now) {
      case .giveUp:
        state = .finished
        return .finish(error)
      case .pause(let until):
        state = .waitingToRetry
        return .pause(until: until, reason: "HTTP \(error.status.map(String.init) ?? "?")")
      case .backOff(let until):
        state = .waitingToRetry
        return .wait(until: until, reason: error.message)
      }

    // Failures, step by step.
    case (.reserving, .stepFailed(let failure)), (.waitingToRetry, .stepFailed(let failure)):
      state = .finished
      return .finish(Self.error(failure))
    case (.waitingForSlot(let reservation), .stepFailed(let failure)):
      state = .finished
      return .cancel(reservation, Self.error(failure))

    default:
      preconditionFailure("paced call: event \(event) in state \(state)")
    }
  }

  /// Whether `error` says the key was refused (401, 403): final, and every later request fails.
  static func refusesKey(_ error: NetworkedAPIError) -> Bool {
    error.code == .unauthorized || error.code == .forbidden
  }

  private static func error(_ failure: SendMachine.Failure) -> NetworkedAPIError {
    switch failure {
    case .interrupted: interrupted
    case .state(let error): .transport(sent: false, reason: "the state database failed: \(error)")
    }
  }
}
