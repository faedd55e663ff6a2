import Foundation
public import JQ

/// Evaluating an expression on one row, turning its runtime errors into an `invalid` result
/// for that row (reported in full on stderr the first time) instead of stopping the pipeline.
///
/// Commands that take an expression (`map`, `where`, `invite --note`) evaluate it through one.
public struct RowEvaluator {
  let run: RunContext
  let range: SourceRange
  /// Compiled once, when the stage is built; run for every row.
  let compiled: JQCompiledExpression
  private let reported = Counter()
  /// What the expression can observe of a row.
  var demand: FieldDemand { compiled.demand }

  /// A hint shown with a failure (how to write what was probably meant), if any.
  let hint: String?
  /// The command the failures are reported under (`map`, `where`…), for the result's `op`.
  let op: String
  /// Whether the expression is a stage right after `read`, which gives the elements of an input
  /// that is one array as rows: a failure to iterate or index a row then says so.
  var afterRead = false

  /// An evaluator of `expression`, compiled in `scope`, for `run`; failures name `op` and carry
  /// `hint`. (Commands get one from ``CommandContext/rowEvaluator(_:op:hint:)``.)
  init(scope: JQScope, run: RunContext, expression: JQExpression, op: String = "map", hint: String? = nil) throws {
    self.run = run
    self.range = expression.range
    self.op = op
    self.hint = hint
    do {
      compiled = try scope.compile(expression)
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
      try compiled.run(row.value, from: row.origin, body)
      return true
    } catch let error as JQError {
      try report(error, row, next)
      return false
    } catch is EvaluationInterrupted {
      try interrupted(row, next)
      // A stop (not Ctrl-C) accounts for every row: the rows after this one get its result too.
      if run.stop != nil { return false }
      throw StopInput()
    }
  }

  /// What ``first(_:next:)`` found.
  public enum FirstOutput {
    /// The expression's first output on the row.
    case value(Value)
    /// It had no output.
    case none
    /// It failed: an `invalid` result for the row was pushed downstream.
    case reported
  }

  /// The first output on `row`; on an error as ``each(_:next:_:)``.
  public func first(_ row: Row, next: any Stage) throws -> FirstOutput {
    do {
      return try compiled.first(row.value, from: row.origin).map(FirstOutput.value) ?? .none
    } catch let error as JQError {
      try report(error, row, next)
      return .reported
    } catch is EvaluationInterrupted {
      try interrupted(row, next)
      if run.stop != nil { return .reported }
      throw StopInput()
    }
  }

  /// The row whose evaluation an interrupt (or a stop of the run) cut short still gets its
  /// result.
  private func interrupted(_ row: Row, _ next: any Stage) throws {
    let (status, fields) = run.unfinishedRowResult
    var record = ResultRecord(row: row.number, op: op, status: status, Self.email(row) + fields)
    record.standsForRow = true
    if row.origin.line > 0 {
      record.add("source", row.origin.source)
      record.add("line", .number(row.origin.line))
    }
    try next.push(.report(record))
  }

  /// The hint for `error`: the one given, or for a stage after `read` that failed to iterate or
  /// index a row, what `read` did to an input that is one array.
  private func hint(for error: JQError) -> String? {
    if let hint { return hint }
    guard afterRead, error.message.hasPrefix("Cannot iterate over") || error.message.hasPrefix("Cannot index")
    else { return nil }
    return "if the input is one JSON array, read gave its elements as rows; "
      + "for the whole array write read | collect | …, or run nwsh -s"
  }

  private func report(_ error: JQError, _ row: Row, _ next: any Stage) throws {
    let hint = hint(for: error)
    // An error inside a builtin written in jq points at the call, not at the builtin's text.
    let at = error.range.flatMap { $0.source.name == "<builtin>" ? nil : $0 } ?? range
    reported.count += 1
    if reported.count == 1 {
      run.diagnose(
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
        ResultRecord(
          row: row.number, op: op, status: .invalid,
          Self.email(row) + [
            ("error", .error(code: .expressionError, message: error.message, details)),
            ("source", .string(row.origin.source)), ("line", .number(row.origin.line)),
          ])))
  }

  /// The row's email, when it has one (`email`, or a column such as `Email` or `E-mail
  /// Address`), trimmed: a result about the row carries it, so a retry by email finds it.
  static func email(_ row: Row) -> [(String, Value)] {
    if case .string(let email)? = row.value["email"] {
      return [("email", .string(email.trimmingCharacters(in: .whitespacesAndNewlines)))]
    }
    guard case .object(let object) = row.value else { return [] }
    for (key, value) in object {
      let letters = key.lowercased().filter(\.isLetter)
      if letters == "email" || letters == "emailaddress", case .string(let email) = value {
        return [("email", .string(email.trimmingCharacters(in: .whitespacesAndNewlines)))]
      }
    }
    return []
  }
}
