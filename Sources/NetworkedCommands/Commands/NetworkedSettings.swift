public import ShellCore

/// The settings the API commands add to a session (`set NAME VALUE`), declared once.
public enum NetworkedSettings {
  /// Invitees per invites request when rows are not batched upstream.
  public static let batchSize = Setting.integer(
    "batch-size", summary: "invitees per invites request when the rows are not batched upstream",
    default: NetworkedCommands.defaultBatchSize, range: 1...1000)
  /// Seconds one request may take in all (a request cut off is in doubt).
  public static let requestDeadline = Setting.integer(
    "request-deadline",
    summary: "seconds one request may take in all, from connecting to the answer's last byte (one cut off is in doubt)",
    default: 120, range: 1...3600)
  /// Plan every request, send none.
  public static let dryRun = Setting.toggle(
    "dry-run", summary: "plan every request, send none (GETs such as role lookups still go out)", default: false)
  /// Send even to people the journal says were already invited or added.
  public static let reinvite = Setting.toggle(
    "reinvite", summary: "send even to emails the journal says were already invited or added (normally skipped)",
    default: false)
  /// The API's rate windows.
  public static let rateLimits = Setting<[RateLimit]>(
    "rate-limits", summary: "the API's rate windows, LIMIT/SPAN,… (none for no limits)", default: RateLimit.documented,
    parse: { text in
      do {
        return try RateLimit.parseList(text)
      } catch let error as RateLimitSyntaxError {
        throw SettingError(error.description)
      }
    }, describe: { $0.isEmpty ? "none" : $0.map(\.description).joined(separator: ",") })

  static let all: [SettingDefinition] = [
    batchSize.definition, requestDeadline.definition, dryRun.definition, reinvite.definition, rateLimits.definition,
  ]
}
