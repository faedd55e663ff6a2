import Dispatch
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The production transport: Foundation's `URLSession` (libcurl on Linux).
///
/// Redirects are refused (so the key never follows a redirect to another host), nothing is
/// cached, no cookies are kept, and no connection is reused (`Connection: close`), so libcurl
/// never silently re-sends a request on a dead keep-alive connection.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
  // Threading: `made` is read and written only with `lock` held; the rest is immutable.
  private let timeout: TimeInterval
  private let deadline: TimeInterval
  private let lock = NSLock()
  private var made: URLSession?

  /// Creates a transport whose requests time out after `timeout` seconds without progress,
  /// and after `deadline` seconds in all (unless a request sets its own
  /// ``HTTPRequest/deadline``). The `URLSession` (and libcurl with it) starts on the first
  /// request, so a program that never calls the API pays nothing for it.
  public init(timeout: Double = 60, deadline: Double = 120) {
    self.timeout = max(1, timeout)  // libcurl takes whole seconds; below 1 it fails at once
    self.deadline = deadline
  }

  deinit { made?.finishTasksAndInvalidate() }

  private var session: URLSession {
    lock.lock()
    defer { lock.unlock() }
    if let made { return made }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpShouldSetCookies = false
    configuration.urlCache = nil
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    configuration.timeoutIntervalForRequest = timeout
    configuration.httpMaximumConnectionsPerHost = 4
    let session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
    made = session
    return session
  }

  public func send(_ request: HTTPRequest, baseURL: BaseURL) async throws -> HTTPResponse {
    guard let url = URL(string: baseURL.string + request.target) else {
      throw NetworkedAPIError.transport(sent: false, reason: "invalid URL for \(request.path)")
    }
    var urlRequest = URLRequest(url: url, timeoutInterval: timeout)
    urlRequest.httpMethod = request.method.rawValue
    for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
    // One connection per request. A reused keep-alive connection that turns out dead makes
    // libcurl send the request again by itself, and a POST sent twice could invite twice; at
    // ten requests a minute a fresh connection costs nothing that matters.
    urlRequest.setValue("close", forHTTPHeaderField: "Connection")
    if let body = request.body { urlRequest.httpBody = Data(body) }

    let box = TaskBox()
    let limit = request.deadline ?? deadline
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
        let task = session.dataTask(with: urlRequest) { data, response, error in
          if box.expired {
            continuation.resume(
              throwing: NetworkedAPIError.transport(
                sent: true, reason: "no complete answer within the \(Self.seconds(limit)) deadline", timedOut: true))
            return
          }
          if let error {
            continuation.resume(throwing: Self.classify(error))
            return
          }
          guard let http = response as? HTTPURLResponse else {
            continuation.resume(
              throwing: NetworkedAPIError.transport(sent: true, reason: "response was not HTTP"))
            return
          }
          var headers = HTTPHeaders()
          for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
          }
          continuation.resume(
            returning: HTTPResponse(status: http.statusCode, headers: headers, body: Array(data ?? Data())))
        }
        box.set(task)
        // The whole exchange, not only the silences between bytes, is bounded.
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { box.expire() }
        task.resume()
      }
    } onCancel: {
      box.cancel()
    }
  }

  static func seconds(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
  }

  /// Maps a URLSession failure to a transport error, deciding whether the request may have left.
  static func classify(_ error: any Error) -> NetworkedAPIError {
    guard let urlError = error as? URLError else {
      return .transport(sent: true, reason: String(describing: error))
    }
    switch urlError.code {
    case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet,
      .badURL, .unsupportedURL, .secureConnectionFailed, .serverCertificateUntrusted,
      .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot,
      .clientCertificateRejected, .appTransportSecurityRequiresSecureConnection:
      return .transport(sent: false, reason: describe(urlError))
    case .cancelled:
      return .transport(sent: true, reason: "cancelled", cancelled: true)
    case .timedOut:
      return .transport(sent: true, reason: "timed out", timedOut: true)
    default:
      return .transport(sent: true, reason: describe(urlError))
    }
  }

  private static func describe(_ error: URLError) -> String {
    let underlying = (error as NSError).userInfo[NSLocalizedDescriptionKey] as? String
    return underlying ?? "URL error \(error.code.rawValue)"
  }
}

/// Holds the running task so cancellation can reach it.
private final class TaskBox: @unchecked Sendable {
  // Threading: every field is read and written only with `lock` held.
  private let lock = NSLock()
  private var task: URLSessionTask?
  private var cancelled = false

  func set(_ task: URLSessionTask) {
    lock.lock()
    self.task = task
    let cancelNow = cancelled
    lock.unlock()
    if cancelNow { task.cancel() }
  }

  func cancel() {
    lock.lock()
    cancelled = true
    let task = self.task
    lock.unlock()
    task?.cancel()
  }

  private var deadlinePassed = false

  /// Whether the deadline cut the task off.
  var expired: Bool {
    lock.lock()
    defer { lock.unlock() }
    return deadlinePassed
  }

  /// The deadline has passed: cancel the task unless it has finished.
  func expire() {
    lock.lock()
    let task = self.task
    let running = task.map { $0.state == .running || $0.state == .suspended } ?? false
    if running { deadlinePassed = true }
    lock.unlock()
    if running { task?.cancel() }
  }
}

private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
  // Threading: no stored state (NSObject is what keeps the compiler from seeing that).
  func urlSession(
    _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
  ) {
    completionHandler(nil)
  }
}
