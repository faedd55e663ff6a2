/// Where a row came from: the input's name and the line its value starts on.
public struct Origin: Sendable, Hashable {
  /// `<stdin>`, a file path, or `<expression>`.
  public var source: String
  /// 1-based line of the value's first byte (0 when not from text).
  public var line: Int

  /// Creates an origin.
  public init(source: String, line: Int) {
    self.source = source
    self.line = line
  }
}

/// One input row flowing through a pipeline.
public struct Row: Sendable {
  /// The value.
  public var value: Value
  /// 1-based position among the rows its source produced; result records carry it as `row`.
  public var number: Int
  /// Where it came from.
  public var origin: Origin

  /// Creates a row.
  public init(value: Value, number: Int, origin: Origin) {
    self.value = value
    self.number = number
    self.origin = origin
  }
}

/// What flows between stages.
public enum Item: Sendable {
  /// A data row.
  case row(Row)
  /// Rows grouped by `batch N`.
  case batch([Row])
  /// A finished result record (`invalid`, `skipped`, an API outcome…): passes through every
  /// later stage unchanged to the output, so each input row gets exactly one line there.
  case result(Value)
}

extension Value {
  /// A result record `{"row", "status", …}` in the field order results use.
  public static func result(row: Int, status: String, _ fields: [(String, Value)]) -> Value {
    .object(JSONObject([("row", .number(row)), ("status", .string(status))] + fields))
  }

  /// `{"code", "message", …}` for a result's `error`.
  public static func error(code: String, message: String, _ extra: [(String, Value)] = []) -> Value {
    .object(JSONObject([("code", .string(code)), ("message", .string(message))] + extra))
  }
}
