/// The `status` of a result record: what became of one input row.
///
/// The JSON spelling is the raw value. Every result nwsh writes carries one; the exit status is
/// derived from them (``exitStatus``), and nothing else compares status text.
public enum RowStatus: String, Sendable, CaseIterable, Comparable {
  /// Invited through `invites/emails` (or `addExternalUsers` with an invitation).
  case invited
  /// Added directly (`add-users`), or found to be a member already.
  case added
  /// Would be sent (`--dry-run`, or `reconcile` without `--apply`).
  case planned
  /// Deliberately not sent: a duplicate, already done, claimed by another run, interrupted.
  case skipped
  /// The API refused it, or it was never sent because of an error; safe to retry once fixed.
  case failed
  /// The row itself is wrong: malformed input, an expression error, a missing email.
  case invalid
  /// The request may have reached the server and no answer can be trusted: in doubt.
  case unknown

  /// The exit status a run that produced this result can end with at best.
  public var exitStatus: ExitStatus {
    switch self {
    case .invited, .added, .planned, .skipped: .success
    case .failed, .invalid: .someFailed
    case .unknown: .someUnknown
    }
  }

  /// A line for the README's table.
  public var meaning: String {
    switch self {
    case .invited: "an invitation was sent"
    case .added: "added directly, or already a member"
    case .planned: "would be sent (dry run, reconcile without --apply)"
    case .skipped: "deliberately not sent (`reason` says why)"
    case .failed: "refused or not sent; safe to retry once fixed (`error`)"
    case .invalid: "the row is wrong: malformed, or an expression failed on it (`error`)"
    case .unknown: "in doubt: the request may have been acted on; run `reconcile`"
    }
  }

  /// The order summaries list statuses in.
  public static func < (a: RowStatus, b: RowStatus) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// The status a result record carries, if it is one nwsh knows.
  public init?(of record: Value) {
    guard case .string(let text)? = record["status"] else { return nil }
    self.init(rawValue: text)
  }
}

/// The `code` of a result's `error`: a stable, machine-readable name for what went wrong.
///
/// An open set: each module defines the codes it produces as static members, once.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// The JSON spelling.
  public let rawValue: String
  /// A code spelled `rawValue`.
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// A JSON value that is not valid JSON, or over the size or depth limits.
  public static let badJSON = ErrorCode(rawValue: "bad_json")
  /// A CSV record that cannot be read (an unclosed quote, over the size limit).
  public static let badCSV = ErrorCode(rawValue: "bad_csv")
  /// The row's expression (`map`, `where`, `dedupe`…) raised an error on it.
  public static let expressionError = ErrorCode(rawValue: "expression_error")
  /// A row that must be an object is not one.
  public static let notAnObject = ErrorCode(rawValue: "not_an_object")
}

/// The `reason` of a `skipped` result.
///
/// An open set, like ``ErrorCode``.
public struct SkipReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// The JSON spelling.
  public let rawValue: String
  /// A reason spelled `rawValue`.
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// The same key (email) appeared on an earlier row.
  public static let duplicate = SkipReason(rawValue: "duplicate")
  /// Ctrl-C or SIGTERM came before the row was handled.
  public static let interrupted = SkipReason(rawValue: "interrupted")
}

extension Value {
  /// A result record `{"row", "op", "status", "email", …}` in the field order results use.
  public static func result(row: Int, status: RowStatus, _ fields: [(String, Value)]) -> Value {
    // The documented order: row, op, status, email, then the rest.
    let op = fields.first { $0.0 == "op" }.map { [$0] } ?? []
    let email = fields.first { $0.0 == "email" }.map { [$0] } ?? []
    let rest = fields.filter { $0.0 != "op" && $0.0 != "email" }
    return .object(JSONObject([("row", .number(row))] + op + [("status", .string(status.rawValue))] + email + rest))
  }

  /// `{"code", "message", …}` for a result's `error`.
  public static func error(code: ErrorCode, message: String, _ extra: [(String, Value)] = []) -> Value {
    .object(JSONObject([("code", .string(code.rawValue)), ("message", .string(message))] + extra))
  }

  /// `("reason", reason)`, a skipped result's field.
  public static func reason(_ reason: SkipReason) -> (String, Value) { ("reason", .string(reason.rawValue)) }
}
