import JQ

/// `emit --raw`: writes rows itself, strings as their text; reports go on.
final class RawEmitStage: RowStage {
  let output: OutputSink
  init(output: OutputSink, next: any Stage) {
    self.output = output
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    output.emit(row.value, raw: true)
  }
}

/// Passes everything on unchanged, batches included.
final class PassStage: Stage {
  let next: any Stage
  init(next: any Stage) { self.next = next }
  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }
  var demand: FieldDemand { next.demand }
}
