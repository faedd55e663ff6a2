import JQ

/// How a run ends: the process's exit status, with what it means.
///
/// An open set: ShellCore declares the statuses of any program (success, some rows failed or in
/// doubt, usage, bad data, output, interrupts); a module that registers commands declares its
/// own the same way. Statuses compare by code.
public struct ExitStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// The process's exit code.
  public let rawValue: Int32
  /// A line for documentation (the README's table, the man page).
  public let meaning: String
  /// How bad it is, for combining: success < some failed < some in doubt < everything else.
  let rank: Int

  /// A status with `code` that stops a run (ranked above every result).
  public init(_ code: Int32, meaning: String) {
    self.init(code, meaning: meaning, rank: 3)
  }

  private init(_ code: Int32, meaning: String, rank: Int) {
    rawValue = code
    self.meaning = meaning
    self.rank = rank
  }

  /// The known status with `rawValue`, else one with that code (a program's `halt_error`).
  public init(rawValue: Int32) {
    self = Self.core.first { $0.rawValue == rawValue } ?? ExitStatus(rawValue, meaning: "halt_error(\(rawValue))")
  }

  public static func == (a: ExitStatus, b: ExitStatus) -> Bool { a.rawValue == b.rawValue }
  public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
  public var description: String { "\(rawValue)" }

  /// Every row succeeded.
  public static let success = ExitStatus(0, meaning: "every row succeeded", rank: 0)
  /// Some rows failed or were invalid; none is in doubt.
  public static let someFailed = ExitStatus(1, meaning: "some rows failed or were invalid (none in doubt)", rank: 1)
  /// Some rows' outcome is unknown (in doubt): look at them before re-running.
  public static let someUnknown = ExitStatus(
    2, meaning: "some rows are in doubt (status unknown): check them before re-running", rank: 2)
  /// jq's status for a program that failed on some of its input values.
  public static let evaluationError = ExitStatus(
    5, meaning: "a jq program failed on some of its input values (as jq, without -n)", rank: 1)
  /// The command line or the program is wrong (syntax, unknown command or flag).
  public static let usage = ExitStatus(64, meaning: "usage or script error")
  /// Malformed input under `--strict`, or in the input of a jq program run on each value: stopped.
  public static let dataError = ExitStatus(
    65, meaning: "stopped at malformed input (under --strict, or in a jq program's input)")
  /// The results could not be written (a full disk, an I/O error): stopped.
  public static let outputFailed = ExitStatus(
    74, meaning: "the results could not be written (a full disk, an I/O error): stopped")
  /// Interrupted (Ctrl-C, SIGTERM).
  public static let interrupted = ExitStatus(130, meaning: "interrupted")
  /// The reader of the results went away (`nwsh … | head`): stopped quietly, as a program
  /// killed by SIGPIPE would report.
  public static let outputClosed = ExitStatus(
    141, meaning: "the reader of the results went away (| head): stopped")

  /// The statuses ShellCore itself ends runs with.
  public static let core: [ExitStatus] = [
    .success, .someFailed, .someUnknown, .evaluationError, .usage, .dataError, .outputFailed, .interrupted,
    .outputClosed,
  ]

  /// The worse of two statuses (the first of two equally bad ones).
  public static func worst(_ a: ExitStatus, _ b: ExitStatus) -> ExitStatus { b.rank > a.rank ? b : a }
}
