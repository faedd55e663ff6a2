import JQ

/// `map EXPR`: each row becomes the outputs of EXPR.
final class MapStage: RowStage {
  let evaluator: RowEvaluator
  init(evaluator: RowEvaluator, next: any Stage) {
    self.evaluator = evaluator
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
  init(evaluator: RowEvaluator, next: any Stage) {
    self.evaluator = evaluator
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    if case .value(let value) = try evaluator.first(row, next: next), value.isTruthy { try next.push(.row(row)) }
  }
  override var demand: FieldDemand { evaluator.demand.union(next.demand) }
}
