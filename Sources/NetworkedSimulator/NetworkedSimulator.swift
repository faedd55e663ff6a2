import Foundation
import Synchronization

/// A faithful local Networked API: the five documented endpoints on 127.0.0.1, with per-key
/// sliding rate windows, per-email outcomes, a ledger and scriptable faults.
///
/// ```swift
/// try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: "k")) { simulator in
///   // point a client at simulator.baseURL
/// }
/// ```
public final class NetworkedSimulator: Sendable {
  /// The key `nwsh sandbox` and `--sandbox` use.
  public static let demoKey = "sandbox-demo-key"

  struct State: ~Copyable {
    var community: Community
    var limiter: RateLimiter
    var faults: [(path: String?, fault: Fault)] = []
    var requests = 0
    var refusedByWindows = 0
    var received: [ReceivedRequest] = []
  }

  let configuration: SimulatorConfiguration
  let state: Mutex<State>
  private let file: CommunityFile?
  private let server: Mutex<HTTPServer?> = Mutex(nil)
  private let boundPort: Mutex<Int> = Mutex(0)

  /// Creates a simulator; it serves nothing until ``start(port:)``.
  public init(_ configuration: SimulatorConfiguration) {
    self.configuration = configuration
    self.file = configuration.communityFile.map(CommunityFile.init(path:))
    self.state = Mutex(
      State(
        community: configuration.seeded ? .seeded() : Community(),
        limiter: RateLimiter(windows: configuration.rateWindows)))
  }

  /// Starts serving on 127.0.0.1 (`port` 0 picks a free one).
  public func start(port: Int = 0) throws {
    let server = try HTTPServer(port: port, maxBodyBytes: configuration.maxBodyBytes) { [self] request in
      handle(request)
    }
    self.server.withLock { $0 = server }
    boundPort.withLock { $0 = server.port }
  }

  /// Stops serving and closes every connection.
  public func shutdown() {
    server.withLock { server in
      server?.shutdown()
      server = nil
    }
  }

  /// Runs `body` with a started simulator and always shuts it down afterwards.
  public static func with<T>(
    _ configuration: SimulatorConfiguration, port: Int = 0,
    _ body: (NetworkedSimulator) async throws -> T
  ) async throws -> T {
    let simulator = NetworkedSimulator(configuration)
    try simulator.start(port: port)
    defer { simulator.shutdown() }
    return try await body(simulator)
  }

  /// The port it listens on.
  public var port: Int { boundPort.withLock { $0 } }
  /// `http://127.0.0.1:PORT`.
  public var baseURL: String { "http://127.0.0.1:\(port)" }

  /// Queues a fault for the next request whose path starts with `path` (any request when nil).
  public func inject(_ fault: Fault, path: String? = nil) {
    state.withLock { $0.faults.append((path, fault)) }
  }

  /// Every invite and add the simulator accepted, oldest first, as JSON objects.
  public var ledger: [LedgerEntry] {
    file?.peek(\.ledger) ?? state.withLock { $0.community.ledger }
  }

  /// How many TCP connections clients opened to it.
  public var connectionCount: Int { server.withLock { $0?.acceptedConnections ?? 0 } }

  /// How many requests reached the server (including refused ones).
  public var requestCount: Int { state.withLock { $0.requests } }

  /// The most recent requests exactly as they arrived (up to 1,000), `x-api-key` redacted.
  public var receivedRequests: [ReceivedRequest] { state.withLock { $0.received } }

  /// How many requests the rate windows refused with 429 (injected 429 faults not included).
  public var rateLimitRefusals: Int { state.withLock { $0.refusedByWindows } }

  // MARK: Routing

