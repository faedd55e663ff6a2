import Foundation
import JQ

/// `read`, `open`, `map`, `where`, `dedupe`, `take`, `skip`, `batch`, `unbatch`, `count`,
/// `emit`, `save`.
enum DataCommands {
  static func register(in session: Session) {
    let groups: [(String, Set<String>)] = [
      ("Reading", ["read", "open"]), ("Writing", ["emit", "save", "count"]),
    ]
    for command in all + RowSetCommands.all {
      let name = command.signature.name
      session.register([command], group: groups.first { $0.1.contains(name) }?.0 ?? "Shaping rows")
    }
  }

  static let formatFlag = CommandFlag.word("format", "jsonl, json, csv or tsv (default: by extension)")
  static let delimiterFlag = CommandFlag.word(
    "delimiter",
    "the CSV field separator: one character in quotes (\";\"), or comma, semicolon, pipe, tab (implies CSV)")
  static let csvFlag = CommandFlag.toggle("csv", "the input is CSV with a header row")
  static let tsvFlag = CommandFlag.toggle("tsv", "the input is tab-separated")
  static let rawFlag = CommandFlag.toggle("raw", "write strings as their text, not as JSON (like jq -r)")

  static let all: [CommandDefinition] = [
    CommandDefinition(
      CommandSignature(
        "read", summary: "Read rows from standard input (JSON lines, JSON values, a JSON array, or CSV).",
        flags: [
          csvFlag.declaration, tsvFlag.declaration, formatFlag.declaration, delimiterFlag.declaration,
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
      let input = context.run.readInput
      if context.run.input.cursor != nil {
        throw Diagnostic(
          .usage, "read: input or inputs has already read this program's input; use one or the other",
          at: context.call.range)
      }
      context.run.input.claimedByRead = true
      // Files given on the command line (`nwsh -c PROGRAM FILE…`) are read in turn, else stdin.
      let sources = context.run.readSources()
      let first = try sources[0].make()
      return ReaderSource(
        run: context.run, limits: context.run.inputLimits, format: format,
        separator: try Format.separator(context), name: sources[0].name, next: context.next, mode: input,
        more: Array(sources.dropFirst())
      ) {
        first
      }
    },
    CommandDefinition(
      CommandSignature(
        "open", summary: "Read rows from a file: JSON lines, JSON or CSV, by extension or --format.",
        parameters: [.init("FILE", .path, "the file to read")],
        flags: [formatFlag.declaration, delimiterFlag.declaration],
        examples: ["open attendees.csv | map {name: .Name, email: .Email}", "open export.json --format json"]),
      role: .source
    ) { context in
      let given = try context.path(0)!
      if given == "-" {
        // Standard input, as `read` reads it, but with open's formats (CSV by --format csv).
        let standardInput = context.run.standardInput
        return ReaderSource(
          run: context.run, limits: context.run.inputLimits, format: try Format.resolve(context, path: "-"),
          separator: try Format.separator(context), name: "<stdin>", next: context.next
        ) { standardInput() }
      }
      let path = context.run.resolvePath(given)
      let format = try Format.resolve(context, path: path)
      guard FileProblem.reading(path) == nil, let handle = FileHandle(forReadingAtPath: path) else {
        throw Diagnostic(
          .usage, FileProblem.message("cannot open", given, path: path), at: context.range(ofArgument: 0))
      }
      let interruption = context.run.interruption
      return ReaderSource(
        run: context.run, limits: context.run.inputLimits, format: format,
        separator: try Format.separator(context), name: given, next: context.next
      ) {
        FileDescriptorSource(fileDescriptor: handle.fileDescriptor, interruption: interruption)
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
      MapStage(
        evaluator: try context.rowEvaluator(try context.expression(0)!),
        next: context.next)
    },
    CommandDefinition(
      CommandSignature(
        "where", summary: "Keep the rows for which an expression is true.",
        parameters: [.init("EXPR", .expression, "a condition on each row")],
        examples: ["where .consent == \"yes\" and .email != null", "where (.email | test(\"@example\\\\.com$\"))"]),
      role: .filter
    ) { context in
      WhereStage(
        evaluator: try context.rowEvaluator(try context.expression(0)!, op: "where"),
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
      DedupeStage(
        evaluator: try context.rowEvaluator(try context.expression(0) ?? context.identity, op: "dedupe"),
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
        flags: [rawFlag.declaration],
        examples: [
          "read | take 3 | emit", "read | .email | emit --raw", "read | @csv \"\\([.name, .email])\" | emit --raw",
        ]),
      role: .filter
    ) { context in
      try context.value(of: rawFlag)
        ? RawEmitStage(output: context.run.output, next: context.next) as any Stage : PassStage(next: context.next)
    },
    SaveCommand.definition,
  ]
}
