import Foundation

/// A typed client for the documented Networked API endpoints.
///
/// Every request carries `x-api-key` and `User-Agent: nwsh/<version>` (``AuthMiddleware``).
/// Pacing and retry are further ``HTTPMiddleware`` layers that callers add.
///
/// ```swift
/// let client = NetworkedClient(baseURL: .production, key: key)
/// let result = try await client.invite([Invitee(name: "Jane", email: "jane@example.com", tagId: id)])
/// ```
public struct NetworkedClient: Sendable {
  /// The version nwsh reports in `User-Agent`.
  public static let version = "0.1.0"

  /// Where requests go.
  public let baseURL: BaseURL
  /// Scrubs the key from everything the server sends back, before anyone reads it.
  public let redactor: Redactor
  private let transport: any HTTPTransport

  /// Creates a client; `middleware` wraps the transport outside the auth layer, outermost first.
  public init(
    baseURL: BaseURL, key: APIKey, transport: any HTTPTransport = HTTPClientTransport(),
    middleware: [any HTTPMiddleware] = []
  ) {
    self.baseURL = baseURL
    self.redactor = Redactor(secrets: [key.secret])
    self.transport = LayeredTransport(transport, layers: middleware + [AuthMiddleware(key: key)])
  }

  // MARK: Endpoints

  /// `POST /api/v1/admin/community/invites/emails`: invites many users in one call.
  ///
  /// The call succeeds as a whole even when some emails fail; each requested row gets an
  /// ``InviteOutcome``, matched by email, in request order.
  /// A `gate`, when given, is asked just before the request's body is complete (``SendGate``).
  public func invite(_ users: [Invitee], planIds: [String]? = nil, gate: SendGate? = nil)
    async throws(NetworkedAPIError) -> InviteBatchResult
  {
    let body = try encodeJSON(InviteRequestBody(users: users, monetizationPlanIds: planIds))
    let request = HTTPRequest(
      method: .post, path: Paths.invites, headers: HTTPHeaders([("Content-Type", "application/json")]),
      body: body, gate: gate)
    let (data, message) = try await call(request, expecting: InviteResponseData.self)
    guard let data else {
      throw .decoding("invites response has no data", body: [], status: 200)
    }
    return InviteBatchResult(users: users, data: data, message: message)
  }

  /// `POST /api/v1/admin/community/addExternalUsers`: invites or directly adds one user. A
  /// `gate`, when given, is asked just before the request's body is complete (``SendGate``).
  public func addUser(_ user: AddUserRequest, gate: SendGate? = nil) async throws(NetworkedAPIError)
    -> AddUserResult
  {
    let request = HTTPRequest(
      method: .post, path: Paths.addUser,
      headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
      body: Array(FormEncoding.encode(user.formFields).utf8), gate: gate)
    let (data, message) = try await call(request, expecting: JSONValue.self)
    if AddUserResult.saysAlreadyDone(message), let message { return .alreadyDone(message: message) }
    switch user.method {
    case .direct:
      return .added
    case .invite:
      return .invited(
        email: data?["email"]?.stringValue ?? user.email, inviteId: data?["inviteId"]?.stringValue,
        timeStamp: data?["timeStamp"]?.int64Value)
    }
  }

  /// `GET /api/v1/global/tags/community`: the community's roles.
  public func roles() async throws(NetworkedAPIError) -> [Role] {
    let (data, _) = try await call(HTTPRequest(method: .get, path: Paths.roles), expecting: [Role].self)
    return data ?? []
  }

  /// `GET /api/v1/admin/community/users`: one page of members.
  public func membersPage(start: Int, count: Int, query: [QueryItem] = []) async throws(NetworkedAPIError)
    -> MembersPage
  {
    let request = HTTPRequest(
      method: .get, path: Paths.members,
      query: [QueryItem("start", String(start)), QueryItem("count", String(count))] + query)
    let (data, _) = try await call(request, expecting: JSONValue.self)
    guard let data, case .array(let content)? = data["content"] else {
      throw .decoding("members response has no data.content array", body: [], status: 200)
    }
    let next: Int?
    switch data["nextStart"] {
    case .bool(true)?: next = start + content.count
    case .number(let value)? where value > Double(start): next = Int(value)
    default: next = nil
    }
    if next != nil && content.isEmpty {
      throw .decoding("members page is empty but nextStart says more follow", body: [], status: 200)
    }
    return MembersPage(
      members: content.map(Member.init(raw:)), total: data["totalUsers"]?.int64Value.map { Int($0) },
      nextStart: next)
  }

  /// All members, fetched a page at a time as the sequence is iterated.
  public func members(pageSize: Int = 30, query: [QueryItem] = []) -> MembersSequence {
    MembersSequence(client: self, pageSize: max(1, pageSize), query: query)
  }

