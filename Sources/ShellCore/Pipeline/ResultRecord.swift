public import JQ

/// A result record: `{"row", "op", "status", …}`, the final word on one input row.
///
/// The one builder of result lines: reports from ShellCore's stages and an embedder's command
/// results alike. Its ``severity`` (by default its status's) is what the run's exit status is
/// derived from (``RunContext``).
public struct ResultRecord: Sendable {
  /// The input row it is about (1-based).
  public var row: Int
  /// The command that made it (`read`, `map`, `invite`…).
  public var op: String
  /// What became of the row.
  public var status: ResultStatus
  /// How it weighs on the exit status.
  public var severity: Severity
  /// The other fields, in order (after `row`, `op`, `status`).
  public private(set) var fields: [(String, Value)]
  /// Whether this result stands for a row a stopped run could take no further: `take N` after
  /// the stage that gave it counts it as one of its N rows.
  public var standsForRow = false

  /// A record for `row`, made by `op`, with `fields` after `row`, `op` and `status`.
  public init(row: Int, op: String, status: ResultStatus, severity: Severity? = nil, _ fields: [(String, Value)] = []) {
    self.row = row
    self.op = op
    self.status = status
    self.severity = severity ?? status.severity
    self.fields = fields
  }

  /// Adds a field (nothing when `value` is nil).
  public mutating func add(_ key: String, _ value: Value?) {
    if let value { fields.append((key, value)) }
  }

  /// Adds a string field (nothing when `text` is nil).
  public mutating func add(_ key: String, _ text: String?) {
    if let text { fields.append((key, .string(text))) }
  }

  /// The value of field `key`, if it has one.
  public subscript(key: String) -> Value? { fields.last { $0.0 == key }?.1 }

  /// The JSON object: `row`, `op`, `status`, then the fields in order.
  public var value: Value {
    .object(
      JSONObject([("row", .number(row)), ("op", .string(op)), ("status", .string(status.name))] + fields))
  }
}

extension Value {
  /// `{"code", "message", …}` for a result's `error`.
  public static func error(code: ErrorCode, message: String, _ extra: [(String, Value)] = []) -> Value {
    .object(JSONObject([("code", .string(code.rawValue)), ("message", .string(message))] + extra))
  }

  /// `("reason", reason)`, a skipped result's field.
  public static func reason(_ reason: SkipReason) -> (String, Value) { ("reason", .string(reason.rawValue)) }
}
