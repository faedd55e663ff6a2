import Foundation
public import JQ
import ShellCore

/// What a set of result lines comes to: how many, by status, by op, by skip reason and error
/// code, by role (each with its statuses), and over which runs and requests.
struct ResultTally {
  private(set) var rows = 0
  private var notResults = 0
  private var byStatus: [String: Int] = [:]
  private var byOp: [String: Int] = [:]
  private var byReason: [String: Int] = [:]
  private var byError: [String: Int] = [:]
  private var byRole: [String: [String: Int]] = [:]
  private var runs: [String] = []
  private var requests: Set<String> = []
  /// The people: distinct emails, compared as the journal compares them.
  private var people: Set<String> = []

  /// Counts one result line (a value without a `status` is counted as not a result).
  mutating func add(_ value: Value) {
    rows += 1
    guard case .string(let status)? = value["status"] else {
      notResults += 1
      return
    }
    byStatus[status, default: 0] += 1
    if let email = value.text("email") { people.insert(email.trimmingCharacters(in: .whitespaces).lowercased()) }
    if case .string(let op)? = value["op"] { byOp[op, default: 0] += 1 }
    if case .string(let reason)? = value["reason"] { byReason[reason, default: 0] += 1 }
    if case .string(let code)? = value["error"]?["code"] { byError[code, default: 0] += 1 }
    if let role = value.text("role") ?? value.text("tagId") ?? value.text("roleId") {
      byRole[role, default: [:]][status, default: 0] += 1
    }
    if case .string(let run)? = value["run"] {
      if !runs.contains(run) { runs.append(run) }
      if case .number(let request)? = value["request"] { requests.insert("\(run) \(request.double)") }
    }
  }

  /// The report as one object: `{rows, people, requests, runs, status, op, reason, error, role}`, each
  /// count table with the largest first (statuses in their usual order).
  var value: Value {
    let order = Dictionary(
      NetworkedCommands.statuses.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    func counts(_ table: [String: Int], byStatusOrder: Bool = false) -> Value {
      let sorted = table.sorted { a, b in
        if byStatusOrder { return (order[a.key] ?? 99, a.key) < (order[b.key] ?? 99, b.key) }
        return (-a.value, a.key) < (-b.value, b.key)
      }
      return .object(JSONObject(sorted.map { ($0.key, .number($0.value)) }))
    }
    var fields: [(String, Value)] = [
      ("rows", .number(rows)), ("people", .number(people.count)), ("requests", .number(requests.count)),
      ("runs", .array(runs.map(Value.string))),
      ("status", counts(byStatus, byStatusOrder: true)), ("op", counts(byOp)), ("reason", counts(byReason)),
      ("error", counts(byError)),
    ]
    let roles = byRole.sorted { a, b in
      (-a.value.values.reduce(0, +), a.key) < (-b.value.values.reduce(0, +), b.key)
    }
    fields.append(("role", .object(JSONObject(roles.map { ($0.key, counts($0.value, byStatusOrder: true)) }))))
    if notResults > 0 { fields.append(("notResults", .number(notResults))) }
    return .object(JSONObject(fields))
  }
}

/// Lays a report (`report`'s object) or a funnel (`funnel`'s row) out as aligned text for a terminal.
public enum ReportText {
  /// The report as a few small tables: statuses, reasons and error codes, roles by status.
  public static func render(_ report: Value) -> String {
    var lines: [String] = []
    let rows = report["rows"]?.doubleValue.map { Int($0) } ?? 0
    let requests = report["requests"]?.doubleValue.map { Int($0) } ?? 0
    var head = "\(rows) result\(rows == 1 ? "" : "s")"
    if let people = report["people"]?.doubleValue.map({ Int($0) }), people != rows {
      head += " · \(people) \(people == 1 ? "person" : "people")"
    }
    if requests > 0 { head += " · \(requests) request\(requests == 1 ? "" : "s")" }
    if case .array(let runs)? = report["runs"], !runs.isEmpty {
      head += " · run\(runs.count == 1 ? "" : "s") " + runs.compactMap(\.stringValue).joined(separator: ", ")
    }
    lines.append(head)
    let status = pairs(report["status"])
    if !status.isEmpty { lines += [""] + table(["status", "rows"], status.map { [$0.0, String($0.1)] }) }
    let why = pairs(report["reason"]) + pairs(report["error"])
    if !why.isEmpty { lines += [""] + table(["reason / error", "rows"], why.map { [$0.0, String($0.1)] }) }
    let roles = pairs(report["role"], nested: true)
    if !roles.isEmpty {
      var columns: [String] = []
      for (_, counts) in roles {
        for (status, _) in counts.pairs where !columns.contains(status) { columns.append(status) }
      }
      let body = roles.map { role, counts in
        [role] + columns.map { column in String(counts.pairs.first { $0.0 == column }?.1 ?? 0) }
      }
      lines += [""] + table(["role"] + columns, body)
    }
    return lines.joined(separator: "\n")
  }

