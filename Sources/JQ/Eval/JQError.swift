/// A jq runtime error: carries a value (`error("msg")`, `error({…})`), like jq's.
public struct JQError: Error, Sendable, CustomStringConvertible {
  /// The error's value; a string for built-in errors.
  public var value: Value
  /// Where the failing expression is, when known.
  public var range: SourceRange?

  /// An error with a message.
  public init(_ message: String, at range: SourceRange? = nil) {
    self.value = .string(message)
    self.range = range
  }

  /// An error carrying `value`.
  public init(value: Value, at range: SourceRange? = nil) {
    self.value = value
    self.range = range
  }

  /// The message as jq prints it: a string as is, anything else as JSON plus a note.
  public var message: String {
    if case .string(let text) = value { return text }
    return JSONWriter.compact(value) + " (not a string)"
  }

  public var description: String { message }

  /// As a ``Diagnostic`` for reporting.
  public var diagnostic: Diagnostic { Diagnostic(.runtime, message, at: range) }
}

/// Thrown when evaluation stops because the run was interrupted (Ctrl-C, SIGTERM), or by a
/// ``JQFunction`` to stop the whole run; no `try` catches it.
public struct EvaluationInterrupted: Error, Sendable {
  /// Creates the signal.
  public init() {}
}

/// Unwinds to a `label`.
struct BreakSignal: Error {
  let label: Int
}

/// Stops a generator early (`first`, `limit`, `isempty`).
struct StopSignal: Error {
  /// Which generator it stops (a fresh interpreter ID).
  let token: Int
}

/// How jq 1.8 abbreviates a value in an error message: whole up to 29 bytes; else a string
/// keeps 24 bytes of its text (on a character boundary) plus `..."`, an array or an object 25
/// bytes plus `...]` or `...}`, anything else 26 bytes plus `...`.
func errorText(_ value: Value) -> String {
  let text = JSONWriter.compact(value)
  let bytes = Array(text.utf8)
  guard bytes.count > 29 else { return text }
  func cut(_ bytes: ArraySlice<UInt8>, _ limit: Int) -> String {
    var end = bytes.startIndex + min(limit, bytes.count)
    while end > bytes.startIndex && end < bytes.endIndex && bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
  }
  // As jq's `jv_dump_string_trunc` into 30 bytes: 25 of the text, `...` and the closing
  // delimiter for a string, an array or an object; 26 and `...` for anything else.
  switch value {
  case .string: return "\"" + cut(bytes.dropFirst(), 24) + "...\""
  case .array: return cut(bytes[...], 25) + "...]"
  case .object: return cut(bytes[...], 25) + "...}"
  default: return cut(bytes[...], 26) + "..."
  }
}

/// `type (value)`, as jq describes a value in errors.
func describe(_ value: Value) -> String { "\(value.typeName) (\(errorText(value)))" }
