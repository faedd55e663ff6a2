import JQ
public import ShellCore

// The statuses, exit statuses, error codes and skip reasons the API commands produce, each
// spelled once.

extension ResultStatus {
  /// Invited through `invites/emails` (or `addExternalUsers` with an invitation).
  public static let invited = ResultStatus(
    "invited", severity: .ok, order: 10, meaning: "an invitation was sent")
  /// Added directly (`add-users`), or found to be a member already.
  public static let added = ResultStatus(
    "added", severity: .ok, order: 20, meaning: "added directly, or already a member")
  /// Would be sent (`--dry-run`, `reconcile --dry-run`).
  public static let planned = ResultStatus(
    "planned", severity: .ok, order: 30, meaning: "would be sent (dry run, reconcile --dry-run)")
}

extension ExitStatus {
  /// The API refused the key (or there is none).
  public static let authentication = ExitStatus(77, meaning: "authentication failed")
}

extension ErrorCode {
  // The row cannot be sent as it is (status `invalid`).
  static let missingName = ErrorCode(rawValue: "missing_name")
  static let missingEmail = ErrorCode(rawValue: "missing_email")
  static let invalidEmail = ErrorCode(rawValue: "invalid_email")
  static let missingRole = ErrorCode(rawValue: "missing_role")
  static let unknownRole = ErrorCode(rawValue: "unknown_role")
  static let unknownPlan = ErrorCode(rawValue: "unknown_plan")
  static let missingPassword = ErrorCode(rawValue: "missing_password")
  static let controlCharacter = ErrorCode(rawValue: "control_character")

  // The request was refused or never made (status `failed`).
  static let unauthorized = ErrorCode(rawValue: "unauthorized")
  static let forbidden = ErrorCode(rawValue: "forbidden")
  static let rateLimited = ErrorCode(rawValue: "rate_limited")
  static let payloadTooLarge = ErrorCode(rawValue: "payload_too_large")
  static let badRequest = ErrorCode(rawValue: "bad_request")
  static let conflict = ErrorCode(rawValue: "conflict")
  static let notFound = ErrorCode(rawValue: "not_found")
  static let rejected = ErrorCode(rawValue: "rejected")
  static let unavailable = ErrorCode(rawValue: "unavailable")
  static let notSent = ErrorCode(rawValue: "not_sent")
  static let apiError = ErrorCode(rawValue: "api_error")
  static let journalError = ErrorCode(rawValue: "journal_error")
  static let journalConflict = ErrorCode(rawValue: "journal_conflict")
  static let interrupted = ErrorCode(rawValue: "interrupted")

  // The request may have been acted on (status `unknown`).
  static let inDoubt = ErrorCode(rawValue: "in_doubt")
  static let missingFromResponse = ErrorCode(rawValue: "missing_from_response")
  static let contradictoryResponse = ErrorCode(rawValue: "contradictory_response")
  static let unclassifiedRefusal = ErrorCode(rawValue: "unclassified_refusal")

  // Answers the server gives that settle a person.
  static let alreadyInvited = ErrorCode(rawValue: "already_invited")
  static let alreadyMember = ErrorCode(rawValue: "already_member")

  // Reconcile.
  static let needsPassword = ErrorCode(rawValue: "needs_password")

  /// A sentence for a journalled code (``ErrorCatalog``'s).
  var meaning: String { ErrorCatalog.entry(self)?.meaning ?? "the server answered \(rawValue)" }
}

extension SkipReason {
  /// Another run holds a claim on the person and may be sending now.
  static let claimed = SkipReason(rawValue: "claimed")
  /// An earlier request for the person may have reached the server.
  static let inDoubt = SkipReason(rawValue: "in_doubt")
  /// The journal shows them added.
  static let alreadyAdded = SkipReason(rawValue: "already_added")
  /// The journal shows them invited, or the server says an invite was already sent.
  static let alreadyInvited = SkipReason(rawValue: "already_invited")
  /// The server says they are a member already (now, or when an earlier run asked).
  static let alreadyMember = SkipReason(rawValue: "already_member")
  /// The key was refused earlier in the run; nothing more is sent.
  static let authenticationFailed = SkipReason(rawValue: "authentication_failed")
  /// The run was stopped past its lease and its claim was judged by another run meanwhile;
  /// nothing was sent by this run.
  static let leaseLost = SkipReason(rawValue: "lease_lost")

  /// Not settled by this run and not free to send: the run ends in doubt (exit 2).
  var leavesRunInDoubt: Bool { self == .claimed || self == .inDoubt || self == .leaseLost }
}

extension NetworkedCommands {
  /// Every result status the API commands give (ShellCore's and their own), in summary order.
  public static let statuses: [ResultStatus] = (ResultStatus.core + [.invited, .added, .planned]).sorted {
    $0.order < $1.order
  }

  /// Every exit status a run with the API commands can end with.
  public static let exitStatuses: [ExitStatus] = (ExitStatus.core + [.authentication]).sorted {
    $0.rawValue < $1.rawValue
  }
}

/// A `skipped` result: its reason and the fields that explain it.
struct Skip {
  var reason: SkipReason
  var details: [(String, Value)] = []

  /// The result's fields, `reason` first.
  var fields: [(String, Value)] { [Value.reason(reason)] + details }

  /// How the run's exit status counts it: in doubt when this run could not settle the person.
  var severity: Severity { reason.leavesRunInDoubt ? .inDoubt : .ok }
}