  /// The funnel (`funnel`'s row) as text: the totals, then a table by role and one by run.
  public static func renderFunnel(_ funnel: Value) -> String {
    func number(_ value: Value?) -> String {
      guard let double = value?.doubleValue else { return "–" }
      return double == double.rounded() ? String(Int(double)) : String(format: "%.1f", double)
    }
    func percent(_ value: Value?) -> String {
      value?.doubleValue.map { String(format: "%.0f%%", $0 * 100) } ?? "–"
    }
    let header = ["", "invited", "joined", "pending", "conversion", "median days to join"]
    func row(_ name: String, _ part: Value) -> [String] {
      [
        name, number(part["invited"]), number(part["joined"]), number(part["pending"]), percent(part["conversion"]),
        number(part["medianDaysToJoin"]),
      ]
    }
    var lines = table(header, [row("all", funnel)])
    for (key, title) in [("byRole", "role"), ("byRun", "run")] {
      guard case .object(let parts)? = funnel[key], !parts.isEmpty else { continue }
      var heading = header
      heading[0] = title
      lines += [""] + table(heading, parts.map { row($0.0, $0.1) })
    }
    return lines.joined(separator: "\n")
  }

  private struct Counts {
    var pairs: [(String, Int)]
  }

  private static func pairs(_ value: Value?) -> [(String, Int)] {
    guard case .object(let object)? = value else { return [] }
    return object.compactMap { key, count in count.doubleValue.map { (key, Int($0)) } }
  }

  private static func pairs(_ value: Value?, nested: Bool) -> [(String, Counts)] {
    guard case .object(let object)? = value else { return [] }
    return object.map { ($0.0, Counts(pairs: pairs($0.1))) }
  }

  /// Columns padded to their widest cell; numbers right-aligned.
  private static func table(_ header: [String], _ rows: [[String]]) -> [String] {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { cells in
      cells.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return column == 0 ? cell + padding : padding + cell
      }.joined(separator: "  ")
    }
  }
}

/// `report`: summarises results — the rows coming down the pipeline, result files
/// (`report FILE…`), or a run's results from the journal (`report --run ID`) — as one object,
/// or as aligned text (`--table`, which `nwsh report` uses on a terminal).
final class ReportStage: SourceStage {
  private let context: RunContext
  private let next: any Stage
  private let files: [String]
  private let journalRun: String?
  private let connection: NetworkedConnection
  private let asTable: Bool
  private var tally = ResultTally()

  init(
    run: RunContext, next: any Stage, files: [String], journalRun: String?, connection: NetworkedConnection,
    asTable: Bool
  ) {
    self.context = run
    self.next = next
    self.files = files
    self.journalRun = journalRun
    self.connection = connection
    self.asTable = asTable
  }

  func push(_ item: Item) throws {
    switch item {
    case .row(let row): tally.add(row.value)
    case .report(let record):
      // Counted here, since it will not reach the output: the exit status still knows it.
      tally.add(try context.count(record))
    }
  }