  /// `GET /stripe/monetization/plans`: the community's plans (shape undocumented; kept raw).
  public func plans() async throws(NetworkedAPIError) -> [Plan] {
    let (data, _) = try await call(HTTPRequest(method: .get, path: Paths.plans), expecting: JSONValue.self)
    switch data {
    case .array(let items)?: return items.map(Plan.init(raw:))
    case .object(let members)?:
      for key in ["plans", "content", "data", "items"] {
        if case .array(let items)? = members[key] { return items.map(Plan.init(raw:)) }
      }
      return [Plan(raw: .object(members))]
    case nil, .null?: return []
    default: throw .decoding("plans response data is neither a list nor an object", body: [], status: 200)
    }
  }

  /// Sends any request with the client's auth and layers; throws for a non-2xx status.
  ///
  /// Whatever comes back has the key scrubbed out first (in every form ``Redactor`` knows), so
  /// a server that echoes it cannot make nwsh print or store it.
  public func send(_ request: HTTPRequest) async throws(NetworkedAPIError) -> HTTPResponse {
    var response: HTTPResponse
    do {
      response = try await transport.send(request, baseURL: baseURL)
    } catch let error as NetworkedAPIError {
      throw error.redacted(by: redactor)
    } catch {
      throw NetworkedAPIError.transport(sent: true, reason: redactor.scrub(String(describing: error)))
    }
    response.body = redactor.scrub(response.body)
    response.headers = HTTPHeaders(response.headers.map { ($0.name, redactor.scrub($0.value)) })
    guard (200...299).contains(response.status) else {
      throw NetworkedAPIError.from(response: response).redacted(by: redactor)
    }
    return response
  }

  // MARK: Plumbing

  /// The documented paths.
  public enum Paths {
    /// Send email invites.
    public static let invites = "/api/v1/admin/community/invites/emails"
    /// Add new users to community.
    public static let addUser = "/api/v1/admin/community/addExternalUsers"
    /// Roles list.
    public static let roles = "/api/v1/global/tags/community"
    /// Users list.
    public static let members = "/api/v1/admin/community/users"
    /// Plans list.
    public static let plans = "/stripe/monetization/plans"
  }

  private func call<Payload: Decodable>(_ request: HTTPRequest, expecting: Payload.Type)
    async throws(NetworkedAPIError) -> (Payload?, String?)
  {
    let response = try await send(request)
    let envelope: Envelope<Payload>
    do {
      envelope = try JSONDecoder().decode(Envelope<Payload>.self, from: Data(unescapedScrub(response.body)))
    } catch {
      throw .decoding(
        "\(request.method.rawValue) \(request.path): body is not the documented JSON envelope",
        body: response.body, status: response.status)
    }
    if envelope.error == true {
      throw NetworkedAPIError(
        code: .rejected, status: response.status, message: envelope.message ?? "error: true",
        bodyExcerpt: NetworkedAPIError.excerpt(response.body)
      ).redacted(by: redactor)
    }
    return (envelope.data, envelope.message)
  }

  /// A body whose JSON strings use `\u` escapes could spell the key so that no byte pattern
  /// matches: such a body is decoded, scrubbed and encoded again before it is read.
  private func unescapedScrub(_ body: [UInt8]) -> [UInt8] {
    guard !redactor.isEmpty, body.indices.dropLast().contains(where: { body[$0] == 0x5C && body[$0 + 1] == 0x75 }),
      let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
      let encoded = try? JSONEncoder().encode(redactor.scrub(value))
    else { return body }
    return Array(encoded)
  }

  private func encodeJSON(_ value: some Encodable) throws(NetworkedAPIError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    do {
      return Array(try encoder.encode(value))
    } catch {
      throw .transport(sent: false, reason: "could not encode the request: \(error)")
    }
  }
}

/// The members list, fetched lazily a page at a time.
public struct MembersSequence: AsyncSequence, Sendable {
  public typealias Element = Member
  let client: NetworkedClient
  let pageSize: Int
  let query: [QueryItem]

  /// Iterates members, requesting the next page only when the current one is used up.
  public struct AsyncIterator: AsyncIteratorProtocol {
    let sequence: MembersSequence
    var buffer: [Member] = []
    var index = 0
    var nextStart: Int? = 0

    public mutating func next() async throws -> Member? {
      while index == buffer.count {
        guard let start = nextStart else { return nil }
        let page = try await sequence.client.membersPage(start: start, count: sequence.pageSize, query: sequence.query)
        buffer = page.members
        index = 0
        nextStart = page.nextStart
      }
      defer { index += 1 }
      return buffer[index]
    }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }
}
