/// `dedupe [EXPR]`: a later row with a key already seen is reported as a duplicate.
final class DedupeStage: RowStage {
  let evaluator: RowEvaluator
  var seen: [Value: Int] = [:]
  init(session: Session, expr: Expr, range: SourceRange, next: any Stage) throws {
    evaluator = try RowEvaluator(session: session, expr: expr, range: range, op: "dedupe")
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    guard case .some(let first) = try evaluator.first(row, next: next) else { return }
    let key = first ?? .null
    if let earlier = seen[key] {
      try next.push(
        .report(
          .result(
            row: row.number, status: .skipped,
            [("op", .string("dedupe"))] + Self.email(row) + [
              Value.reason(.duplicate), ("key", key), ("firstRow", .number(earlier)),
            ]
              + Self.place(row))))
      return
    }
    seen[key] = row.number
    try next.push(.row(row))
  }
  override var demand: FieldDemand { evaluator.demand.union(.fields(["email"])).union(next.demand) }
  static func email(_ row: Row) -> [(String, Value)] {
    if case .string(let email)? = row.value["email"] { return [("email", .string(email))] }
    return []
  }
  static func place(_ row: Row) -> [(String, Value)] {
    row.origin.line > 0 ? [("source", .string(row.origin.source)), ("line", .number(row.origin.line))] : []
  }
}
