import JQ

/// `read` and `open`: streams rows from bytes.
final class ReaderSource: SourceStage {
  let context: RunContext
  let limits: InputLimits
  let format: Format
  let name: String
  let next: any Stage
  let makeSource: () -> any ByteSource
  let separator: UInt8?
  /// jq's `-R`, `-s`, `--stream` (for `read`).
  let mode: ReadInput
  /// Further inputs after this one (`read` over several files), each read in turn.
  let more: [(name: String, make: () throws -> any ByteSource)]

  init(
    run: RunContext, limits: InputLimits, format: Format, separator: UInt8? = nil, name: String, next: any Stage,
    mode: ReadInput = ReadInput(), more: [(name: String, make: () throws -> any ByteSource)] = [],
    source: @escaping () -> any ByteSource
  ) {
    self.context = run
    self.limits = limits
    self.format = format
    self.separator = separator
    self.name = name
    self.next = next
    self.mode = mode
    self.more = more
    self.makeSource = source
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    let interruption = context.interruption
    var hinted = false
    let shaper = InputShaper(mode)
    let (context, next) = (context, next)
    let inputs: [(name: String, make: () throws -> any ByteSource)] = [(name, { self.makeSource() })] + more
    for (name, makeSource) in inputs {
      let source = try makeSource()
      let deliver: (Item) throws -> Void = { item in
        // Ctrl-C stops reading. A run stopped otherwise (a refused key, an API that cannot be
        // reached) reads on: each row goes through the pipeline's take and where as always, and
        // gets the stop's result where it can go no further, so every row has its line.
        if interruption.isSet && context.stop == nil { throw StopInput() }
        if case .row(let row) = item { context.noteColumns(of: row.value) }
        if !hinted, case .report(let report) = item, case .string(let hint)? = report["error"]?["hint"] {
          hinted = true
          context.diagnose("nwsh: read \(name): \(hint)")
        }
        try shaper.pass(item, to: next.push)
      }
      let read = Self.reading(
        source, name: name, format: format, limits: limits, separator: separator, demand: next.demand, mode: mode,
        unpacksSingleArray: true)
      // A file is parsed ahead on a second thread while this one runs the stages.
      let aheadOnAnotherThread = source.neverBlocks ? try Conveyor().run(reading: read, consuming: deliver) : false
      if !aheadOnAnotherThread { try read.body(deliver) }
    }
    try shaper.finish(source: name, to: next.push)
    try next.finish()
  }

  /// The whole read of `source` as one closure, to run here or on a reading thread: CSV, JSON
  /// (only the members `demand` names built; an input that is one array unpacked when
  /// `unpacksSingleArray` and neither `-s` nor `--stream` is given) or `-R` lines.
  static func reading(
    _ source: any ByteSource, name: String, format: Format, limits: InputLimits, separator: UInt8? = nil,
    demand: FieldDemand, mode: ReadInput, unpacksSingleArray: Bool
  ) -> UncheckedSendable<(_ emit: (Item) throws -> Void) throws -> Void> {
    var source: any ByteSource = mode.seq && !mode.raw ? RecordSeparatedSource(source) : source
    return UncheckedSendable { emit in
      if mode.raw {
        return try RawLineReader(sourceName: name, slurp: mode.slurp).read(&source, emit)
      }
      switch format {
      case .csv, .tsv:
        var reader = CSVReader(sourceName: name, limits: limits)
        if format == .tsv { reader.separator = 0x09 }
        if let separator { reader.separator = separator }
        try reader.read(&source, emit)
      case .jsonl, .json:
        var reader = JSONRowReader(sourceName: name, limits: limits)
        reader.unpacksSingleArray = unpacksSingleArray && !mode.slurp && !mode.stream
        if case .fields(let names) = demand, !mode.slurp, !mode.stream {
          reader.projection = Projection(names)
          reader.wholeValuesFirst = RunContext.columnsNoted
        }
        try reader.read(&source, emit)
      }
    }
  }
}

/// A value handed to another thread by a caller that guarantees only one thread uses it at a
/// time (the reading thread, then nobody).
struct UncheckedSendable<Wrapped>: @unchecked Sendable {
  let body: Wrapped
  init(_ body: Wrapped) { self.body = body }
}

/// A first-stage expression: its outputs on `null` are the rows.
final class ExpressionSource: SourceStage {
  let evaluator: RowEvaluator
  let next: any Stage
  let origin: Origin

  init(evaluator: RowEvaluator, next: any Stage) {
    self.evaluator = evaluator
    self.next = next
    let range = evaluator.range
    self.origin = Origin(source: range.source.name, line: range.source.lineAndColumn(of: range.start).line)
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    var number = 0
    do {
      try evaluator.compiled.run(.null) { value in
        if evaluator.run.interruption.isSet { throw StopInput() }
        number += 1
        try next.push(.row(Row(value: value, number: number, origin: origin)))
      }
    } catch var error as JQError {
      if error.range == nil { error.range = evaluator.range }
      throw error
    }
    try next.finish()
  }
}

/// A program that is a jq expression alone, run as jq runs one without `-n`: once for each value
/// of the input, which is `.`; `input` and `inputs` take the values after it. An error on one
/// value is said on stderr, as jq says it, and the next value goes on; the run then ends with
/// status 5, as jq's does. Malformed input is said with its place and ends the input (status
/// 65, nwsh's for malformed input; jq's is 2, which in nwsh means rows in doubt).
final class EachInputSource: SourceStage {
  let evaluator: RowEvaluator
  let next: any Stage
  let input: () throws -> (value: Value, origin: Origin)?

  init(evaluator: RowEvaluator, next: any Stage, input: @escaping () throws -> (value: Value, origin: Origin)?) {
    self.evaluator = evaluator
    self.next = next
    self.input = input
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    let run = evaluator.run
    var number = 0
    while true {
      let got: (value: Value, origin: Origin)?
      do {
        got = try input()
      } catch let error as JQError {
        // Malformed input ends the input, as in jq (whose parser cannot find the next value).
        run.diagnose("nwsh: error: \(error.message)")
        run.fail(with: .dataError)
        break
      }
      guard let (value, origin) = got else { break }
      if run.interruption.isSet { throw StopInput() }
      do {
        try evaluator.compiled.run(value) { output in
          number += 1
          try next.push(.row(Row(value: output, number: number, origin: origin)))
        }
      } catch let error as JQError {
        run.diagnose("nwsh: error (at \(origin.source):\(origin.line)): \(error.message)")
        run.fail(with: .evaluationError)
      }
    }
    try next.finish()
  }
}
