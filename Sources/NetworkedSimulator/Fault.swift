/// A fault the simulator plays on one request, scripted by a test.
///
/// Faults wait in a queue; each request takes the first one whose path matches (or that has
/// none). A request rejected for a missing key or a rate window takes no fault.
public enum Fault: Sendable, Hashable {
  /// Wait this long (real time, or the configured `sleep`), then answer normally.
  case delay(milliseconds: Int)
  /// Answer this status with an error envelope, without acting on the request.
  case status(Int)
  /// Act on the request, then answer this status with an error envelope (it was done anyway).
  case statusAfterActing(Int)
  /// Answer 503 with this `Retry-After` value, without acting.
  case unavailable(retryAfter: String)
  /// Answer 429 with this `Retry-After` value (none when nil), without acting.
  case rateLimited(retryAfter: String?)
  /// Act, then answer 200 with this body and content type (HTML, malformed, contradictory…).
  case body(String, contentType: String = "application/json; charset=utf-8", acting: Bool = true)
  /// Act, then send the headers and half the body and close the connection.
  case truncatedBody
  /// Read the request and close the connection without acting on it.
  case closeBeforeActing
  /// Act, then close the connection without answering.
  case closeAfterActing
  /// Act, then never answer, so the client times out.
  case hangAfterActing
  /// Act, then send the answer one byte every `intervalMilliseconds` (real time).
  case dripAfterActing(intervalMilliseconds: Int)
  /// Answer an invites call 200 with every email in `data.failure` carrying this `error`
  /// JSON (the docs' own example is `{}`), without acting.
  case refuseEveryone(errorJSON: String)
  /// Answer with the request's own `x-api-key` echoed in every field it can reach: plain,
  /// percent-encoded, base64, JSON-escaped, in the message, in a detail object and in a URL's
  /// user-info (an invites call gets 200 with every email failed so; anything else `status`).
  case echoKey(status: Int)
}
