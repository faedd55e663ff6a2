import Foundation

/// `read`, `open`, `map`, `where`, `dedupe`, `take`, `skip`, `batch`, `unbatch`, `count`,
/// `emit`, `save`.
enum DataCommands {
  static func register(in session: Session) {
    for command in all + RowSetCommands.all { session.register(command) }
  }

  static let formatFlag = CommandSignature.Flag("format", .word, "jsonl, json, csv or tsv (default: by extension)")
  static let delimiterFlag = CommandSignature.Flag(
    "delimiter", .word,
    "the CSV field separator: one character in quotes (\";\"), or comma, semicolon, pipe, tab (implies CSV)")

  static let all: [CommandDefinition] = [
    CommandDefinition(
      CommandSignature(
        "read", summary: "Read rows from standard input (JSON lines, JSON values, a JSON array, or CSV).",
        flags: [
          .init("csv", nil, "the input is CSV with a header row"), .init("tsv", nil, "the input is tab-separated"),
          formatFlag,
          delimiterFlag,
        ],
        examples: [
          "read | where .consent == \"yes\"", "read --csv | map {email: .Email}",
          "read --delimiter semicolon | map .Email",
        ],
        discussion: """
          Rows stream one at a time. A malformed value becomes a result with status "invalid" and
          code bad_json (or bad_csv), with its line and column, and reading goes on (set strict on
          to stop instead). A single top-level JSON array is unpacked into its elements.
          """),
      role: .source
    ) { context in
      let format = try Format.resolve(context, path: nil)
      return ReaderSource(
        session: context.session, format: format, separator: try Format.separator(context), name: "<stdin>",
        next: context.next
      ) {
        context.session.standardInput()
      }
    },
    CommandDefinition(
      CommandSignature(
        "open", summary: "Read rows from a file: JSON lines, JSON or CSV, by extension or --format.",
        parameters: [.init("FILE", .path, "the file to read")], flags: [formatFlag, delimiterFlag],
        examples: ["open attendees.csv | map {name: .Name, email: .Email}", "open export.json --format json"]),
      role: .source
    ) { context in
      let given = try context.path(0)!
      let path = context.session.resolvePath(given)
      let format = try Format.resolve(context, path: path)
      guard let handle = FileHandle(forReadingAtPath: path) else {
        throw Diagnostic(.usage, "cannot open \(given): no such readable file", at: context.range(ofArgument: 0))
      }
      return ReaderSource(
        session: context.session, format: format, separator: try Format.separator(context), name: given,
        next: context.next
      ) {
        FileDescriptorSource(fileDescriptor: handle.fileDescriptor) { context.session.interruption.isSet }
      }
    },
    CommandDefinition(
      CommandSignature(
        "map", summary: "Replace each row by the outputs of an expression (jq syntax).",
        parameters: [.init("EXPR", .expression, "applied to each row")],
        examples: ["map {name: \"\\(.first) \\(.last)\", email: (.email | ascii_downcase)}", "map .users[]"],
        discussion: "An expression with several outputs gives several rows; with none, the row is dropped."),
      role: .filter
    ) { context in
      try MapStage(
        session: context.session, expr: try context.expression(0)!, range: context.range(ofArgument: 0),
        next: context.next)
    },
    CommandDefinition(
      CommandSignature(
        "where", summary: "Keep the rows for which an expression is true.",
        parameters: [.init("EXPR", .expression, "a condition on each row")],
        examples: ["where .consent == \"yes\" and .email != null", "where (.email | test(\"@example\\\\.com$\"))"]),
      role: .filter
    ) { context in
      try WhereStage(
        session: context.session, expr: try context.expression(0)!, range: context.range(ofArgument: 0),
        next: context.next)
    },
    CommandDefinition(
      CommandSignature(
        "dedupe", summary: "Drop later rows whose key was seen before, reporting each as skipped.",
        parameters: [.init("EXPR", .expression, "the key of a row (its first output)", optional: true)],
        examples: ["dedupe .email", "dedupe (.email | ascii_downcase)"],
        discussion: """
          A duplicate gets a result {"row", "status": "skipped", "reason": "duplicate", "key",
          "firstRow"}. Only the keys are kept in memory.
          """),
      role: .filter
    ) { context in
      try DedupeStage(
        session: context.session, expr: try context.expression(0) ?? .identity, range: context.range(ofArgument: 0),
        next: context.next)
    },
    CommandDefinition(
      CommandSignature(
        "take", summary: "Pass the first N rows, then stop reading.",
        parameters: [.init("N", .integer, "how many rows")],
        examples: ["read | take 10"]),
      role: .filter
    ) { context in TakeStage(limit: try context.integer(0)!, next: context.next) },
    CommandDefinition(
      CommandSignature(
        "skip", summary: "Drop the first N rows.", parameters: [.init("N", .integer, "how many rows")],
        examples: ["open export.csv | skip 2"]),
      role: .filter
    ) { context in SkipStage(count: try context.integer(0)!, next: context.next) },
    CommandDefinition(
      CommandSignature(
        "batch", summary: "Group rows into batches of N (the last may be smaller).",
        parameters: [.init("N", .integer, "rows per batch")], examples: ["batch 100 | invite"]),
      role: .filter
    ) { context in
      let size = try context.integer(0)!
      guard size > 0 else {
        throw Diagnostic(.usage, "batch size must be at least 1", at: context.range(ofArgument: 0))
      }
      return BatchStage(size: size, next: context.next)
    },
    CommandDefinition(
      CommandSignature(
        "unbatch", summary: "Turn batches (and array rows) back into single rows.",
        examples: ["batch 10 | unbatch", "collect | unbatch"],
        discussion:
          "A batch that passed through unchanged gives back its rows with their numbers; any other array row gives its elements."
      ),
      role: .filter
    ) { context in UnbatchStage(next: context.next) },
    CommandDefinition(
      CommandSignature(
        "count", summary: "Replace the rows by their number.", examples: ["read | where .consent == \"no\" | count"]),
      role: .filter
    ) { context in CountStage(next: context.next) },
    CommandDefinition(
      CommandSignature(
        "emit", summary: "Write rows to standard output as JSON lines (the default end of a pipeline).",
        flags: [.init("raw", nil, "write strings as their text, not as JSON (like jq -r)")],
        examples: [
          "read | take 3 | emit", "read | .email | emit --raw", "read | @csv \"\\([.name, .email])\" | emit --raw",
        ]),
      role: .filter
    ) { context in
      context.flag("raw")
        ? RawEmitStage(session: context.session, next: context.next) as any Stage : PassStage(next: context.next)
    },
    SaveCommand.definition,
  ]
}

