import NetworkedAPI
import ShellCore

/// A request that changes nothing on the server (roles, members, plans, `api`): paced like
/// every other request of the key, tried again when the server did not carry it out, and not
/// journalled. The rules are ``CallMachine``'s; this carries its actions out.
enum PacedCall {
  /// Runs `body` with the client once its slot comes; tries again after a 429, a 503 or a
  /// failed connection as ``RetryRule`` allows; throws the final failure (a
  /// ``NetworkedAPIError``), or the connection's own error when there is no key or no state.
  static func run<T: Sendable>(
    _ connection: NetworkedConnection, method: String, path: String,
    _ body: @escaping @Sendable (NetworkedClient) async throws(NetworkedAPIError) -> T
  ) throws -> T {
    let pacer = try connection.pacer()
    let client = try connection.client()
    let interruption = connection.interruption
    let clock = connection.configuration.clock
    var machine = CallMachine(retry: connection.retryRule)
    var value: T?
    var action = machine.next(.begin(stopped: stopped(connection)))
    while true {
      switch action {
      case .reserve:
        do {
          action = machine.next(.reserved(try pacer.reserve(method: method, path: path)))
        } catch {
          action = machine.next(.stepFailed(.state(error)))
        }
      case .waitForSlot(let reservation):
        do {
          try pacer.wait(for: reservation, method: method, path: path, interruption: interruption)
          action = machine.next(.slotReached)
        } catch {
          action = machine.next(.stepFailed(.interrupted))
        }
      case .call:
        do throws(NetworkedAPIError) {
          value = try Blocking.run { () async throws(NetworkedAPIError) in try await body(client) }
          action = machine.next(.succeeded)
        } catch {
          action = machine.next(.failed(error))
        }
      case .settle(let reservation, let settlement):
        switch settlement.slot {
        case .complete(let status): pacer.complete(reservation, status: status)
        case .cancel: pacer.cancel(reservation)
        }
        if settlement.answered { connection.stops.answered(in: connection.runInProgress) }
        var unreachable = false
        if let failure = settlement.failure {
          if settlement.keyRefused { connection.keyRefused(failure) }
          if settlement.connectionFailed { unreachable = connection.couldNotConnect(failure) }
        }
        action = machine.next(.settled(unreachable: unreachable, at: clock.now))
      case .pause(let until, let reason):
        try? pacer.pause(until: until, reason: reason)
        action = machine.next(.retryReady(stopped: stopped(connection)))
      case .wait(let until, let reason):
        pacer.notify(.retrying(at: until, reason: reason))
        do {
          try clock.wait(until: until, interruption: interruption)
          action = machine.next(.retryReady(stopped: stopped(connection)))
        } catch {
          action = machine.next(.stepFailed(.interrupted))
        }
      case .cancel(let reservation, let error):
        pacer.cancel(reservation)
        throw error
      case .finish(let error?):
        throw error
      case .finish(nil):
        guard let value else { preconditionFailure("paced call: finished without a value") }
        return value
      }
    }
  }

  /// The error sending stopped with earlier in the run: a key already refused, or an API found
  /// unreachable (not tried again in this run).
  private static func stopped(_ connection: NetworkedConnection) -> NetworkedAPIError? {
    guard connection.sendingForbidden else { return nil }
    return connection.stops.refusal
      ?? .transport(sent: false, reason: "not sent: the API could not be reached (stopped trying)")
  }
}
