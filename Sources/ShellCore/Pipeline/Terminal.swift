/// The end of a `let NAME = pipeline`: keeps the rows' values; reports go on to the output.
final class Collector: Stage {
  let reports: any Stage
  var values: [Value] = []
  init(reports: any Stage) { self.reports = reports }
  func push(_ item: Item) throws {
    switch item {
    case .row(let row): values.append(row.value)
    case .report: try reports.push(item)
    }
  }
  func finish() throws { try reports.finish() }
}

/// The end of every pipeline: writes rows and reports to the output; counts reports.
final class Terminal: Stage {
  let session: Session
  init(session: Session) { self.session = session }

  func push(_ item: Item) throws {
    switch item {
    case .row(let row):
      session.countRow()
      session.noteFields(of: row.value)
      session.output.emit(row.value)
    case .report(let value):
      session.output.emit(value)
      try session.countResult(value)
    }
    try session.checkOutput()
  }

  func finish() throws {
    session.output.flush()
    try session.checkOutput()
  }
}
