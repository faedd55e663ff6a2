import Foundation

/// A jq program, parsed, linked and compiled once, then run on as many inputs as needed.
///
/// ```swift
/// let shout = JQFunction("shout") { input, _ in .string((input.stringValue ?? "").uppercased()) }
/// let program = try JQProgram(".[] | shout", options: JQOptions(functions: [shout]))
/// try program.run(["a", "b"]) { print($0) }  // "A", then "B"
/// ```
///
/// A program is what jq's command line runs: an optional `module` line, `import`s and
/// `include`s (found by ``JQOptions/moduleLoader``, else in the library directories as jq
/// searches them), then one expression. Every function and `$variable` must be defined when it
/// is compiled, as in jq.
///
/// Threading: a program keeps caches (its frames, compiled regular expressions); run it on one
/// thread at a time. Deep recursion is an error, not a crash, on any thread;
/// ``onEvaluationThread(_:)`` gives a program room for values nested tens of thousands deep.
public final class JQProgram {
  private let interpreter: Interpreter
  private let compiled: CompiledExpression

  /// Parses and compiles `text` (`name` is what error locations call it).
  ///
  /// - Throws: ``Diagnostic``, with its line and column, when the program is not valid jq or
  ///   names a function, variable or module that does not exist.
  public init(_ text: String, name: String = "<program>", options: JQOptions = JQOptions()) throws(Diagnostic) {
    let interpreter = Interpreter(options)
    let bindings = Bindings()
    for (name, value) in options.variables.sorted(by: { $0.key < $1.key }) { bindings.bind(value, to: name) }
    let (header, body) = try Parser.parseJQProgram(Source(name: name, text: text))
    let expr = ModuleLoader.wrap(try interpreter.modules.link(header.directives), around: body)
    try Checker(
      variables: Set(options.variables.keys), natives: Set(options.functions.map { "\($0.name)/\($0.arity)" })
    ).check(expr)
    do {
      compiled = try interpreter.compile(expr, in: bindings)
    } catch let error as Diagnostic {
      throw error
    } catch {
      throw Diagnostic(.syntax, "\(error)", at: nil)
    }
    self.interpreter = interpreter
  }

  /// Calls `emit` with each output of the program for `input`, in jq's order.
  ///
  /// - Throws: the first ``JQError`` the program raises (as jq, outputs before it were
  ///   emitted); whatever `emit` throws; ``JQHalt`` when the program calls `halt` or
  ///   `halt_error`.
  public func run(_ input: Value, _ emit: (Value) throws -> Void) throws {
    do {
      try compiled.run(input, emit)
    } catch is BreakSignal {
      throw JQError("break")
    }
  }

  /// Every output of the program for `input`, collected.
  public func outputs(_ input: Value) throws -> [Value] {
    var outputs: [Value] = []
    try run(input) { outputs.append($0) }
    return outputs
  }
}

/// What a program may use beyond jq's builtins, and the world it sees (gojq's compiler
/// options, as one value).
public struct JQOptions: Sendable {
  /// Functions written in Swift, callable by name and arity.
  public var functions: [JQFunction]
  /// `$name` → value (names without the `$`), bound for the whole program.
  public var variables: [String: Value]
  /// Where `import` and `include` find modules; nil: the file system, as jq searches it.
  public var moduleLoader: (any JQModuleLoader)?
  /// jq's `-L` directories, when modules come from the file system; nil: jq's defaults.
  public var libraryPaths: [String]?
  /// What `$ENV` and `env` hold (nothing unless given: a program sees only what it is handed).
  public var environment: [String: String]
  /// The directory `.` means in a program's `import` (the process's, unless given).
  public var workingDirectory: String?
  /// What `now` reads: seconds since the epoch (nil: the system's clock).
  public var clock: (@Sendable () -> Double)?
  /// Where `debug` and `stderr` write their messages.
  public var messages: @Sendable (String) -> Void
  /// When set (from any thread), a run stops soon after with ``EvaluationInterrupted``.
  public var interruption: Interruption?
  /// The next value of the program's input, for `input` and `inputs` (nil: it has ended); nil:
  /// there is none. Every run of the program reads from it.
  public var nextInput: (@Sendable () throws -> Value?)?

