import Foundation
package import JQ

/// What a session's programs have defined for the ones after them: `let` bindings, `def`s,
/// imported modules and data; and the checks that every name an expression uses is one of
/// them, a builtin or a function an embedder registered.
///
/// Threading: used by its session, one run at a time.
package final class SessionScope {
  /// Evaluates the definitions and compiles against them.
  let interpreter: Interpreter
  /// The bindings and definitions, as the compiler sees them.
  package let bindings = Bindings()
  /// Functions defined, as `name/arity`.
  private(set) var definedFunctions: Set<String> = []
  private var boundVariables: Set<String> = []

  init(interpreter: Interpreter) { self.interpreter = interpreter }

  /// The names of the functions defined (for the parser: a stage that is one of them alone is
  /// a call).
  var functionNames: Set<String> { Set(definedFunctions.map { String($0.prefix { $0 != "/" }) }) }

  /// Names of bound variables a person may write (for completion).
  var variableNames: [String] { boundVariables.filter { !$0.contains("@") }.sorted() }

  /// Binds `$name` for the rest of the session.
  func bind(_ name: String, to value: Value) {
    bindings.bind(value, to: name)
    boundVariables.insert(name)
  }

  /// Throws the first name `expr` uses that is not defined.
  func check(_ expr: Expr) throws {
    try Checker(variables: boundVariables, functions: definedFunctions, natives: Set(interpreter.natives.keys)).check(
      expr)
  }

  /// Defines `definition` for the rest of the session.
  func define(_ definition: FunctionDefinition) throws {
    try check(.functionDefinition(definition, .identity))
    try interpreter.define(definition, in: bindings)
    definedFunctions.insert(definition.key)
  }

  /// `let name = expr`: the one value of `expr`, bound.
  func bind(_ name: String, to expr: Expr, at range: SourceRange) throws {
    try check(expr)
    var values: [Value] = []
    do {
      try interpreter.evaluate(expr, .null, bindings) { values.append($0) }
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
  func link(_ directive: ModuleDirective, from origin: String) throws {
    for item in try interpreter.modules.link([directive], from: origin) {
      switch item {
      case .function(let definition): try define(definition)
      case .value(let name, let value): bind(name, to: value)
      }
    }
  }

  /// As jq does: when `~/.jq` is a file, its definitions become the session's. Returns what
  /// went wrong, if anything (the session goes on without them).
  func includeHomeLibrary() -> String? {
    guard let home = interpreter.modules.home, Self.isFile(home + "/.jq") else { return nil }
    let source = Source(name: home + "/.jq", text: "")
    let directive = ModuleDirective(
      kind: .include, path: "", metadata: JSONObject([("search", .string(home))]), range: SourceRange(source, 0, 0))
    do {
      try link(directive, from: home)
      return nil
    } catch {
      return (error as? Diagnostic)?.message ?? "\(error)"
    }
  }

  /// Whether `path` is a file (not a directory).
  static func isFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
  }
}
