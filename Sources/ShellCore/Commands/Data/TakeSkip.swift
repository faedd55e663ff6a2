import JQ

/// `take N`: the first N rows, then reading stops.
final class TakeStage: RowStage {
  var remaining: Int
  init(limit: Int, next: any Stage) {
    remaining = limit
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    guard remaining > 0 else { throw StopInput() }
    remaining -= 1
    try next.push(.row(row))
    if remaining == 0 { throw StopInput() }
  }
  override func push(_ item: Item) throws {
    // A result standing for a row (a stopped run's) is one of the N.
    guard case .report(let record) = item, record.standsForRow else { return try super.push(item) }
    guard remaining > 0 else { throw StopInput() }
    remaining -= 1
    try next.push(item)
    if remaining == 0 { throw StopInput() }
  }
  override var demand: FieldDemand { next.demand }
}

/// `skip N`: every row but the first N.
final class SkipStage: RowStage {
  var remaining: Int
  init(count: Int, next: any Stage) {
    remaining = count
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    if remaining > 0 {
      remaining -= 1
      return
    }
    try next.push(.row(row))
  }
  override var demand: FieldDemand { next.demand }
}
