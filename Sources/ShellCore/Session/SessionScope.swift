import Foundation
package import JQ

/// What a session's programs have defined for the ones after them (`let` bindings, `def`s,
/// imported modules and data), kept in the jq engine's ``JQScope``; and the checks that every
/// name an expression uses is one of them, a builtin or a function an embedder registered.
///
/// Threading: used by its session, one run at a time.
package final class SessionScope {
  /// The engine's scope: what expressions are compiled against.
  package let jq: JQScope

  init(_ jq: JQScope) { self.jq = jq }

  /// The names of the functions defined (for the parser: a stage that is one of them alone is
  /// a call).
  var functionNames: Set<String> { jq.functionNames }

  /// Names of bound variables a person may write (for completion).
  var variableNames: [String] { jq.variableNames }

  /// Binds `$name` for the rest of the session.
  func bind(_ name: String, to value: Value) { jq.bind(value, to: name) }

  /// Throws the first name `expression` uses that is not defined.
  func check(_ expression: JQExpression) throws { try jq.check(expression) }

  /// Defines `definition` for the rest of the session.
  func define(_ definition: JQDefinition) throws { try jq.define(definition) }

  /// `let name = expr`: the one value of `expression`, bound.
  func bind(_ name: String, to expression: JQExpression, at range: SourceRange) throws {
    let values: [Value]
    do {
      values = try jq.evaluate(expression, input: .null)
    } catch var error as JQError {
      if error.range == nil { error.range = range }
      throw error
    }
    guard values.count == 1 else {
      let written = range.text.components(separatedBy: "=").dropFirst().joined(separator: "=")
      throw Diagnostic(
        .runtime, "let \(name) needs exactly one value, got \(values.count)", at: range,
        hint: values.isEmpty
          ? nil
          : "to bind all of them as an array, write let \(name) = [\(written.trimmingCharacters(in: .whitespaces))]")
    }
    bind(name, to: values[0])
  }

  /// Makes what a directive brings (definitions, data) part of the session; `origin` is the
  /// directory `.` means in it.
  func link(_ directive: JQModuleDirective, from origin: String) throws { try jq.link(directive, from: origin) }

  /// Whether `path` is a file (not a directory).
  static func isFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
  }
}
