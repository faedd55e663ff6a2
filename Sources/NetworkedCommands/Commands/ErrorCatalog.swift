import JQ
public import ShellCore

/// What sending the same row again would do, for a result's error code.
public enum RetryAdvice: String, Sendable, CaseIterable {
  /// The same row may well succeed later (the server was busy or away, nothing was sent, the
  /// journal could not be written): a re-run sends it again.
  case retry = "yes"
  /// The same row would be refused again: fix the row (or the key) first.
  case fixFirst = "fix the row first"
  /// The request may have been carried out: `reconcile`, never a plain re-run.
  case reconcile = "reconcile, never a re-run"
}

/// One error code the API commands' results can carry.
public struct ErrorCodeEntry: Sendable {
  /// The code, as in `error.code`.
  public var code: ErrorCode
  /// The status it comes with.
  public var status: ResultStatus
  /// What it means.
  public var meaning: String
  /// Whether the same row, sent again, may succeed.
  public var advice: RetryAdvice
}

/// Every error code a result can carry (`read`'s and `map`'s, then those of `invite`,
/// `add-users` and `reconcile`), in one table: the README's table of codes is checked against
/// it, a `failed` result's `error.retryable` comes from it, and so do the journal's sentences.
public enum ErrorCatalog {
  /// The codes, in the README's order.
  public static let entries: [ErrorCodeEntry] = [
    // Input that never became a row to send (read, map, where, dedupe).
    .init(
      code: .badJSON, status: .invalid,
      meaning: "not valid JSON, or over the size or depth limits (with line and column)",
      advice: .fixFirst),
    .init(
      code: .badCSV, status: .invalid, meaning: "a CSV record that cannot be read (an unclosed quote)",
      advice: .fixFirst),
    .init(
      code: .expressionError, status: .invalid, meaning: "the pipeline's expression failed on the row (role(\"\"), …)",
      advice: .fixFirst),
    // Refused before a request was spent.
    .init(code: .notAnObject, status: .invalid, meaning: "the row is not an object", advice: .fixFirst),
    .init(code: .missingName, status: .invalid, meaning: "no name, or an empty one", advice: .fixFirst),
    .init(code: .missingEmail, status: .invalid, meaning: "no email, or an empty one", advice: .fixFirst),
    .init(
      code: .invalidEmail, status: .invalid, meaning: "not an email address (or the server says so)", advice: .fixFirst),
    .init(code: .missingRole, status: .invalid, meaning: "no tagId / roleId", advice: .fixFirst),
    .init(code: .unknownRole, status: .invalid, meaning: "no role has that id", advice: .fixFirst),
    .init(
      code: .unknownPlan, status: .invalid, meaning: "no plan has that id, or planIds is not ids", advice: .fixFirst),
    .init(code: .missingPassword, status: .invalid, meaning: "--method direct without a password", advice: .fixFirst),
    .init(
      code: .controlCharacter, status: .invalid,
      meaning: "a control character in a name (in a note, anything but line breaks and tabs)", advice: .fixFirst),
    // Refused by the server, for one person.
    .init(code: .invalidName, status: .failed, meaning: "the server refused the name", advice: .fixFirst),
    .init(code: .missingTag, status: .failed, meaning: "the server found no role in the request", advice: .fixFirst),
    .init(code: .unknownTag, status: .failed, meaning: "the server knows no role with that id", advice: .fixFirst),
    .init(code: .invalidNote, status: .failed, meaning: "the server refused the note", advice: .fixFirst),
    .init(
      code: .alreadyInvited, status: .failed,
      meaning: "the server says an invite was sent too recently to send a reminder (a failure only with "
        + "--reinvite, and worth trying later; otherwise the person is skipped, already_invited)",
      advice: .retry),
    .init(
      code: .rejected, status: .failed, meaning: "the server refused without saying why (error: {})",
      advice: .fixFirst),
    // Refused by the server, for the whole request.
    .init(code: .unauthorized, status: .failed, meaning: "the server refused the key (exit 77)", advice: .fixFirst),
    .init(code: .forbidden, status: .failed, meaning: "the key may not do this (exit 77)", advice: .fixFirst),
    .init(code: .badRequest, status: .failed, meaning: "the server refused the request (400)", advice: .fixFirst),
    .init(code: .conflict, status: .failed, meaning: "the server refused the add (409)", advice: .fixFirst),
    .init(code: .notFound, status: .failed, meaning: "no such endpoint (404)", advice: .fixFirst),
    .init(
      code: .payloadTooLarge, status: .failed,
      meaning: "one person was too large for the server (413; larger batches are split)", advice: .fixFirst),
    .init(
      code: .rateLimited, status: .failed,
      meaning: "429 after every retry the budget allowed: nothing was carried out", advice: .retry),
    .init(
      code: .unavailable, status: .failed,
      meaning: "503 after every retry the budget allowed: nothing was carried out", advice: .retry),
    .init(code: .notSent, status: .failed, meaning: "the request never reached the server", advice: .retry),
    .init(
      code: .apiError, status: .failed, meaning: "the client failed before sending (nothing was carried out)",
      advice: .retry),
    .init(
      code: .journalError, status: .failed,
      meaning: "not sent: the journal could not be written (with status unknown: answered, but not recorded)",
      advice: .retry),
    // In doubt.
    .init(
      code: .inDoubt, status: .unknown, meaning: "the request may have reached the server; no answer could be trusted",
      advice: .reconcile),
    .init(
      code: .missingFromResponse, status: .unknown,
      meaning: "the server listed this email as neither invited nor failed", advice: .reconcile),
    .init(
      code: .contradictoryResponse, status: .unknown,
      meaning: "the server listed this email as both invited and failed", advice: .reconcile),
    .init(
      code: .unclassifiedRefusal, status: .unknown,
      meaning: "the server refused the re-send in a way that does not say whether the first request worked",
      advice: .reconcile),
    .init(
      code: .journalConflict, status: .unknown,
      meaning: "answered while this run was stopped past its lease, after another run had taken the person over: "
        + "both answers are journalled (error.answer holds this one)",
      advice: .reconcile),
    .init(
      code: .interrupted, status: .unknown,
      meaning: "reconcile was interrupted before its re-send left: still in doubt",
      advice: .reconcile),
    .init(
      code: .needsPassword, status: .unknown,
      meaning: "reconcile needs the password of a direct add (--passwords FILE); none is ever stored",
      advice: .reconcile),
  ]

  private static let byCode: [String: ErrorCodeEntry] = Dictionary(
    entries.map { ($0.code.rawValue, $0) }, uniquingKeysWith: { first, _ in first })

  /// The entry for `code`, if it is one of the API commands'.
  public static func entry(_ code: ErrorCode) -> ErrorCodeEntry? { byCode[code.rawValue] }

  /// `error` (a failed result's error object) with `retryable` added: true when sending the
  /// same row again may work. A code the table does not know (a server's own) counts as not.
  static func markRetryable(_ error: Value) -> Value {
    guard case .object(var members) = error, case .string(let code)? = error["code"] else { return error }
    members["retryable"] = .bool(byCode[code]?.advice == .retry)
    return .object(members)
  }
}

extension ErrorCode {
  // Per-email refusals the simulator gives (the real service may send `{}`: `rejected`).
  static let invalidName = ErrorCode(rawValue: "invalid_name")
  static let missingTag = ErrorCode(rawValue: "missing_tag")
  static let unknownTag = ErrorCode(rawValue: "unknown_tag")
  static let invalidNote = ErrorCode(rawValue: "invalid_note")
}
