import JQ

/// `count`: the number of rows, as one row at the end.
final class CountStage: RowStage {
  var count = 0
  override func handle(_ row: Row) throws { count += 1 }
  override var demand: FieldDemand { .fields([]) }
  override func finish() throws {
    try next.push(.row(Row(value: .number(count), number: 1, origin: Origin(source: "count", line: 0))))
    try next.finish()
  }
}
