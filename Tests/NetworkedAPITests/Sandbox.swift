import NetworkedAPI
import NetworkedSimulator
import Synchronization
import TestSupport

/// A simulator on loopback with a client pointed at it, over real HTTP.
struct Sandbox {
  static let key = "test-key-0123456789"
  let simulator: NetworkedSimulator
  let client: NetworkedClient
  let clock: ManualClock

  /// Runs `body` against a fresh simulator; it always shuts down afterwards.
  static func run<T>(
    timeout: Double = 10, configure: (inout SimulatorConfiguration) -> Void = { _ in },
    _ body: (Sandbox) async throws -> T
  ) async throws -> T {
    let clock = ManualClock()
    var configuration = SimulatorConfiguration(apiKey: key)
    configuration.now = { clock.now }
    configure(&configuration)
    return try await NetworkedSimulator.with(configuration) { simulator in
      let client = NetworkedClient(
        baseURL: try BaseURL(simulator.baseURL), key: APIKey(key)!, transport: HTTPClientTransport(timeout: timeout))
      return try await body(Sandbox(simulator: simulator, client: client, clock: clock))
    }
  }

  /// A client for the same simulator with another key.
  func client(key: String) throws -> NetworkedClient {
    NetworkedClient(baseURL: try BaseURL(simulator.baseURL), key: APIKey(key)!)
  }
}

enum Roles {
  static let admin = "67959032bc6bea0012fdc675"
  static let contributor = "67959032bc6bea0012fdc677"
}
