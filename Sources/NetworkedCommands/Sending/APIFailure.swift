import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// How a failed request maps to row statuses.
enum APIFailure {
  /// `failed` when the request was definitely not carried out (a 4xx, a refusal, a failure to
  /// connect); `unknown` when it may have been (timeout or reset after sending, 5xx other than
  /// 503, an unreadable 2xx): such rows are never re-sent blindly.
  static func classify(_ error: NetworkedAPIError) -> (status: ResultStatus, code: ErrorCode) {
    switch error.code {
    case .unauthorized: return (.failed, .unauthorized)
    case .forbidden: return (.failed, .forbidden)
    case .rateLimited: return (.failed, .rateLimited)
    case .payloadTooLarge: return (.failed, .payloadTooLarge)
    case .badRequest: return (.failed, .badRequest)
    case .conflict: return (.failed, .conflict)
    case .notFound: return (.failed, .notFound)
    case .rejected: return (.failed, .rejected)
    case .serverError where error.status == 503: return (.failed, .unavailable)
    case .serverError: return (.unknown, .inDoubt)
    case .decoding: return (.unknown, .inDoubt)
    case .transport: return error.requestWasSent ? (.unknown, .inDoubt) : (.failed, .notSent)
    case .withheld: return (.failed, .notSent)
    default: return (.failed, .apiError)
    }
  }

  static func errorValue(_ error: NetworkedAPIError, code: ErrorCode) -> Value {
    var extra: [(String, Value)] = []
    if let status = error.status { extra.append(("http", .number(status))) }
    if code == .inDoubt {
      extra.append(("why", .string("the request may have reached the server; nwsh will not resend it blindly")))
    }
    return .error(code: code, message: error.description, extra)
  }

  /// A step's failure, for a message.
  static func describe(_ failure: SendMachine.Failure) -> String {
    switch failure {
    case .interrupted: "interrupted"
    case .state(let error): "\(error)"
    }
  }
}
