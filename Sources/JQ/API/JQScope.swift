import Foundation

/// Where a hosting language's jq expressions are compiled and run: the functions and variables
/// its earlier statements defined, the modules they linked, and the world the expressions see.
///
/// A ``JQProgram`` is one program with everything it needs fixed when it is compiled; a scope
/// grows as a host's statements run (`let`, `def`, `import` in a session) and compiles each
/// expression against what it holds then. What was compiled keeps working as the scope grows.
///
/// Threading: one thread at a time, with what it compiled.
public final class JQScope {
  let interpreter: Interpreter
  let bindings = Bindings()
  /// Functions defined by ``define(_:)-(JQDefinition)`` and modules, as `name/arity`.
  private var definedFunctions: Set<String> = []
  private var boundVariables: Set<String> = []

  /// A scope with `options`' functions, variables, module loader, environment and clock.
  public init(_ options: JQOptions = JQOptions()) {
    interpreter = Interpreter(options)
    for (name, value) in options.variables.sorted(by: { $0.key < $1.key }) { bind(value, to: name) }
  }

  // MARK: What expressions see

  /// What `now` reads: seconds since the epoch.
  public var clock: @Sendable () -> Double {
    get { interpreter.clock }
    set { interpreter.clock = newValue }
  }

  /// Where `debug` and `stderr` write.
  public var messages: (String) -> Void {
    get { interpreter.debugOutput }
    set { interpreter.debugOutput = newValue }
  }

  /// When set (from any thread), a run stops soon after with ``EvaluationInterrupted``.
  public var interruption: Interruption? {
    get { interpreter.interruption }
    set { interpreter.interruption = newValue }
  }

  /// jq's `-L` directories for `import` and `include`; nil: jq's defaults.
  public var libraryPaths: [String]? {
    get { interpreter.modules.libraryPaths }
    set { interpreter.modules.libraryPaths = newValue }
  }

  /// What `get_prog_origin` says, and where `.` in `get_search_list` starts (``link(_:from:)``
  /// takes the directory its directive's `.` means).
  public var workingDirectory: String {
    get { interpreter.modules.programOrigin }
    set { interpreter.modules.programOrigin = newValue }
  }

  /// The next value of the host's input, for `input` and `inputs` (nil: it has ended); nil
  /// when there is no input.
  public var nextInput: (() throws -> Value?)? {
    get { interpreter.nextInput }
    set { interpreter.nextInput = newValue }
  }

  /// What `input_filename` and `input_line_number` say: where the value being evaluated came
  /// from.
  public var inputOrigin: Origin {
    get { interpreter.currentOrigin }
    set { interpreter.currentOrigin = newValue }
  }

  // MARK: Growing

  /// Registers `function` (as ``JQOptions/functions`` does), replacing one of its name and
  /// arity.
  public func define(_ function: JQFunction) { interpreter.define(function) }

  /// Binds `$name` for what is compiled from now on (shadowing an earlier binding).
  public func bind(_ value: Value, to name: String) {
    bindings.bind(value, to: name)
    boundVariables.insert(name)
  }

  /// Defines a `def` for what is compiled from now on.
  ///
  /// - Throws: ``Diagnostic`` when its body names something undefined; ``JQError`` when the
  ///   compiler finds a name the check could not.
  public func define(_ definition: JQDefinition) throws {
    try check(JQExpression(.functionDefinition(definition.definition, .identity), definition.range))
    try interpreter.define(definition.definition, in: bindings)
    definedFunctions.insert(definition.definition.key)
  }

  /// Brings in what `directive` names (a module's functions or a data file's values); `directory`
  /// is what `.` means in its search.
  ///
  /// - Throws: ``Diagnostic`` when the module is not found or does not compile, as jq says it.
  public func link(_ directive: JQModuleDirective, from directory: String) throws {
    try link(directive.directive, from: directory)
  }