  private func handle(_ request: WireRequest) -> WireAction {
    let now = configuration.now()
    let key = request.headers["x-api-key"] ?? ""
    // Decide everything that needs the lock, then sleep (for a delay fault) outside it.
    let (fault, refusal): (Fault?, WireAction?) = state.withLock { state in
      state.requests += 1
      if state.received.count == 1_000 { state.received.removeFirst(500) }
      state.received.append(ReceivedRequest(request, at: now))
      guard configuration.apiKeys.contains(key) || configuration.restrictedKeys.contains(key) else {
        return (nil, .respond(Self.error(401, "Unauthorized: a valid x-api-key header is required")))
      }
      if request.path.hasPrefix("/_sandbox/") { return (nil, nil) }
      if let wait = state.limiter.admit(key: key, now: now) {
        state.refusedByWindows += 1
        return (nil, .respond(Self.error(429, "Too many requests", headers: [("Retry-After", String(wait))])))
      }
      if configuration.restrictedKeys.contains(key) && request.path.contains("/admin/") {
        return (nil, .respond(Self.error(403, "Forbidden: this key's owner lacks the privilege")))
      }
      guard let index = state.faults.firstIndex(where: { $0.path.map(request.path.hasPrefix) ?? true }) else {
        return (nil, nil)
      }
      return (state.faults.remove(at: index).fault, nil)
    }
    if let refusal { return refusal }

    switch fault {
    case nil: return .respond(route(request, now: now))
    case .delay(let milliseconds)?:
      configuration.sleep(milliseconds)
      return .respond(route(request, now: configuration.now()))
    case .status(let status)?: return .respond(Self.error(status, "Simulated failure"))
    case .statusAfterActing(let status)?:
      _ = route(request, now: now)
      return .respond(Self.error(status, "Simulated failure after acting"))
    case .unavailable(let retryAfter)?:
      return .respond(Self.error(503, "Service unavailable", headers: [("Retry-After", retryAfter)]))
    case .rateLimited(let retryAfter)?:
      return .respond(Self.error(429, "Too many requests", headers: retryAfter.map { [("Retry-After", $0)] } ?? []))
    case .body(let text, let contentType, let acting)?:
      if acting { _ = route(request, now: now) }
      return .respond(WireResponse(status: 200, body: Array(text.utf8), contentType: contentType))
    case .truncatedBody?: return .truncate(route(request, now: now))
    case .closeBeforeActing?: return .close
    case .closeAfterActing?:
      _ = route(request, now: now)
      return .close
    case .hangAfterActing?:
      _ = route(request, now: now)
      return .hang
    case .dripAfterActing(let interval)?:
      return .drip(route(request, now: now), intervalMilliseconds: interval)
    case .refuseEveryone(let errorJSON)?:
      let error =
        (try? JSONSerialization.jsonObject(with: Data(errorJSON.utf8), options: [.fragmentsAllowed])) ?? [String: Any]()
      let emails = Self.requestedEmails(request)
      return .respond(
        Self.ok(
          ["success": [Any](), "failure": emails.map { ["email": $0, "error": error] }],
          message: "Operation completed successfully"))
    case .echoKey(let status)?:
      return .respond(Self.echo(key: key, request: request, status: status))
    }
  }

  private func route(_ request: WireRequest, now: Int64) -> WireResponse {
    guard let file else { return routeInMemory(request, now: now) }
    // A persisted community: read back, handled, written back, all under the file's lock.
    let seeded = configuration.seeded
    return file.transaction(initial: { seeded ? .seeded() : Community() }) { stored in
      // Moved in and out (swapped), never copied: a request costs what it changes.
      state.withLock { swap(&$0.community, &stored) }
      defer { state.withLock { swap(&$0.community, &stored) } }
      return routeInMemory(request, now: now)
    }
  }

  /// Forgets a persisted community (`nwsh sandbox --reset`).
  public static func reset(communityFile path: String) {
    CommunityFile(path: path).reset()
  }

  /// How far a persisted community's clock was moved on, in milliseconds (0 when it never was,
  /// or there is no community yet).
  public static func clockOffset(communityFile path: String) -> Int64 {
    CommunityFile(path: path).transaction(initial: { .seeded() }) { $0.clockOffset }
  }

  /// Moves a persisted community's clock on by `milliseconds` (`nwsh sandbox --advance`);
  /// returns the offset now.
  @discardableResult
  public static func advanceClock(communityFile path: String, by milliseconds: Int64) -> Int64 {
    CommunityFile(path: path).transaction(initial: { .seeded() }) { community in
      community.moveClock(by: max(0, milliseconds))
      return community.clockOffset
    }
  }

