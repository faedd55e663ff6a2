/// An HTTP method the Networked API uses.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
  case get = "GET"
  case post = "POST"
  case put = "PUT"
  case delete = "DELETE"
  case patch = "PATCH"
}

/// A list of HTTP header fields, compared by name case-insensitively.
public struct HTTPHeaders: Sendable, Hashable, Sequence {
  private var fields: [(name: String, value: String)] = []

  /// Creates headers from name/value pairs.
  public init(_ pairs: [(String, String)] = []) {
    for (name, value) in pairs { fields.append((name, value)) }
  }

  /// The first value for `name`, or nil.
  public subscript(name: String) -> String? {
    get { fields.first { $0.name.caseInsensitiveEquals(name) }?.value }
    set {
      fields.removeAll { $0.name.caseInsensitiveEquals(name) }
      if let newValue { fields.append((name, newValue)) }
    }
  }

  /// Iterates the fields in insertion order.
  public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
    fields.makeIterator()
  }

  public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
    lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
  }

  public func hash(into hasher: inout Hasher) {
    for field in fields {
      hasher.combine(field.name)
      hasher.combine(field.value)
    }
  }
}

extension String {
  func caseInsensitiveEquals(_ other: String) -> Bool {
    utf8.count == other.utf8.count && lowercased() == other.lowercased()
  }
}

/// A request as the client builds it: path and query relative to the base URL.
public struct HTTPRequest: Sendable, Hashable {
  /// The method.
  public var method: HTTPMethod
  /// The path, starting with `/`.
  public var path: String
  /// Query items, already in order; values are percent-encoded when sent.
  public var query: [QueryItem]
  /// Header fields.
  public var headers: HTTPHeaders
  /// The body, if any.
  public var body: [UInt8]?
  /// The most time the whole exchange may take, in seconds: connecting, sending and receiving
  /// the entire response (nil: the transport's default). A server that trickles its answer
  /// cannot hold a run past it; a request cut off by it is in doubt.
  public var deadline: Double?
  /// Asked just before the body's last byte is written; when it says no, the request is
  /// abandoned with its body incomplete (``NetworkedAPIError/Code/withheld``).
  public var gate: SendGate?

  /// Requests are equal when they send the same thing; their gates take no part.
  public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
    lhs.method == rhs.method && lhs.path == rhs.path && lhs.query == rhs.query && lhs.headers == rhs.headers
      && lhs.body == rhs.body && lhs.deadline == rhs.deadline
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(method)
    hasher.combine(path)
    hasher.combine(query)
    hasher.combine(headers)
    hasher.combine(body)
    hasher.combine(deadline)
  }

  /// Creates a request.
  public init(
    method: HTTPMethod, path: String, query: [QueryItem] = [], headers: HTTPHeaders = HTTPHeaders(),
    body: [UInt8]? = nil, deadline: Double? = nil, gate: SendGate? = nil
  ) {
    self.method = method
    self.path = path
    self.query = query
    self.headers = headers
    self.body = body
    self.deadline = deadline
    self.gate = gate
  }

  /// The path with its percent-encoded query string.
  public var target: String {
    query.isEmpty ? path : path + "?" + FormEncoding.encode(query.map { ($0.name, $0.value) })
  }
}

/// One `name=value` pair of a query string.
public struct QueryItem: Sendable, Hashable {
  /// The name.
  public var name: String
  /// The value.
  public var value: String
  /// Creates a query item.
  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// A response as the transport received it.
public struct HTTPResponse: Sendable, Hashable {
  /// The status code.
  public var status: Int
  /// Header fields.
  public var headers: HTTPHeaders
  /// The whole body.
  public var body: [UInt8]

  /// Creates a response.
  public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
    self.status = status
    self.headers = headers
    self.body = body
  }
}
