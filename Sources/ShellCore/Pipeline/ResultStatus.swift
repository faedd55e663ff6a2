import JQ

/// How much a result weighs on the run's exit status.
public enum Severity: Sendable, Hashable {
  /// Done, or deliberately not done: exit 0.
  case ok
  /// Failed, or the row itself is wrong: exit 1 at least.
  case failed
  /// The outcome is unknown: exit 2 at least (it outranks failures: a doubt needs a look first).
  case inDoubt
  /// The run must end with this status (a refused key: 77).
  case fatal(ExitStatus)

  /// The exit status it calls for.
  public var exitStatus: ExitStatus {
    switch self {
    case .ok: .success
    case .failed: .someFailed
    case .inDoubt: .someUnknown
    case .fatal(let status): status
    }
  }
}

/// The `status` of a result record: what became of one input row.
///
/// An open set, each with its severity. ShellCore knows `skipped`, `failed`, `invalid` and
/// `unknown`; a module that registers commands declares its own statuses the same way.
/// Statuses compare by name, their JSON spelling.
public struct ResultStatus: Hashable, Sendable, CustomStringConvertible {
  /// The JSON spelling.
  public let name: String
  /// How a result with this status weighs on the exit status (a record may weigh more).
  public let severity: Severity
  /// Where it comes in summaries (lower first).
  public let order: Int
  /// A line for documentation (the README's table).
  public let meaning: String

  /// Declares a status.
  public init(_ name: String, severity: Severity, order: Int, meaning: String) {
    self.name = name
    self.severity = severity
    self.order = order
    self.meaning = meaning
  }

  public static func == (a: ResultStatus, b: ResultStatus) -> Bool { a.name == b.name }
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }
  public var description: String { name }

  /// Deliberately not done: a duplicate, interrupted, or (for a module) already done.
  public static let skipped = ResultStatus(
    "skipped", severity: .ok, order: 40, meaning: "deliberately not sent (`reason` says why)")
  /// Refused, or never done because of an error; safe to retry once fixed.
  public static let failed = ResultStatus(
    "failed", severity: .failed, order: 50, meaning: "refused or not sent; safe to retry once fixed (`error`)")
  /// The row itself is wrong: malformed input, an expression that failed on it.
  public static let invalid = ResultStatus(
    "invalid", severity: .failed, order: 60,
    meaning: "the row is wrong: malformed, or an expression failed on it (`error`)")
  /// It may have happened and no answer can be trusted: in doubt.
  public static let unknown = ResultStatus(
    "unknown", severity: .inDoubt, order: 70,
    meaning: "in doubt: the request may have been acted on; run `reconcile`")

  /// The statuses ShellCore itself gives.
  public static let core: [ResultStatus] = [.skipped, .failed, .invalid, .unknown]
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
