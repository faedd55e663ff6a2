import JQ

/// `dedupe [EXPR]`: a later row with a key already seen is reported as a duplicate.
final class DedupeStage: RowStage {
  let evaluator: RowEvaluator
  var seen: [Value: Int] = [:]
  init(evaluator: RowEvaluator, next: any Stage) {
    self.evaluator = evaluator
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    let key: Value
    switch try evaluator.first(row, next: next) {
    case .reported: return
    case .none: key = .null
    case .value(let value): key = value
    }
    if let earlier = seen[key] {
      let fields: [(String, Value)] =
        RowEvaluator.email(row) + [Value.reason(.duplicate), ("key", key), ("firstRow", .number(earlier))]
        + Self.place(row)
      try next.push(.report(ResultRecord(row: row.number, op: "dedupe", status: .skipped, fields)))
      return
    }
    seen[key] = row.number
    try next.push(.row(row))
  }
  override var demand: FieldDemand { evaluator.demand.union(.fields(["email"])).union(next.demand) }
  static func place(_ row: Row) -> [(String, Value)] {
    row.origin.line > 0 ? [("source", .string(row.origin.source)), ("line", .number(row.origin.line))] : []
  }
}
