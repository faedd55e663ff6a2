import Foundation
public import NetworkedAPI

/// `--trace`: every HTTP exchange on stderr, with the key and passwords redacted.
///
/// It wraps the transport itself (inside the auth layer), so it shows the request exactly as
/// sent, `x-api-key` included, and redacts: that header, `password` form fields, and any
/// occurrence of the key in any form `Redactor` (NetworkedAPI) knows, anywhere in the text.
public struct TracingTransport: HTTPTransport {
  private let base: any HTTPTransport
  private let write: @Sendable (String) -> Void
  private let redactor: Redactor
  private let clock: @Sendable () -> Double

  /// Traces `base` to `write`; `key` is scrubbed wherever it appears.
  public init(
    _ base: any HTTPTransport, key: String?, write: @escaping @Sendable (String) -> Void,
    clock: (@Sendable () -> Double)? = nil
  ) {
    self.base = base
    self.write = write
    self.clock = clock ?? { Date().timeIntervalSince1970 }
    self.redactor = Redactor(secrets: key.map { [$0] } ?? [])
  }

  public func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse {
    var lines = ["→ \(request.method.rawValue) \(baseURL.string)\(request.target)"]
    for (name, value) in request.headers {
      lines.append("  \(name): \(name.lowercased() == "x-api-key" ? "<redacted>" : value)")
    }
    if let body = request.body, !body.isEmpty {
      lines.append("  " + Self.excerpt(body, form: request.headers["Content-Type"]?.contains("form") == true))
    }
    write(scrub(lines.joined(separator: "\n")) + "\n")
    let started = clock()
    do {
      let response = try await base.send(request, baseURL: baseURL)
      let milliseconds = Int(((clock() - started) * 1000).rounded())
      var text = "← \(response.status) (\(milliseconds) ms, \(response.body.count) bytes)"
      if let retryAfter = response.headers["Retry-After"] { text += " Retry-After: \(retryAfter)" }
      if !response.body.isEmpty { text += "\n  " + Self.excerpt(response.body, form: false) }
      write(scrub(text) + "\n")
      return response
    } catch let error as NetworkedAPIError where error.code == .withheld {
      write("← withheld at the fence: the body's last byte never went, so the server cannot act on it\n")
      throw error
    } catch {
      write(scrub("← failed: \(error)") + "\n")
      throw error
    }
  }

  private func scrub(_ text: String) -> String { redactor.scrub(text) }

  /// Up to 2 KB of a body; `password=` form values redacted.
  static func excerpt(_ body: [UInt8], form: Bool) -> String {
    var text = String(decoding: body.prefix(2048), as: UTF8.self)
    if form {
      text = text.split(separator: "&", omittingEmptySubsequences: false).map { field in
        field.hasPrefix("password=") ? "password=<redacted>" : String(field)
      }.joined(separator: "&")
    }
    return body.count > 2048 ? text + "… (\(body.count) bytes)" : text
  }
}

/// Gives every request the overall deadline `set request-deadline` holds (when it has none).
struct DeadlineMiddleware: HTTPMiddleware {
  let deadline: @Sendable () -> Double?

  init(_ deadline: @escaping @Sendable () -> Double?) { self.deadline = deadline }

  func intercept(
    _ request: HTTPRequest, baseURL: BaseURL, next: @Sendable (HTTPRequest, BaseURL) async throws -> HTTPResponse
  ) async throws -> HTTPResponse {
    var request = request
    if request.deadline == nil { request.deadline = deadline() }
    return try await next(request, baseURL)
  }
}
