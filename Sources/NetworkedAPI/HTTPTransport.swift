/// Sends one HTTP request to a server and returns its response.
///
/// The transport knows nothing of the Networked API: authentication, pacing and retry are
/// ``HTTPMiddleware`` layers around it. A test double is a closure (``ClosureTransport``).
public protocol HTTPTransport: Sendable {
  /// Sends `request` to `baseURL` and returns the whole response.
  ///
  /// Throws ``NetworkedAPIError`` with code ``NetworkedAPIError/Code/transport`` on failure,
  /// recording in ``NetworkedAPIError/requestWasSent`` whether the request may have left. A
  /// transport must honour the request's ``HTTPRequest/gate``: ask it as late as it can before
  /// the request is whole, and, when it says no, throw ``NetworkedAPIError/Code/withheld``
  /// without letting the request complete.
  func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse
}

/// A transport made from a closure.
public struct ClosureTransport: HTTPTransport {
  private let body: @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse

  /// Creates a transport that calls `body` for each request.
  public init(_ body: @escaping @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse) {
    self.body = body
  }

  /// Asks the request's gate first: a closed one withholds the request, as every transport must.
  public func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse {
    if let gate = request.gate, !gate.allows() {
      throw NetworkedAPIError.withheld("held back: the closure was not called")
    }
    return try await body(request, baseURL)
  }
}

/// One layer around a transport: it may change the request, the response, or both.
public protocol HTTPMiddleware: Sendable {
  /// Handles `request`, calling `next` to pass it on.
  func intercept(
    _ request: HTTPRequest, baseURL: BaseURL,
    next: @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse
  ) async throws -> HTTPResponse
}

/// A transport wrapped in middleware; the first middleware is the outermost.
public struct LayeredTransport: HTTPTransport {
  private let base: any HTTPTransport
  private let layers: [any HTTPMiddleware]

  /// Wraps `base` in `layers`, outermost first.
  public init(_ base: any HTTPTransport, layers: [any HTTPMiddleware]) {
    self.base = base
    self.layers = layers
  }

  public func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse {
    try await call(layer: 0, request, baseURL)
  }

  private func call(layer: Int, _ request: HTTPRequest, _ baseURL: BaseURL) async throws -> HTTPResponse {
    guard layer < layers.count else { return try await base.send(request, baseURL: baseURL) }
    return try await layers[layer].intercept(request, baseURL: baseURL) { request, baseURL in
      try await self.call(layer: layer + 1, request, baseURL)
    }
  }
}

/// Adds `x-api-key` and `User-Agent` to every request.
public struct AuthMiddleware: HTTPMiddleware {
  private let key: APIKey
  private let userAgent: String

  /// Creates the layer for `key`.
  public init(key: APIKey, userAgent: String = "nwsh/\(NetworkedClient.version)") {
    self.key = key
    self.userAgent = userAgent
  }

  public func intercept(
    _ request: HTTPRequest, baseURL: BaseURL,
    next: @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse
  ) async throws -> HTTPResponse {
    var request = request
    request.headers["x-api-key"] = key.secret
    request.headers["User-Agent"] = userAgent
    return try await next(request, baseURL)
  }
}
