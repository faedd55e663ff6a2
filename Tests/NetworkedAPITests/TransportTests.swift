import Foundation
import NetworkedAPI
import NetworkedSimulator
import Synchronization
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The HTTP transport itself: connections reused, connect failures told from failures after
/// sending.
@Suite("HTTP transport")
struct TransportTests {
  @Test("keep-alive: requests in a row share one connection")
  func keepAlive() async throws {
    try await Sandbox.run { sandbox in
      // An idle timeout longer than any pause a busy test machine makes between the requests.
      let client = NetworkedClient(
        baseURL: try BaseURL(sandbox.simulator.baseURL), key: APIKey(Sandbox.key)!,
        transport: HTTPClientTransport(idleTimeout: 120))
      for _ in 0..<5 { _ = try await client.roles() }
      #expect(sandbox.simulator.requestCount == 5)
      // One connection, reused. On a machine busy enough (every suite at once on 2 cores, with
      // gojq's cases spawning processes) a second has been seen, the next request apparently
      // starting before the first connection was back in AsyncHTTPClient's pool; never one each.
      #expect(sandbox.simulator.connectionCount <= 2, "\(sandbox.simulator.connectionCount) connections for 5 requests")
    }
  }

  @Test("a connection that is never accepted times out connecting: not sent, and told apart from a read timeout")
  func connectTimeout() async throws {
    // A listener whose queue is full: the kernel drops further connection attempts, so a
    // connect neither succeeds nor is refused.
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    #expect(listen(listener, 0) == 0)
    var fillers: [Int32] = []
    defer { for fd in fillers { close(fd) } }
    for _ in 0..<3 {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      fillers.append(fd)
    }
    let port = Int(UInt16(bigEndian: address.sin_port))
    let client = NetworkedClient(
      baseURL: try BaseURL("http://127.0.0.1:\(port)"), key: APIKey("k")!,
      transport: HTTPClientTransport(connectTimeout: 0.5, timeout: 30))
    do throws(NetworkedAPIError) {
      _ = try await client.roles()
      Issue.record("expected a transport error")
    } catch {
      #expect(error.code == .transport)
      #expect(!error.requestWasSent, "\(error.message)")
      #expect(!error.timedOut)
    }
  }
}

/// The gate: the last check before a request may reach the server.
@Suite("send gate (real transport, simulator)")
struct SendGateTests {
  static func invitee(_ index: Int) -> Invitee {
    Invitee(name: "P \(index)", email: "p\(index)@example.org", tagId: "69baa36beddb9f0012fdf101")
  }

  @Test("closed: asked once, the body never completes, the server acts on nothing, and the call is withheld, not sent")
  func closed() async throws {
    try await Sandbox.run { sandbox in
      let asked = Mutex(0)
      let gate = SendGate {
        asked.withLock { $0 += 1 }
        return false
      }
      do {
        _ = try await sandbox.client.invite([Self.invitee(0)], gate: gate)
        Issue.record("a request whose gate was closed was sent")
      } catch let error as NetworkedAPIError {
        #expect(error.code == .withheld && !error.requestWasSent, "\(error)")
      }
      #expect(asked.withLock { $0 } == 1)
      #expect(sandbox.simulator.ledger.isEmpty)
      // The server saw a head and all but one byte of a body, and never a whole request.
      #expect(sandbox.simulator.requestCount == 0)
      // The connection is not reused half-written: the next request goes through whole.
      _ = try await sandbox.client.invite([Self.invitee(1)], gate: SendGate { true })
      #expect(sandbox.simulator.ledger.map(\.email) == ["p1@example.org"])
    }
  }

  @Test("open: asked once per request; the time from the gate's answer to the server's whole answer, on loopback")
  func window() async throws {
    try await Sandbox.run(configure: { $0.rateWindows = [] }) { sandbox in
      for size in [1, 100] {
        var gaps: [Duration] = []
        for request in 0..<100 {
          let asked = Mutex<[ContinuousClock.Instant]>([])
          let people = (0..<size).map { Self.invitee(size * 1000 + request * size + $0) }
          _ = try await sandbox.client.invite(
            people,
            gate: SendGate {
              asked.withLock { $0.append(.now) }
              return true
            })
          let times = asked.withLock { $0 }
          #expect(times.count == 1, "the gate is asked once")
          if let time = times.first { gaps.append(.now - time) }
        }
        let sorted = gaps.sorted()
        print(
          "gate to answer, 100 requests of \(size) invitee(s) on loopback: median \(sorted[50]), "
            + "99th percentile \(sorted[98]), longest \(sorted[99])")
      }
      #expect(sandbox.simulator.ledger.count == 100 + 100 * 100)
    }
  }
}
