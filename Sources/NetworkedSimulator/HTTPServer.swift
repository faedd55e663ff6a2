import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A parsed HTTP/1.1 request as the simulator sees it.
struct WireRequest: Sendable {
  var method: String
  var target: String
  var path: String
  var query: [(String, String)]
  /// Header names lower-cased; a repeated header keeps its first value.
  var headers: [String: String]
  var body: [UInt8]
}

/// A response the simulator sends, or a way of not sending one.
enum WireAction: Sendable {
  /// A whole response.
  case respond(WireResponse)
  /// The status line, headers and half the body, then the connection closes.
  case truncate(WireResponse)
  /// Close the connection without answering.
  case close
  /// Never answer; the connection stays open until the client gives up or the server stops.
  case hang
  /// The status line and headers at once, then the body one byte every `interval`
  /// milliseconds (real time): a server that never goes silent long enough for a read timeout.
  case drip(WireResponse, intervalMilliseconds: Int)
}

/// An HTTP response.
struct WireResponse: Sendable {
  var status: Int
  var headers: [(String, String)] = []
  var body: [UInt8] = []
  var contentType = "application/json; charset=utf-8"

  func serialized(bodyLimit: Int? = nil) -> [UInt8] {
    var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
    head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "\r\n"
    return Array(head.utf8) + body.prefix(bodyLimit ?? body.count)
  }

  static func reason(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 409: "Conflict"
    case 413: "Payload Too Large"
    case 415: "Unsupported Media Type"
    case 429: "Too Many Requests"
    case 500: "Internal Server Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    default: "Status"
    }
  }
}

/// A minimal threaded HTTP/1.1 server bound to 127.0.0.1, with keep-alive.
///
/// Hand-written rather than built on a framework so that faults can be produced below the HTTP
/// layer: a connection closed after the request was acted on, a truncated body, a hang.
final class HTTPServer: Sendable {
  let port: Int
  private let listener: Int32
  private let state = Mutex<(stopped: Bool, connections: Set<Int32>)>((false, []))
  private let accepted = Atomic<Int>(0)

  /// Connections accepted so far (a client that keeps connections alive makes few).
  var acceptedConnections: Int { accepted.load(ordering: .relaxed) }
  private let handler: @Sendable (WireRequest) -> WireAction
  private let maxBodyBytes: Int

  init(port: Int, maxBodyBytes: Int, handler: @escaping @Sendable (WireRequest) -> WireAction) throws {
    self.handler = handler
    self.maxBodyBytes = maxBodyBytes
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw SimulatorError("socket() failed: errno \(errno)") }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(fd, 128) == 0 else {
      let code = errno
      close(fd)
      throw SimulatorError("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(code)))")
    }
    var actual = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &actual) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    self.listener = fd
    self.port = Int(UInt16(bigEndian: actual.sin_port))
    let thread = Thread { [self] in acceptLoop() }
    thread.name = "simulator-accept"
    thread.start()
  }

  /// Stops accepting, closes every open connection, and returns at once.
  ///
  /// Descriptors are only ever closed by the thread that owns them, and connections are shut
  /// down under the same lock their threads close them under: a descriptor number reused by
  /// another socket in this process (another simulator, a client) is never touched.
  func shutdown() {
    state.withLock { state in
      if state.stopped { return }
      state.stopped = true
      // Wakes the accept loop, which closes the listener itself on its way out.
      Glibc.shutdown(listener, Int32(SHUT_RDWR))
      for fd in state.connections { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }
  }

  private func acceptLoop() {
    defer { close(listener) }
    while true {
      let fd = accept(listener, nil, nil)
      if fd < 0 {
        if errno == EINTR && !state.withLock({ $0.stopped }) { continue }
        return
      }
      accepted.add(1, ordering: .relaxed)
      // Not inherited by processes the host spawns (accept4 is not exported to Swift here).
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      let admitted = state.withLock { state -> Bool in
        if state.stopped { return false }
        state.connections.insert(fd)
        return true
      }
      guard admitted else {
        close(fd)
        return
      }
      var one: Int32 = 1
      setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
      let thread = Thread { [self] in
        serve(fd)
        Self.drain(fd)
        state.withLock { state in
          state.connections.remove(fd)
          close(fd)
        }
      }
      thread.start()
    }
  }

  /// Before closing: sends a FIN and reads what the peer still sends (briefly), so the kernel
  /// never answers unread input with a reset that could destroy a response still in flight.
  static func drain(_ fd: Int32) {
    Glibc.shutdown(fd, Int32(SHUT_WR))
    var limit = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var scratch = [UInt8](repeating: 0, count: 4096)
    while scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
  }

  private func serve(_ fd: Int32) {
    var reader = ConnectionReader(fd: fd)
    while true {
      let request: WireRequest
      switch reader.readRequest(maxBodyBytes: maxBodyBytes) {
      case .request(let parsed): request = parsed
      case .closed: return
      case .bad(let status, let message):
        let body = Array("{\"error\":true,\"message\":\"\(message)\"}".utf8)
        _ = writeAll(fd, WireResponse(status: status, headers: [("Connection", "close")], body: body).serialized())
        return
      }
      switch handler(request) {
      case .respond(let response):
        var response = response
        let closing = request.headers["connection"]?.lowercased() == "close"
        if closing { response.headers.append(("Connection", "close")) }
        guard writeAll(fd, response.serialized()), !closing else { return }
      case .truncate(let response):
        _ = writeAll(fd, response.serialized(bodyLimit: response.body.count / 2))
        return
      case .close:
        return
      case .drip(let response, let interval):
        let bytes = response.serialized()
        let head = bytes.count - response.body.count
        guard writeAll(fd, Array(bytes[..<head])) else { return }
        for byte in response.body {
          usleep(useconds_t(interval) * 1000)
          guard writeAll(fd, [byte]) else { return }
        }
        return
      case .hang:
        // Wait until the peer goes away or the server shuts the socket down.
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) > 0 {}
        return
      }
    }
  }

  private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent <= 0 {
        if sent < 0 && errno == EINTR { continue }
        return false
      }
      offset += sent
    }
    return true
  }
}

/// An error starting or configuring the simulator.
public struct SimulatorError: Error, CustomStringConvertible, Sendable {
  /// What went wrong.
  public let description: String
  init(_ description: String) { self.description = description }
}