/// Input and output file formats.
enum Format: String {
  case jsonl, json, csv, tsv

  static func resolve(_ context: CommandContext, path: String?) throws -> Format {
    if context.flag("csv") || context.flag("delimiter") { return .csv }
    if context.flag("tsv") { return .tsv }
    if let name = context.flagWord("format") {
      guard let format = Format(rawValue: name.lowercased()) ?? (name.lowercased() == "ndjson" ? .jsonl : nil) else {
        throw Diagnostic(
          .usage, "unknown format '\(name)'; use jsonl, json, csv or tsv", at: context.call.flags["format"]?.range)
      }
      return format
    }
    switch (path.map { ($0 as NSString).pathExtension.lowercased() }) {
    case "csv"?: return .csv
    case "tsv"?, "tab"?: return .tsv
    case "json"?: return .json
    default: return .jsonl
    }
  }
}

extension Format {
  /// `--delimiter`: one character (`,` `;` `|`…), or `tab` / `\t`.
  static func separator(_ context: CommandContext) throws -> UInt8? {
    guard let text = context.flagWord("delimiter") else { return nil }
    switch text {
    case "tab", "\\t", "\t": return 0x09
    case "comma": return UInt8(ascii: ",")
    case "semicolon": return UInt8(ascii: ";")
    case "pipe": return UInt8(ascii: "|")
    default:
      let bytes = Array(text.utf8)
      guard bytes.count == 1, bytes[0] != 0x22, bytes[0] != 0x0A, bytes[0] != 0x0D else {
        throw Diagnostic(
          .usage, "--delimiter takes one character (not a quote or a line break), or tab; got \(text)",
          at: context.call.flags["delimiter"]?.range)
      }
      return bytes[0]
    }
  }
}

