import JQ

/// Commands that look at many rows at once: `collect` and `join`.
enum RowSetCommands {
  static let all: [CommandDefinition] = [
    CommandDefinition(
      CommandSignature(
        "collect", summary: "Turn all rows into one row: the array of their values.",
        examples: ["read | collect | group_by(.company)", "members | map .email | collect | length"],
        discussion: """
          Holds every row in memory until the input ends. `let NAME = PIPELINE` collects the same way \
          into a variable.
          """),
      role: .filter
    ) { context in CollectStage(next: context.next) },
    CommandDefinition(
      CommandSignature(
        "join", summary: "Match rows against an array by a key: keep or drop matches, or attach the match.",
        parameters: [.init("ARRAY", .expression, "the rows to match against, e.g. $members (evaluated once)")],
        flags: [
          JoinFlags.on.declaration, JoinFlags.rightOn.declaration, JoinFlags.anti.declaration,
          JoinFlags.semi.declaration, JoinFlags.left.declaration, JoinFlags.field.declaration,
        ],
        examples: [
          "read --csv | join $members --on (.email | ascii_downcase) --anti | invite",
          "read | join $roles --on .role --right-on .name --as roleInfo",
        ],
        discussion: """
          The keys of the array are hashed once, so the join is linear: 100,000 rows against \
          100,000 members is a single pass. Without --anti, --semi or --left it is an inner join: \
          one row per match, {…row, match: element}. A bare `join(sep)` is jq's.
          """),
      role: .filter
    ) { context in
      let modes = try [JoinFlags.anti, JoinFlags.semi, JoinFlags.left].filter { try context.value(of: $0) }.map(\.name)
      guard modes.count <= 1 else {
        throw Diagnostic(.usage, "give one of --anti, --semi or --left", at: context.call.range)
      }
      guard let on = try context.value(of: JoinFlags.on) else {
        throw Diagnostic(
          .usage, "join needs --on EXPR: the key to match by", at: context.call.range,
          hint: "join $members --on .email --anti")
      }
      let source = try context.expression(0)!
      let values: [Value]
      do {
        values = try context.evaluate(source)
      } catch let error as JQError {
        throw Diagnostic(.runtime, "join: \(error.message)", at: context.range(ofArgument: 0))
      }
      var elements: [Value] = []
      for value in values {
        switch value {
        case .array(let items): elements += items
        case .object(let object): elements += object.orderedValues
        default:
          throw Diagnostic(
            .usage, "join needs an array (or object) to match against, got \(value.typeName)",
            at: context.range(ofArgument: 0))
        }
      }
      // Without --right-on, an element that is an object is keyed by --on; any other element
      // (an email in a list of emails) is its own key.
      let rightKey = try context.value(of: JoinFlags.rightOn)
      var index: [Value: [Value]] = [:]
      do {
        // Compiled once, run for every element.
        let scope = context.run.jqScope
        let compiledRight = try rightKey.map(scope.compile)
        let compiledOn = try scope.compile(on)
        for element in elements {
          guard let key = compiledRight ?? (element.isObject ? compiledOn : nil) else {
            index[element, default: []].append(element)
            continue
          }
          try key.run(element) { index[$0, default: []].append(element) }
        }
      } catch let error as JQError {
        throw Diagnostic(
          .runtime, "join: the key of an element: \(error.message)",
          at: rightKey != nil ? context.range(of: JoinFlags.rightOn) : context.range(of: JoinFlags.on))
      }
      return JoinStage(
        evaluator: try context.rowEvaluator(on),
        index: index, mode: JoinStage.Mode(rawValue: modes.first ?? "inner")!,
        field: try context.value(of: JoinFlags.field) ?? "match",
        next: context.next)
    },
  ]
}

/// `collect`: one row, the array of every row's value.
final class CollectStage: RowStage {
  private var rows: [Row] = []

  override func handle(_ row: Row) throws { rows.append(row) }

  override func finish() throws {
    let origin = rows.first?.origin ?? Origin(source: "collect", line: 0)
    try next.push(.row(Row(value: .array(rows.map(\.value)), number: 1, origin: origin)))
    rows = []
    try next.finish()
  }
}

/// `join`: each row's key looked up in a hash index of the other side.
final class JoinStage: RowStage {
  enum Mode: String { case inner, left, anti, semi }

  private let evaluator: RowEvaluator
  private let index: [Value: [Value]]
  private let mode: Mode
  private let field: String

  init(evaluator: RowEvaluator, index: [Value: [Value]], mode: Mode, field: String, next: any Stage) {
    self.evaluator = evaluator
    self.index = index
    self.mode = mode
    self.field = field
    super.init(next: next)
  }

  override func handle(_ row: Row) throws {
    let matches: [Value]
    switch try evaluator.first(row, next: next) {
    case .reported: return  // an invalid result went on
    case .none: matches = []
    case .value(let key): matches = index[key] ?? []
    }
    switch mode {
    case .anti: if matches.isEmpty { try next.push(.row(row)) }
    case .semi: if !matches.isEmpty { try next.push(.row(row)) }
    case .inner, .left:
      if matches.isEmpty {
        if mode == .left { try next.push(.row(attach(.null, to: row))) }
        return
      }
      for match in matches { try next.push(.row(attach(match, to: row))) }
    }
  }

  private func attach(_ match: Value, to row: Row) -> Row {
    var object: JSONObject
    if case .object(let fields) = row.value { object = fields } else { object = JSONObject([("row", row.value)]) }
    object[field] = match
    return Row(value: .object(object), number: row.number, origin: row.origin)
  }
}

/// `join`'s flags.
enum JoinFlags {
  static let on = CommandFlag.expression("on", "the key of a row (and of an array element unless --right-on)")
  static let rightOn = CommandFlag.expression(
    "right-on", "the key of an array element, when it differs (an element that is not an object is its own key)")
  static let anti = CommandFlag.toggle("anti", "keep only the rows with no match (unchanged)")
  static let semi = CommandFlag.toggle("semi", "keep only the rows with a match (unchanged)")
  static let left = CommandFlag.toggle("left", "keep every row; attach the match, or null")
  static let field = CommandFlag.word("as", "the field a match is attached as (default: match)")
}