  func finish() throws {
    let report = tally.value
    if asTable {
      context.output.emit(.string(ReportText.render(report)), raw: true)
    } else {
      try next.push(.row(Row(value: report, number: 1, origin: Origin(source: "report", line: 0))))
    }
    try next.finish()
  }

  static let runFlag = CommandFlag.word("run", "that run's results, from the journal")
  static let tableFlag = CommandFlag.toggle(
    "table", "aligned text instead of one JSON object (nwsh report does so on a terminal)")

  static func definition(_ connection: NetworkedConnection) -> CommandDefinition {
    CommandDefinition(
      CommandSignature(
        "report",
        summary: "Summarise results: counts by status, op, reason or error code, and role.",
        parameters: [
          .init("FILE", .path, "result files to read (JSON lines) instead of the rows", optional: true, repeats: true)
        ],
        flags: [
          runFlag.declaration, tableFlag.declaration,
        ],
        examples: [
          "read | invite | report", "report results.jsonl", "report --run 20261122T101500-3f2-1",
          "open results.jsonl | where .status == \"failed\" | report --table",
        ],
        discussion: """
          One object {rows, requests, runs, status, op, reason, error, role}: how many results of each \
          status, op, skip reason and error code, and for each role (its name, else its id) how many \
          of each status. Placed after a pipeline it takes every row and report (the exit status still \
          counts them); with files or --run it reads its own rows and starts the pipeline. --run \
          covers the people the run journalled: rows refused before the API (invalid, duplicates) are \
          only in its printed results; it fetches the roles (one request) to count them by name.
          """),
      role: .filter
    ) { context in
      let files = (0..<context.call.arguments.count).compactMap { try? context.path($0) ?? nil }
      let journalRun = try context.value(of: runFlag)
      if !context.startsPipeline && (!files.isEmpty || journalRun != nil) {
        throw Diagnostic(
          .usage, "report with files or --run reads its own rows, so it must start the pipeline",
          at: context.call.range, hint: "report FILE… | …, or … | report")
      }
      if try context.value(of: tableFlag) && !context.endsPipeline {
        throw Diagnostic(.usage, "report --table writes text, so it must end the pipeline", at: context.call.range)
      }
      if context.startsPipeline && files.isEmpty && journalRun == nil {
        throw Diagnostic(
          .usage, "report needs results: after a pipeline (… | report), from files (report FILE…) or a run (--run ID)",
          at: context.call.range)
      }
      return ReportStage(
        run: context.run, next: context.next, files: files, journalRun: journalRun, connection: connection,
        asTable: try context.value(of: tableFlag))
    }
  }

  /// Reads the rows of its own (files, or a run from the journal), then finishes.
  func run() throws {
    for file in files {
      // `-` is standard input.
      let path = file == "-" ? "/dev/stdin" : context.resolvePath(file)
      guard file == "-" || FileProblem.reading(path) == nil, let handle = FileHandle(forReadingAtPath: path) else {
        throw PipelineStop(status: .usage, message: "nwsh: report: " + FileProblem.message("cannot open", file))
      }
      defer { if file != "-" { try? handle.close() } }
      var source = FileDescriptorSource(fileDescriptor: handle.fileDescriptor, interruption: context.interruption)
      try JSONRowReader(sourceName: file).read(&source) { item in
        if context.interruption.isSet { throw StopInput() }
        switch item {
        case .row(let row): tally.add(row.value)
        case .report(let record): tally.add(record.value)
        }
      }
    }
    if let journalRun {
      let (store, scope) = try connection.journal()
      let now = connection.configuration.clock.now
      let entries = try store.journalEntries(scope: scope, run: journalRun, now: now)
      // The journal keeps role ids; one request for the roles' names (counts by id without it).
      let roles = entries.isEmpty ? nil : try? connection.roles()
      for entry in JournalCommands.printed(entries) { tally.add(JournalCommands.result(entry, now: now, roles: roles)) }
    }
    try finish()
  }
}