  private func link(_ directive: ModuleDirective, from directory: String) throws {
    for item in try interpreter.modules.link([directive], from: directory) {
      switch item {
      case .function(let definition): try define(JQDefinition(definition))
      case .value(let name, let value): bind(value, to: name)
      }
    }
  }

  /// As jq does: when `~/.jq` (home from the environment's `HOME`) is a file, its definitions
  /// become the scope's. What went wrong, if anything: the scope goes on without them.
  public func includeHomeLibrary() -> String? {
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

  private static func isFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
  }

  /// The names of the functions defined (by ``define(_:)-(JQDefinition)`` and modules).
  public var functionNames: Set<String> { Set(definedFunctions.map { String($0.prefix { $0 != "/" }) }) }

  /// The names of the variables bound, sorted (not the hidden ones modules bind for themselves).
  public var variableNames: [String] { boundVariables.filter { !$0.contains("@") }.sorted() }

  // MARK: Compiling and running

  /// Throws the first name `expression` uses that is not defined here, as jq checks a program.
  public func check(_ expression: JQExpression) throws(Diagnostic) {
    try Checker(variables: boundVariables, functions: definedFunctions, natives: Set(interpreter.natives.keys))
      .check(expression.expr)
  }

  /// `expression`, checked and compiled against what the scope holds now.
  ///
  /// - Throws: ``Diagnostic`` when it names something undefined; ``JQError`` when the
  ///   compiler finds a name the check could not (with its location when it has one).
  public func compile(_ expression: JQExpression) throws -> JQCompiledExpression {
    try check(expression)
    let compiled = try interpreter.compile(expression.expr, in: bindings)
    return JQCompiledExpression(compiled, demand: FieldDemand.of(expression.expr, in: bindings))
  }

  /// Every output of `expression` on `input` (compiled for this once: compile what runs often).
  ///
  /// - Throws: what ``compile(_:)`` and ``JQCompiledExpression/run(_:from:_:)`` throw.
  public func evaluate(_ expression: JQExpression, input: Value) throws -> [Value] {
    var outputs: [Value] = []
    try compile(expression).run(input) { outputs.append($0) }
    return outputs
  }
}

/// An expression a ``JQScope`` compiled, run on as many inputs as needed.
///
/// Threading: one thread at a time, with its scope.
public final class JQCompiledExpression {
  let compiled: CompiledExpression
  /// What the expression can observe of an object input (see ``FieldDemand``).
  public let demand: FieldDemand

  init(_ compiled: CompiledExpression, demand: FieldDemand) {
    self.compiled = compiled
    self.demand = demand
  }

  /// Calls `emit` with each output for `input`, in jq's order; `origin`, when given, is what
  /// `input_filename` and `input_line_number` say.
  ///
  /// - Throws: the ``JQError`` the expression raises; ``JQHalt`` for `halt` and `halt_error`;
  ///   ``EvaluationInterrupted``; whatever `emit` throws.
  public func run(_ input: Value, from origin: Origin? = nil, _ emit: (Value) throws -> Void) throws {
    if let origin { compiled.interpreter.currentOrigin = origin }
    do {
      if compiled.isSingle { try emit(try compiled.one(input)) } else { try compiled.run(input, emit) }
    } catch is BreakSignal {
      throw JQError("break")
    }
  }

  /// The first output for `input`, or nil when there is none (the rest are not computed).
  ///
  /// - Throws: as ``run(_:from:_:)``.
  public func first(_ input: Value, from origin: Origin? = nil) throws -> Value? {
    if let origin { compiled.interpreter.currentOrigin = origin }
    var result: Value?
    let token = compiled.interpreter.freshID()
    do {
      if compiled.isSingle { return try compiled.one(input) }
      try compiled.run(input) { value in
        result = value
        throw StopSignal(token: token)
      }
    } catch let stop as StopSignal where stop.token == token {
    } catch is BreakSignal {
      throw JQError("break")
    }
    return result
  }
}
