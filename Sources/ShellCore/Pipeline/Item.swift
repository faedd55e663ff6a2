public import JQ

/// One row flowing through a pipeline.
public struct Row: Sendable {
  /// The value.
  public var value: Value
  /// 1-based position among the rows its source produced; result records carry it as `row`.
  public var number: Int
  /// Where it came from.
  public var origin: Origin
  /// For a row made by `batch N`: the rows it groups (its value is the array of their values).
  /// Stages that pass the row on unchanged keep them, so `unbatch` and `invite` get the
  /// original rows and numbers back; a stage that computes a new value drops them.
  public var members: [Row]?
  /// For a row taken out of an array row that was not a batch (`unbatch` after `map`): its
  /// 0-based position in that array. Its `number` is the array row's.
  public var element: Int?

  /// Creates a row.
  public init(value: Value, number: Int, origin: Origin, members: [Row]? = nil, element: Int? = nil) {
    self.value = value
    self.number = number
    self.origin = origin
    self.members = members
    self.element = element
  }

  /// Whether this row stands for several: a batch, or an array whose elements are all objects
  /// (a batch that a stage has transformed).
  public var isGroup: Bool {
    if members != nil { return true }
    guard case .array(let elements) = value, !elements.isEmpty else { return false }
    return elements.allSatisfy { if case .object = $0 { true } else { false } }
  }

  /// The rows this one stands for: its members (a batch), the elements of an array value
  /// (each with this row's number and its `element` index), or itself.
  public var expanded: [Row] {
    if let members { return members }
    if case .array(let elements) = value {
      return elements.enumerated().map { Row(value: $1, number: number, origin: origin, element: $0) }
    }
    return [self]
  }
}

/// What flows between stages.
public enum Item: Sendable {
  /// A row: data read, computed, or produced by a command (an API command's results are rows
  /// like any other, so `invite | where .status == "failed" | save retry.csv` works).
  case row(Row)
  /// The final word on an input row that never became data (a malformed line, an expression
  /// that failed on it, a duplicate `dedupe` dropped, a row an interrupt cut short): it passes
  /// every later stage unchanged to the output, so each input row gets exactly one line there,
  /// and is counted toward the exit status when it gets there.
  case report(ResultRecord)
}