/// `read` and `open`: streams rows from bytes.
final class ReaderSource: SourceStage {
  let session: Session
  let format: Format
  let name: String
  let next: any Stage
  let makeSource: () -> any ByteSource
  let separator: UInt8?

  init(
    session: Session, format: Format, separator: UInt8? = nil, name: String, next: any Stage,
    source: @escaping () -> any ByteSource
  ) {
    self.session = session
    self.format = format
    self.separator = separator
    self.name = name
    self.next = next
    self.makeSource = source
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    let source = makeSource()
    let interruption = session.interruption
    var hinted = false
    let deliver: (Item) throws -> Void = { [next, session, name] item in
      if interruption.isSet { throw StopInput() }
      if !hinted, case .report(let report) = item, case .string(let hint)? = report["error"]?["hint"] {
        hinted = true
        session.diagnostics("nwsh: read \(name): \(hint)")
      }
      try next.push(item)
    }
    let read = reading(source)
    // A file is parsed ahead on a second thread while this one runs the stages.
    let aheadOnAnotherThread = source.neverBlocks ? try Conveyor().run(reading: read, consuming: deliver) : false
    if !aheadOnAnotherThread { try read.body(deliver) }
    try next.finish()
  }

  /// The whole read of `source` as one closure, to run here or on the reading thread.
  private func reading(_ source: any ByteSource) -> UncheckedSendable<(_ emit: (Item) throws -> Void) throws -> Void> {
    var source = source
    let (format, name, limits, separator, demand) = (format, name, session.inputLimits, separator, next.demand)
    return UncheckedSendable { emit in
      switch format {
      case .csv, .tsv:
        var reader = CSVReader(sourceName: name, limits: limits)
        if format == .tsv { reader.separator = 0x09 }
        if let separator { reader.separator = separator }
        try reader.read(&source, emit)
      case .jsonl, .json:
        var reader = JSONRowReader(sourceName: name, limits: limits)
        if case .fields(let names) = demand { reader.projection = Projection(names) }
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

  init(session: Session, expr: Expr, range: SourceRange, next: any Stage) throws {
    self.evaluator = try RowEvaluator(session: session, expr: expr, range: range)
    self.next = next
    self.origin = Origin(source: range.source.name, line: range.source.lineAndColumn(of: range.start).line)
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    var number = 0
    do {
      try evaluator.compiled.run(.null) { value in
        if evaluator.session.interruption.isSet { throw StopInput() }
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
  override var demand: FieldDemand { next.demand }
}

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

final class UnbatchStage: RowStage {
  override func handle(_ row: Row) throws {
    for member in row.expanded { try next.push(.row(member)) }
  }
}

final class CountStage: RowStage {
  var count = 0
  override func handle(_ row: Row) throws { count += 1 }
  override var demand: FieldDemand { .fields([]) }
  override func finish() throws {
    try next.push(.row(Row(value: .number(count), number: 1, origin: Origin(source: "count", line: 0))))
    try next.finish()
  }
}

/// `emit --raw`: writes rows itself, strings as their text; reports go on.
final class RawEmitStage: RowStage {
  let session: Session
  init(session: Session, next: any Stage) {
    self.session = session
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    session.output.emit(row.value, raw: true)
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
