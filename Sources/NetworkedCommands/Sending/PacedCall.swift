import NetworkedAPI
import ShellCore

/// A request that changes nothing on the server (roles, members, plans, `api`): paced like
/// every other request of the key, tried again when the server did not carry it out, and not
/// journalled.
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
    var attempt = 0
    while true {
      // A key already refused is not tried again; nor is an API found unreachable in this run.
      if connection.sendingForbidden {
        throw connection.stops.refusal
          ?? .transport(sent: false, reason: "not sent: the API could not be reached (stopped trying)")
      }
      let reservation: StateReservation
      do {
        reservation = try pacer.reserve(method: method, path: path)
      } catch {
        throw NetworkedAPIError.transport(sent: false, reason: "the state database failed: \(error)")
      }
      do {
        try pacer.wait(for: reservation, method: method, path: path, interruption: interruption)
      } catch {
        pacer.cancel(reservation)
        throw NetworkedAPIError.transport(sent: false, reason: "interrupted before sending", cancelled: true)
      }
      let result = Result { () throws(NetworkedAPIError) in
        try Blocking.run { () async throws(NetworkedAPIError) in try await body(client) }
      }
      switch result {
      case .success(let value):
        pacer.complete(reservation, status: 200)
        connection.stops.answered(in: connection.runInProgress)
        return value
      case .failure(let error):
        let neverConnected = error.code == .transport && !error.requestWasSent && !error.cancelled
        if neverConnected {
          // Nothing reached the server: the slot costs nothing.
          pacer.cancel(reservation)
          if connection.couldNotConnect(error) { throw error }
        } else {
          pacer.complete(reservation, status: error.status)
          // Only an answer proves the API reachable (not a request cancelled or held back).
          if error.status != nil { connection.stops.answered(in: connection.runInProgress) }
        }
        if error.code == .unauthorized || error.code == .forbidden {
          connection.keyRefused(error)
          throw error
        }
        attempt += 1
        switch connection.retryRule.decide(error, attempt: attempt, now: clock.now) {
        case .giveUp:
          throw error
        case .pause(let until):
          try? pacer.pause(until: until, reason: "HTTP \(error.status.map(String.init) ?? "?")")
        case .backOff(let until):
          pacer.notify(.retrying(at: until, reason: error.message))
          do {
            try clock.wait(until: until, interruption: interruption)
          } catch {
            throw NetworkedAPIError.transport(sent: false, reason: "interrupted before sending", cancelled: true)
          }
        }
      }
    }
  }
}
