import JQ

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
  let run: RunContext
  init(session: Session, run: RunContext) {
    self.session = session
    self.run = run
  }

  func push(_ item: Item) throws {
    switch item {
    case .row(let row):
      run.noteRowWritten()
      session.noteFields(of: row.value, row: run.rowsWritten)
      run.output.emit(row.value)
    case .report(let record):
      // Written before it is counted: under --strict the row that stops the run shows.
      run.output.emit(record.value)
      try run.count(record)
    }
    try run.checkOutput()
  }

  func finish() throws {
    run.output.flush()
    try run.checkOutput()
  }
}
