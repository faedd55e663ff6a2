/// A function implemented in Swift: gets its filter arguments (compiled; run them with
/// ``Interpreter/evaluate(_:_:_:_:)-(Filter,_,_,_)`` in the caller's `frame`), the input, and
/// emits its outputs.
typealias NativeFunction =
  @Sendable (
    _ interpreter: Interpreter, _ arguments: [Filter], _ input: Value, _ frame: Frame, _ range: SourceRange,
    _ emit: Interpreter.Emit
  ) throws -> Void

extension Interpreter {
  /// Registers a native function `name` taking `arity` filter arguments (for embedders).
  func define(_ name: String, arity: Int, _ body: @escaping NativeFunction) {
    natives["\(name)/\(arity)"] = body
  }

  /// The builtin written in jq named `key` (`name/arity`), compiled on first use.
  func preludeFunction(_ key: String) throws -> Function? {
    if let cached = preludeFunctions[key] { return cached }
    guard let text = Prelude.definitions[key] else { return nil }
    let source = Source(name: "<builtin>", text: text + " .")
    guard case .functionDefinition(let definition, _)? = try? Parser.parseExpression(source) else {
      fatalError("prelude definition \(key) does not parse")
    }
    let root = Level(depth: 0)
    let (function, _) = try Compiler(interpreter: self).define(definition, .empty, root)
    preludeFunctions[key] = function
    return function
  }
}
