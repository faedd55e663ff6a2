import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The production transport: swift-server's AsyncHTTPClient (SwiftNIO, TLS through
/// swift-nio-ssl), which never sends a request a second time by itself.
///
/// Connections are kept alive and reused. A request written onto a connection the server had
/// just closed fails, and is reported as possibly sent — never repeated — so reuse cannot
/// invite anyone twice. Redirects are refused (the key never follows one), nothing is cached,
/// no cookies are kept. Connecting and reading have separate timeouts: a refused, unreachable
/// or timed-out connection, a failed name lookup or TLS handshake is "not sent"; once the
/// connection is up, every failure is "in doubt". A request also has an overall deadline
/// (connecting, sending and the whole answer).
public final class HTTPClientTransport: HTTPTransport {
  private let configuration: HTTPClient.Configuration
  private let key: String
  private let deadline: Double
  private let maxResponseBytes: Int

  /// Creates a transport: `connectTimeout` to open a connection, `timeout` for any silence
  /// while reading, `deadline` seconds in all for one request (unless the request sets its own
  /// ``HTTPRequest/deadline``), `idleTimeout` before an unused connection is closed. Responses
  /// over `maxResponseBytes` are refused.
  public init(
    connectTimeout: Double = 10, timeout: Double = 60, deadline: Double = 120, idleTimeout: Double = 4,
    maxResponseBytes: Int = 64 << 20
  ) {
    self.deadline = deadline
    self.maxResponseBytes = maxResponseBytes
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    configuration.timeout = HTTPClient.Configuration.Timeout(
      connect: .nanoseconds(Int64(connectTimeout * 1e9)), read: .nanoseconds(Int64(timeout * 1e9)))
    configuration.decompression = .disabled
    // A connection that cannot be made fails the request at once; the pacer decides about
    // retrying (with jitter, within its budgets), not the client underneath it.
    configuration.connectionPool.retryConnectionEstablishment = false
    // Idle connections are closed before a server's own keep-alive timeout (Node's is 5 s), so
    // a request is rarely written onto a connection the server is closing; when it is, the
    // request fails as possibly sent and is never repeated.
    configuration.connectionPool.idleTimeout = .nanoseconds(Int64(idleTimeout * 1e9))
    configuration.httpVersion = .http1Only
    self.configuration = configuration
    key = "\(connectTimeout)/\(timeout)/\(idleTimeout)"
  }

  /// The client, made on the first request: SwiftNIO's threads start only when a program
  /// actually calls the API.
  private var client: HTTPClient { Self.shared(configuration, key: key) }

  /// Clients by configuration, made once and kept for the process's life: an `HTTPClient` must
  /// be shut down before it is freed, and one per configuration is all a process needs.
  private static let clients = Mutex<[String: HTTPClient]>([:])

  private static func shared(_ configuration: HTTPClient.Configuration, key: String) -> HTTPClient {
    clients.withLock { clients in
      if let client = clients[key] { return client }
      let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
      clients[key] = client
      return client
    }
  }

