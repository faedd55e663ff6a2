/// `map EXPR`: each row becomes the outputs of EXPR.
final class MapStage: RowStage {
  let evaluator: RowEvaluator
  init(session: Session, expr: Expr, range: SourceRange, hint: String? = nil, next: any Stage) throws {
    evaluator = try RowEvaluator(session: session, expr: expr, range: range, op: "map", hint: hint)
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    _ = try evaluator.each(row, next: next) { value in
      try next.push(.row(Row(value: value, number: row.number, origin: row.origin)))
    }
  }
  override var demand: FieldDemand { evaluator.demand }
}

/// `where EXPR`: keeps the rows for which EXPR is true.
final class WhereStage: RowStage {
  let evaluator: RowEvaluator
  init(session: Session, expr: Expr, range: SourceRange, next: any Stage) throws {
    evaluator = try RowEvaluator(session: session, expr: expr, range: range, op: "where")
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    if case .some(.some(let value)) = try evaluator.first(row, next: next), value.isTruthy { try next.push(.row(row)) }
  }
  override var demand: FieldDemand { evaluator.demand.union(next.demand) }
}
