/// nwsh's exit statuses, distinct for each way a run can end.
public enum ExitStatus: Int32, Sendable, CaseIterable {
  /// Every row succeeded.
  case success = 0
  /// Some rows failed or were invalid; none is in doubt.
  case someFailed = 1
  /// Some rows' outcome is unknown (in doubt): look at them before re-running.
  case someUnknown = 2
  /// Bad input under `--strict`: stopped at the first malformed row.
  case dataError = 65
  /// The command line or the program is wrong (syntax, unknown command or flag).
  case usage = 64
  /// The API refused the key.
  case authentication = 77
  /// The results could not be written (a full disk, an I/O error): stopped.
  case outputFailed = 74
  /// Interrupted (Ctrl-C, SIGTERM).
  case interrupted = 130
  /// The reader of the results went away (`nwsh … | head`): stopped quietly, as a program
  /// killed by SIGPIPE would report.
  case outputClosed = 141

  /// How bad the end of a run is, for combining: success < some failed < some in doubt <
  /// everything else.
  public var severity: Int {
    switch self {
    case .success: 0
    case .someFailed: 1
    case .someUnknown: 2
    case .dataError, .usage, .authentication, .interrupted, .outputFailed, .outputClosed: 3
    }
  }

  /// A line for the README's table.
  public var meaning: String {
    switch self {
    case .success: "every row succeeded"
    case .someFailed: "some rows failed or were invalid (none in doubt)"
    case .someUnknown: "some rows are in doubt (status unknown): check them before re-running"
    case .dataError: "stopped at malformed input under --strict"
    case .usage: "usage or script error"
    case .authentication: "authentication failed"
    case .outputFailed: "the results could not be written (a full disk, an I/O error): stopped"
    case .interrupted: "interrupted"
    case .outputClosed: "the reader of the results went away (| head): stopped"
    }
  }
}