  /// Options with the given parts; messages go nowhere unless given.
  public init(
    functions: [JQFunction] = [], variables: [String: Value] = [:], moduleLoader: (any JQModuleLoader)? = nil,
    libraryPaths: [String]? = nil, environment: [String: String] = [:], workingDirectory: String? = nil,
    clock: (@Sendable () -> Double)? = nil,
    messages: @escaping @Sendable (String) -> Void = { _ in }, interruption: Interruption? = nil,
    nextInput: (@Sendable () throws -> Value?)? = nil
  ) {
    self.functions = functions
    self.variables = variables
    self.moduleLoader = moduleLoader
    self.libraryPaths = libraryPaths
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.clock = clock
    self.messages = messages
    self.interruption = interruption
    self.nextInput = nextInput
  }
}

/// A function written in Swift that programs call like a builtin: `name` with `arity`
/// arguments.
///
/// Its arguments arrive as values: each combination of their outputs calls the body once (the
/// last argument outermost), as jq's own builtins written in C get theirs. The body throws
/// ``JQError`` to raise a jq error (its location is the call's unless it names one), which a
/// program's `try` can catch.
public struct JQFunction: Sendable {
  /// The name programs call.
  public let name: String
  /// How many arguments it takes.
  public let arity: Int
  let body: @Sendable (_ input: Value, _ arguments: [Value], _ emit: (Value) throws -> Void) throws -> Void

  /// A function with one output per call.
  public init(
    _ name: String, arity: Int = 0, _ body: @escaping @Sendable (_ input: Value, _ arguments: [Value]) throws -> Value
  ) {
    self.init(name, arity: arity, generator: { input, arguments, emit in try emit(body(input, arguments)) })
  }

  /// A function with any number of outputs (none is jq's `empty`), each passed to `emit`.
  /// Whatever `emit` throws must reach the caller unchanged (no `try?` around it): that is how
  /// `first`, `limit` and `label`/`break` stop a generator early, and how later errors surface.
  public init(
    _ name: String, arity: Int = 0,
    generator body:
      @escaping @Sendable (_ input: Value, _ arguments: [Value], _ emit: (Value) throws -> Void) throws
      -> Void
  ) {
    self.name = name
    self.arity = arity
    self.body = body
  }
}

/// Finds the modules a program's `import` and `include` name (gojq's `ModuleLoader`): an
/// embedder keeps them anywhere, not only in files.
public protocol JQModuleLoader: Sendable {
  /// The jq text of the module `path` (as written in the directive, e.g. `"lib/strings"`)
  /// imported from `importer` (nil for the program, else the name of the module importing it),
  /// with a name that identifies it: the same name is read once per program, and nested
  /// imports get it as their `importer`. Nil: there is no such module.
  func module(_ path: String, from importer: String?) throws -> (name: String, text: String)?

  /// The JSON values of the data file `path` names (`import "path" as $name;`); nil: there is
  /// no such file. By default there is none.
  func data(_ path: String, from importer: String?) throws -> [Value]?
}

extension JQModuleLoader {
  /// No data files.
  public func data(_ path: String, from importer: String?) throws -> [Value]? { nil }
}

/// A program stopped by `halt` or `halt_error`: the exit status it asked for and what
/// `halt_error` gave to print (nil for `halt`).
public struct JQHalt: Error, Sendable {
  /// The status jq would exit with.
  public var status: Int32
  /// `halt_error`'s value (a string is printed as it is, anything else as JSON).
  public var message: Value?
}

extension Interpreter {
  /// An interpreter set up as `options` say (their variables are the caller's to bind).
  convenience init(_ options: JQOptions) {
    self.init(processEnvironment: options.environment)
    if let clock = options.clock { self.clock = clock }
    debugOutput = options.messages
    interruption = options.interruption
    self.nextInput = options.nextInput
    modules.libraryPaths = options.libraryPaths
    modules.custom = options.moduleLoader
    if let directory = options.workingDirectory { modules.programOrigin = directory }
    for function in options.functions { define(function) }
  }

  /// Registers `function` (see ``JQFunction``): its arguments are evaluated to values, and a
  /// ``JQError`` it throws without a location gets the call's.
  func define(_ function: JQFunction) {
    let body = function.body
    define(function.name, arity: function.arity) { interpreter, arguments, input, frame, range, emit in
      try interpreter.withArguments(arguments, input, frame) { values in
        do {
          try body(input, values) { output in
            do { try emit(output) } catch { throw Downstream(error: error) }
          }
        } catch let passing as Downstream {
          throw passing.error
        } catch var error as JQError where error.range == nil {
          error.range = range
          throw error
        }
      }
    }
  }
}
