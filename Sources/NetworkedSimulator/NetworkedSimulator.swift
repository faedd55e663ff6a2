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

  private struct State: ~Copyable {
    var community: Community
    var limiter: RateLimiter
    var faults: [(path: String?, fault: Fault)] = []
    var requests = 0
    var refusedByWindows = 0
    var received: [ReceivedRequest] = []
  }

  private let configuration: SimulatorConfiguration
  private let state: Mutex<State>
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

  // MARK: Endpoints

  private func invite(_ request: WireRequest, now: Int64) -> WireResponse {
    guard request.headers["content-type"]?.lowercased().hasPrefix("application/json") == true else {
      return Self.error(415, "Content-Type must be application/json")
    }
    guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
      return Self.error(400, "Body must be a JSON object")
    }
    guard let users = body["users"] as? [Any] else { return Self.error(400, "users must be an array") }
    if users.count > configuration.maxUsersPerInvite {
      return Self.error(413, "Too many users in one request (at most \(configuration.maxUsersPerInvite))")
    }
    var planIds: [String] = []
    if let plans = body["monetizationPlanIds"], !(plans is NSNull) {
      guard let list = plans as? [Any], list.allSatisfy({ $0 is String }) else {
        return Self.error(400, "monetizationPlanIds must be an array of strings")
      }
      planIds = list as! [String]
    }
    return state.withLock { state in
      for id in planIds where !state.community.hasPlan(id) {
        return Self.error(400, "Unknown monetization plan \(id)")
      }
      var success: [[String: Any]] = []
      var failure: [[String: Any]] = []
      for case let user as [String: Any] in users {
        // Rows without a usable email are skipped: they appear in neither list (as documented).
        guard let email = user["email"] as? String, !email.trimmingCharacters(in: .whitespaces).isEmpty else {
          continue
        }
        func fail(_ code: String, _ message: String) {
          failure.append(["email": email, "error": ["code": code, "message": message]])
        }
        let name = (user["name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let tagId = user["tagId"] as? String ?? ""
        if !Community.isValidEmail(email) {
          fail("invalid_email", "Invalid email address")
        } else if name.isEmpty {
          fail("invalid_name", "Name is required")
        } else if tagId.isEmpty {
          fail("missing_tag", "tagId is required")
        } else if state.community.role(tagId) == nil {
          fail("unknown_tag", "No role with tagId \(tagId)")
        } else if let note = user["note"], !(note is String || note is NSNull) {
          fail("invalid_note", "note must be a string")
        } else if state.community.member(email) != nil {
          fail("already_member", "User is already a member of this community")
        } else if let earlier = state.community.invites[email.lowercased()], !configuration.acceptsDuplicates,
          now < (earlier.lastSent ?? earlier.timeStamp) + configuration.reminderAfter
        {
          fail("already_invited", "An invite was already sent to this email")
        } else {
          let earlier = state.community.invites[email.lowercased()]
          var invite = Community.Invite(
            inviteId: state.community.nextId(now: now), email: email, name: user["name"] as! String,
            roleId: tagId, timeStamp: now, userId: state.community.nextId(now: now))
          if let earlier, !configuration.acceptsDuplicates {
            // A reminder: the same invitee, first invited then.
            invite.timeStamp = earlier.timeStamp
            invite.userId = earlier.userId
            invite.lastSent = now
          }
          state.community.setInvite(invite)
          state.community.appendLedger(
            LedgerEntry(
              seq: 0, op: "invite", email: email, name: invite.name, roleId: tagId, note: user["note"] as? String,
              planIds: planIds, method: nil, passwordSet: false, inviteId: invite.inviteId, userId: invite.userId,
              timeStamp: now))
          success.append([
            "email": email,
            "data": [
              "inviteId": invite.inviteId, "email": email, "timeStamp": now,
              "user": [
                "userId": invite.userId, "name": invite.name, "image": "", "location": "", "title": "",
                "industries": [Any](),
              ] as [String: Any],
            ] as [String: Any],
          ])
        }
      }
      return Self.ok(["success": success, "failure": failure], message: "Operation completed successfully")
    }
  }

  private func addUser(_ request: WireRequest, now: Int64) -> WireResponse {
    guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    else { return Self.error(415, "Content-Type must be application/x-www-form-urlencoded") }
    guard let pairs = FormDecoding.decode(String(decoding: request.body, as: UTF8.self)) else {
      return Self.error(400, "Malformed form body")
    }
    var fields: [String: String] = [:]
    for (name, value) in pairs where fields[name] == nil { fields[name] = value }
    let email = fields["email"] ?? ""
    let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    let roleId = fields["roleId"] ?? ""
    guard Community.isValidEmail(email) else { return Self.error(400, "Invalid email address") }
    guard !name.isEmpty else { return Self.error(400, "name is required") }
    guard let method = fields["method"], method == "1" || method == "2" else {
      return Self.error(400, "method must be 1 (invite) or 2 (direct)")
    }
    // The docs' own example sends a password with method 1 and succeeds: it is ignored there.
    // With method 2 an empty password is refused.
    if method == "2", let password = fields["password"], password.isEmpty {
      return Self.error(400, "password, when given, must not be empty")
    }
    return state.withLock { state in
      guard let role = state.community.role(roleId) else { return Self.error(400, "Unknown roleId \(roleId)") }
      if let planId = fields["planId"], !planId.isEmpty, !state.community.hasPlan(planId) {
        return Self.error(400, "Unknown planId \(planId)")
      }
      if state.community.member(email) != nil {
        return Self.error(409, "User is already a member of this community")
      }
      var entry = LedgerEntry(
        seq: 0, op: "add", email: email, name: fields["name"]!, roleId: role.tagId, note: nil,
        planIds: fields["planId"].map { $0.isEmpty ? [] : [$0] } ?? [], method: Int(method)!,
        passwordSet: method == "2" && fields["password"] != nil, inviteId: nil, userId: nil, timeStamp: now)
      if method == "1" {
        if state.community.invites[email.lowercased()] != nil && !configuration.acceptsDuplicates {
          return Self.error(409, "An invite was already sent to this email")
        }
        let invite = Community.Invite(
          inviteId: state.community.nextId(now: now), email: email, name: fields["name"]!, roleId: role.tagId,
          timeStamp: now, userId: state.community.nextId(now: now))
        state.community.setInvite(invite)
        entry.inviteId = invite.inviteId
        entry.userId = invite.userId
        state.community.appendLedger(entry)
        return Self.ok(
          ["email": email, "inviteId": invite.inviteId, "timeStamp": now], message: "Operation completed successfully")
      }
      let userId = state.community.nextId(now: now)
      state.community.removeInvite(email: email)
      state.community.addMember(.init(userId: userId, name: fields["name"]!, email: email, roleId: role.tagId))
      entry.userId = userId
      state.community.appendLedger(entry)
      return Self.json(200, ["error": false, "message": "Operation completed successfully"])
    }
  }

  private func roles() -> WireResponse {
    state.withLock { state in
      Self.ok(
        state.community.roles.map { ["tagId": $0.tagId, "name": $0.name, "description": "", "type": $0.type] },
        message: "Success")
    }
  }

  private func members(_ request: WireRequest) -> WireResponse {
    var query: [String: String] = [:]
    for (name, value) in request.query where query[name] == nil { query[name] = value }
    guard let start = Int(query["start"] ?? "0"), start >= 0, let count = Int(query["count"] ?? "30"), count > 0
    else { return Self.error(400, "start and count must be non-negative integers (count > 0)") }
    let keyword = query["keyword"]?.lowercased() ?? ""
    return state.withLock { state in
      let matching = state.community.members.filter {
        keyword.isEmpty || $0.name.lowercased().contains(keyword) || $0.email.lowercased().contains(keyword)
      }
      let page = matching.dropFirst(start).prefix(min(count, configuration.maxPageSize))
      let content: [[String: Any]] = page.map { member in
        [
          "name": member.name, "email": member.email, "image": "", "userId": member.userId,
          "industries": [Any](), "isActive": true,
          "affiliatedTag": ["id": member.roleId, "name": state.community.role(member.roleId)?.name ?? ""],
        ]
      }
      return Self.ok(
        [
          "totalUsers": matching.count, "start": start, "count": content.count,
          "nextStart": start + content.count < matching.count, "content": content,
        ], message: "Success")
    }
  }

  private func plans() -> WireResponse {
    state.withLock { Self.ok($0.community.plans, message: "Success") }
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