  public func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse {
    var outgoing = HTTPClientRequest(url: baseURL.string + request.target)
    outgoing.method = NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue)
    for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
    if let gate = request.gate, request.body?.isEmpty ?? true {
      // Nothing to hold back but the whole request: ask now.
      guard gate.allows() else { throw Self.withheld }
    }
    if let body = request.body {
      if let gate = request.gate, !body.isEmpty {
        // The last byte waits for the gate: a request it holds back never has a whole body.
        outgoing.body = .stream(GatedBody(bytes: body, gate: gate), length: .known(Int64(body.count)))
      } else {
        outgoing.body = .bytes(ByteBuffer(bytes: body))
      }
    }
    let limit = request.deadline ?? deadline
    let due = NIODeadline.now() + .nanoseconds(Int64(limit * 1e9))
    do {
      let response = try await client.execute(outgoing, deadline: due)
      var headers = HTTPHeaders()
      for (name, value) in response.headers { headers[name] = value }
      // The client's deadline covers the head; the body is held to the same moment here, so a
      // server that drips its answer cannot hold a run.
      let maxBytes = maxResponseBytes
      let body = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
        group.addTask { try await response.body.collect(upTo: maxBytes) }
        group.addTask {
          let left = due - NIODeadline.now()
          if left.nanoseconds > 0 { try await Task.sleep(nanoseconds: UInt64(left.nanoseconds)) }
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let body = first else { throw HTTPClientError.deadlineExceeded }
        return body
      }
      return HTTPResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
    } catch {
      throw Self.classify(error, deadline: limit, server: baseURL.authority)
    }
  }

  /// Maps a failure to a transport error, deciding whether the request may have left: only a
  /// connection that never came up (refused, unreachable, timed out, no such host, TLS
  /// refused) proves it did not.
  /// `server` (`host:port`) names where the connection was to go, in a connection's failure.
  static func classify(_ error: any Error, deadline: Double, server: String = "the server") -> NetworkedAPIError {
    func notConnected(_ why: String) -> NetworkedAPIError {
      .transport(sent: false, reason: "cannot connect to \(server): \(why)")
    }
    if let error = error as? NetworkedAPIError { return error }
    if error is SendGate.Closed { return withheld }
    if error is CancellationError { return .transport(sent: true, reason: "cancelled", cancelled: true) }
    if let error = error as? HTTPClientError {
      switch error {
      case .connectTimeout, .getConnectionFromPoolTimeout: return notConnected("timed out")
      case .tlsHandshakeTimeout: return notConnected("the TLS handshake timed out")
      case .invalidURL, .emptyHost, .emptyScheme: return notConnected("the address is not valid")
      case .alreadyShutdown: return notConnected("the client was shut down")
      case .deadlineExceeded:
        return .transport(
          sent: true, reason: "no complete answer within the \(seconds(deadline)) deadline", timedOut: true)
      case .readTimeout:
        return .transport(sent: true, reason: "timed out", timedOut: true)
      case .cancelled:
        return .transport(sent: true, reason: "cancelled", cancelled: true)
      default:
        return .transport(sent: true, reason: "\(error)")
      }
    }
    // A refusal can only answer a connect; the other errors below may also come from a
    // connection already open (a retransmission timing out after the request went), so they
    // prove nothing was sent only inside a failed connect (NIOConnectionError).
    if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
      return notConnected(Self.connectFailure(ECONNREFUSED)!)
    }
    if let error = error as? NIOConnectionError {
      // Each address tried failed; say why the first one did, in a word.
      let errno = error.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }.first
      if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
        return notConnected("no such host")
      }
      return notConnected(errno.flatMap(Self.connectFailure) ?? "the connection failed")
    }
    if error is SocketAddressError { return notConnected("no such host") }
    if let error = error as? NIOSSLError, case .handshakeFailed = error {
      return notConnected("the TLS handshake failed (\(error))")
    }
    return .transport(sent: true, reason: String(describing: error))
  }

  /// Why a connection could not be made, in a word, for the errors that mean it never was.
  static func connectFailure(_ code: Int32) -> String? {
    switch code {
    case ECONNREFUSED: "connection refused (nothing listens there)"
    case ENETUNREACH: "the network is unreachable"
    case EHOSTUNREACH: "no route to the host"
    case ETIMEDOUT: "timed out"
    default: nil
    }
  }

  /// A request its gate held back.
  static let withheld = NetworkedAPIError.withheld(
    "held back before its body was complete: the server cannot have acted on it")

  static func seconds(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
  }
}

/// A body sent in parts: everything but its last byte, in chunks of at most 16 KiB (so that
/// AsyncHTTPClient, which waits for a writable channel between parts, asks for the last part
/// only once the rest is on its way), then — once the gate is asked and allows it — the last
/// byte. A closed gate ends the body with ``SendGate/Closed``, and the transport abandons the
/// request with the body one byte short.
struct GatedBody: AsyncSequence, Sendable {
  typealias Element = ByteBuffer
  let bytes: [UInt8]
  let gate: SendGate
  static let chunk = 16 << 10

  struct AsyncIterator: AsyncIteratorProtocol {
    let bytes: [UInt8]
    let gate: SendGate
    var offset = 0
    var done = false

    mutating func next() async throws -> ByteBuffer? {
      guard !done else { return nil }
      let last = bytes.count - 1
      if offset < last {
        let end = Swift.min(last, offset + GatedBody.chunk)
        defer { offset = end }
        return ByteBuffer(bytes: bytes[offset..<end])
      }
      done = true
      guard gate.allows() else { throw SendGate.Closed() }
      return ByteBuffer(bytes: bytes[last...])
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, gate: gate) }
}
