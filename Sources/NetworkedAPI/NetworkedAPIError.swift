/// What went wrong talking to the Networked API.
///
/// A struct wrapping a code plus context, so codes can be added without breaking users.
/// Compare ``code`` against the static members of ``Code``.
public struct NetworkedAPIError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The kind of failure.
  public struct Code: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable {
      case unauthorized, forbidden, rateLimited, payloadTooLarge, badRequest, conflict, notFound,
        serverError, unexpectedStatus, rejected, decoding, transport, invalidBaseURL, withheld
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// HTTP 401: the `x-api-key` is missing, wrong or revoked.
    public static let unauthorized = Code(.unauthorized)
    /// HTTP 403: the key's owner lacks the privilege.
    public static let forbidden = Code(.forbidden)
    /// HTTP 429: over a rate window; see ``NetworkedAPIError/retryAfter``.
    public static let rateLimited = Code(.rateLimited)
    /// HTTP 413: the request carried too much (for invites: too many users at once).
    public static let payloadTooLarge = Code(.payloadTooLarge)
    /// HTTP 400 or 422: the server refused the request as malformed.
    public static let badRequest = Code(.badRequest)
    /// HTTP 409: the request conflicts with the community's state (already a member, …).
    public static let conflict = Code(.conflict)
    /// HTTP 404.
    public static let notFound = Code(.notFound)
    /// HTTP 5xx: the server failed; whether it acted first is unknown.
    public static let serverError = Code(.serverError)
    /// Any other status the client does not expect.
    public static let unexpectedStatus = Code(.unexpectedStatus)
    /// A 2xx response whose envelope says `"error": true`.
    public static let rejected = Code(.rejected)
    /// A response whose body is not the documented shape.
    public static let decoding = Code(.decoding)
    /// The request did not complete at the HTTP level; see ``NetworkedAPIError/requestWasSent``.
    public static let transport = Code(.transport)
    /// The base URL is not acceptable (not https, and not loopback).
    public static let invalidBaseURL = Code(.invalidBaseURL)
    /// The request's ``SendGate`` closed before its body was complete: certainly not carried out.
    public static let withheld = Code(.withheld)

    /// The code's name, e.g. `rateLimited`.
    public var description: String { base.rawValue }
  }

  /// The kind of failure.
  public let code: Code
  /// The HTTP status, when a response arrived.
  public let status: Int?
  /// The server's `message`, or a description of the failure.
  public let message: String
  /// The parsed `Retry-After` header, when the server sent one.
  public let retryAfter: RetryAfter?
  /// The first bytes of the body, for decoding errors and unexpected statuses.
  public let bodyExcerpt: String?
  /// Whether the request may have reached the server: false only when it certainly did not.
  public let requestWasSent: Bool
  /// True when the transport gave up waiting (`requestWasSent` is then true: in doubt).
  public let timedOut: Bool
  /// True when the caller cancelled the request.
  public let cancelled: Bool

  init(
    code: Code, status: Int? = nil, message: String, retryAfter: RetryAfter? = nil,
    bodyExcerpt: String? = nil, requestWasSent: Bool = true, timedOut: Bool = false,
    cancelled: Bool = false
  ) {
    self.code = code
    self.status = status
    self.message = message
    self.retryAfter = retryAfter
    self.bodyExcerpt = bodyExcerpt
    self.requestWasSent = requestWasSent
    self.timedOut = timedOut
    self.cancelled = cancelled
  }

  /// A transport failure (public so pacing layers can report a request they never sent).
  public static func transport(
    sent: Bool, reason: String, timedOut: Bool = false, cancelled: Bool = false
  ) -> NetworkedAPIError {
    NetworkedAPIError(
      code: .transport, message: reason, requestWasSent: sent, timedOut: timedOut, cancelled: cancelled)
  }

  /// A request its ``SendGate`` held back: the body was never completed, so the server cannot
  /// have acted on it.
  public static func withheld(_ reason: String) -> NetworkedAPIError {
    NetworkedAPIError(code: .withheld, message: reason, requestWasSent: false)
  }

  /// The same error with the secrets `redactor` knows scrubbed from its texts.
  public func redacted(by redactor: Redactor) -> NetworkedAPIError {
    NetworkedAPIError(
      code: code, status: status, message: redactor.scrub(message), retryAfter: retryAfter,
      bodyExcerpt: bodyExcerpt.map(redactor.scrub), requestWasSent: requestWasSent, timedOut: timedOut,
      cancelled: cancelled)
  }

  /// A body that is not the documented shape.
  static func decoding(_ what: String, body: [UInt8], status: Int) -> NetworkedAPIError {
    NetworkedAPIError(code: .decoding, status: status, message: what, bodyExcerpt: excerpt(body))
  }

  /// The error for a response whose status is not 2xx.
  static func from(response: HTTPResponse) -> NetworkedAPIError {
    let message = Envelope<JSONValue>.message(in: response.body) ?? "HTTP \(response.status)"
    let retryAfter = response.headers["Retry-After"].flatMap(RetryAfter.init(parsing:))
    let code: Code
    switch response.status {
    case 400, 422: code = .badRequest
    case 401: code = .unauthorized
    case 403: code = .forbidden
    case 404: code = .notFound
    case 409: code = .conflict
    case 413: code = .payloadTooLarge
    case 429: code = .rateLimited
    case 500...599: code = .serverError
    default: code = .unexpectedStatus
    }
    return NetworkedAPIError(
      code: code, status: response.status, message: message, retryAfter: retryAfter,
      bodyExcerpt: excerpt(response.body))
  }

  /// Up to 200 characters of `body`, invalid UTF-8 replaced (for messages about a bad body).
  public static func excerpt(_ body: [UInt8]) -> String {
    let head = String(decoding: body.prefix(200), as: UTF8.self)
    return body.count > 200 ? head + "…" : head
  }

  public var description: String {
    var text = "\(code)"
    if let status { text += " (HTTP \(status))" }
    text += ": \(message)"
    if let retryAfter { text += "; retry after \(retryAfter)" }
    if code == .transport { text += requestWasSent ? " [request may have been sent]" : " [request not sent]" }
    return text
  }
}
