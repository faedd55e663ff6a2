/// Evaluating an expression on one row, turning its runtime errors into an `invalid` result
/// for that row (reported in full on stderr the first time) instead of stopping the pipeline.
///
/// Commands that take an expression (`map`, `where`, `invite --note`) evaluate it through one.
public struct RowEvaluator {
  let session: Session
  let expr: Expr
  let range: SourceRange
  /// Compiled once, when the stage is built; run for every row.
  let compiled: CompiledExpression
  private let reported = Counter()
  /// What the expression can observe of a row.
  let demand: FieldDemand

  /// A hint shown with a failure (how to write what was probably meant), if any.
  let hint: String?
  /// The command the failures are reported under (`map`, `where`…), for the result's `op`.
  let op: String

  /// An evaluator of `expr` (written at `range`) in `session`'s scope; failures name `op` and
  /// carry `hint`.
  public init(session: Session, expr: Expr, range: SourceRange, op: String = "map", hint: String? = nil) throws {
    self.session = session
    self.expr = expr
    self.range = range
    self.op = op
    self.hint = hint
    self.demand = FieldDemand.of(expr, in: session.bindings)
    do {
      compiled = try session.interpreter.compile(expr, in: session.bindings)
    } catch let error as JQError {
      throw Diagnostic(.usage, error.message, at: error.range ?? range)
    }
  }

  final class Counter {
    var count = 0
  }

  /// Calls `body` for each output; on an error, pushes an invalid result to `next` and returns false.
  public func each(_ row: Row, next: any Stage, _ body: (Value) throws -> Void) throws -> Bool {
    do {
      if compiled.isSingle {
        try body(try compiled.one(row.value))
      } else {
        try compiled.run(row.value, body)
      }
      return true
    } catch let error as JQError {
      try report(error, row, next)
      return false
    } catch is EvaluationInterrupted {
      try interrupted(row, next)
      throw StopInput()
    }
  }

  /// The first output, or nil when there is none; on an error as `each`.
  public func first(_ row: Row, next: any Stage) throws -> Value?? {
    var result: Value?
    let token = session.interpreter.freshID()
    do {
      if compiled.isSingle { return .some(try compiled.one(row.value)) }
      try compiled.run(row.value) { value in
        result = value
        throw StopSignal(token: token)
      }
    } catch let stop as StopSignal where stop.token == token {
    } catch let error as JQError {
      try report(error, row, next)
      return nil
    } catch is EvaluationInterrupted {
      try interrupted(row, next)
      throw StopInput()
    }
    return .some(result)
  }

  /// The row whose evaluation an interrupt cut short still gets its result.
  private func interrupted(_ row: Row, _ next: any Stage) throws {
    try next.push(
      .report(.result(row: row.number, status: .skipped, [("op", .string(op)), Value.reason(.interrupted)])))
  }

  private func report(_ error: JQError, _ row: Row, _ next: any Stage) throws {
    // An error inside a builtin written in jq points at the call, not at the builtin's text.
    let at = error.range.flatMap { $0.source.name == "<builtin>" ? nil : $0 } ?? range
    reported.count += 1
    if reported.count == 1 {
      session.diagnostics(
        Diagnostic(
          .runtime, "\(error.message) (row \(row.number), \(row.origin.source) line \(row.origin.line))", at: at,
          hint: hint
        )
        .description)
    }
    var details: [(String, Value)] = [("at", .string(at.description))]
    if let hint { details.append(("hint", .string(hint))) }
    try next.push(
      .report(
        .result(
          row: row.number, status: .invalid,
          [
            ("op", .string(op)), ("error", .error(code: .expressionError, message: error.message, details)),
            ("source", .string(row.origin.source)), ("line", .number(row.origin.line)),
          ])))
  }
}
