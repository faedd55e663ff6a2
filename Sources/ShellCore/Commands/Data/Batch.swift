import JQ

/// `batch N`: rows grouped into array rows of N (the last may be shorter).
final class BatchStage: RowStage {
  /// One row whose value is the array of the rows' values, numbered as its first member.
  static func batchRow(_ rows: [Row]) -> Row {
    Row(value: .array(rows.map(\.value)), number: rows[0].number, origin: rows[0].origin, members: rows)
  }

  let size: Int
  var pending: [Row] = []
  init(size: Int, next: any Stage) {
    self.size = size
    super.init(next: next)
    pending.reserveCapacity(size)
  }
  override func handle(_ row: Row) throws {
    pending.append(row)
    if pending.count == size {
      let full = pending
      pending.removeAll(keepingCapacity: true)
      try next.push(.row(Self.batchRow(full)))
    }
  }
  override func finish() throws {
    if !pending.isEmpty {
      let last = pending
      pending = []
      try next.push(.row(Self.batchRow(last)))
    }
    try next.finish()
  }
}

/// `unbatch`: a batch row's member rows again, with their own numbers.
final class UnbatchStage: RowStage {
  override func handle(_ row: Row) throws {
    for member in row.expanded { try next.push(.row(member)) }
  }
}