  private func routeInMemory(_ request: WireRequest, now: Int64) -> WireResponse {
    state.withLock { state in
      if let acceptance = configuration.acceptance { state.community.setAcceptance(acceptance) }
      state.community.admitAccepted(now: now)
    }
    switch (request.method, request.path) {
    case ("POST", "/api/v1/admin/community/invites/emails"): return invite(request, now: now)
    case ("POST", "/api/v1/admin/community/addExternalUsers"): return addUser(request, now: now)
    case ("GET", "/api/v1/global/tags/community"): return roles()
    case ("GET", "/api/v1/admin/community/users"): return members(request)
    case ("GET", "/stripe/monetization/plans"): return plans()
    case ("GET", "/_sandbox/ledger"):
      return state.withLock { Self.ok($0.community.ledger.map(\.json), message: "Success") }
    case ("GET", "/_sandbox/requests"):
      return state.withLock { state in
        let received = state.received.filter { !$0.target.hasPrefix("/_sandbox/") }.map { request -> [String: Any] in
          ["method": request.method, "target": request.target, "receivedAt": request.receivedAt]
        }
        return Self.ok(["refusedByWindows": state.refusedByWindows, "received": received], message: "Success")
      }
    default: return Self.error(404, "Cannot \(request.method) \(request.path)")
    }
  }
  // MARK: Responses

  /// The emails an invites call asked for (empty for anything else).
  static func requestedEmails(_ request: WireRequest) -> [String] {
    guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
      let users = body["users"] as? [[String: Any]]
    else { return [] }
    return users.compactMap { $0["email"] as? String }
  }

  /// A hostile answer that repeats the caller's key in every encoding it can think of.
  static func echo(key: String, request: WireRequest, status: Int) -> WireResponse {
    let percent = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key
    let base64 = Data(key.utf8).base64EncodedString()
    let detail: [String: Any] = [
      "key": key, "percent": percent, "base64": base64, "url": "https://admin:\(key)@example.com/x?api_key=\(percent)",
      "basic": "Basic " + Data("admin:\(key)".utf8).base64EncodedString(), "header": "x-api-key: \(key)",
    ]
    let message = "key \(key) (\(percent), \(base64)) is not allowed here"
    let emails = requestedEmails(request)
    if status == 200 && !emails.isEmpty {
      return ok(
        [
          "success": [Any](),
          "failure": emails.map {
            ["email": $0, "error": ["code": "bad_key_\(key)", "message": message, "detail": detail]]
          },
        ],
        message: message)
    }
    var response = json(status, ["error": true, "message": message, "detail": detail, "data": ["echo": key]])
    response.headers = [("X-Echo", key)]
    return response
  }

  static func ok(_ data: Any, message: String) -> WireResponse {
    json(200, ["data": data, "error": false, "message": message])
  }

  static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> WireResponse {
    var response = json(status, ["error": true, "message": message])
    response.headers = headers
    return response
  }

  static func json(_ status: Int, _ object: [String: Any]) -> WireResponse {
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return WireResponse(status: status, body: Array(data))
  }
}

extension Community {
  mutating func appendLedger(_ entry: LedgerEntry) {
    var entry = entry
    entry.seq = ledger.count + 1
    apply(.ledger(entry))
  }
}

/// One request as the simulator received it; `x-api-key` is replaced by `<redacted>`.
public struct ReceivedRequest: Sendable, Hashable {
  /// `GET`, `POST`, …
  public let method: String
  /// The path and query exactly as sent.
  public let target: String
  /// Header names lower-cased.
  public let headers: [String: String]
  /// The body bytes.
  public let body: [UInt8]
  /// The simulator clock when it arrived, epoch milliseconds.
  public let receivedAt: Int64

  init(_ request: WireRequest, at now: Int64) {
    method = request.method
    target = request.target
    var headers = request.headers
    if headers["x-api-key"] != nil { headers["x-api-key"] = "<redacted>" }
    self.headers = headers
    body = request.body
    receivedAt = now
  }

  /// The body as UTF-8 text.
  public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
