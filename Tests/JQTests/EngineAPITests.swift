import JQ
import Testing

/// The engine's public API, used as an embedder uses it: nothing here reaches past `import JQ`'s
/// public declarations.
/// `program`'s outputs for the JSON text `input`, as compact JSON texts.
private func outputs(_ program: JQProgram, _ input: String = "null") throws -> [String] {
  try program.outputs(JSONParser.parse(input)).map(JSONWriter.compact)
}

@Suite("the jq engine's public API")
struct EngineAPITests {
  @Test("a program runs on many inputs; outputs in jq's order, as values")
  func programRuns() throws {
    let program = try JQProgram(".[] | {n: ., double: (. * 2)}")
    #expect(try outputs(program, "[1, 2]") == [#"{"n":1,"double":2}"#, #"{"n":2,"double":4}"#])
    #expect(try outputs(program, "[]").isEmpty)
    #expect(try outputs(JQProgram("[limit(3; repeat(1))]")) == ["[1,1,1]"])
  }

  @Test(
    "a function written in Swift: arguments as values, each combination once (last outermost); none or many outputs")
  func nativeFunctions() throws {
    let join = JQFunction("pair", arity: 2) { input, arguments in
      .string("\(input.stringValue ?? "?"):\(JSONWriter.compact(arguments[0]))-\(JSONWriter.compact(arguments[1]))")
    }
    let spread = JQFunction(
      "spread", arity: 1,
      generator: { _, arguments, emit in
        for _ in 0..<(Int(arguments[0].doubleValue ?? 0)) { try emit(.string("x")) }
      })
    let options = JQOptions(functions: [join, spread])
    let pairs = try outputs(JQProgram(#""k" | pair(1, 2; "a", "b")"#, options: options))
    // As jq calls its builtins written in C: the last argument outermost.
    #expect(pairs == [#""k:1-\"a\"""#, #""k:2-\"a\"""#, #""k:1-\"b\"""#, #""k:2-\"b\"""#])
    #expect(try outputs(JQProgram("[spread(3)], [spread(0)]", options: options)) == [#"["x","x","x"]"#, "[]"])
  }

  @Test("a Swift function's error is jq's: try catches it, and it is located at the call")
  func nativeErrors() throws {
    let strict = JQFunction("strict") { input, _ in
      guard case .string = input else { throw JQError("strict needs a string, got \(input.typeName)") }
      return input
    }
    let options = JQOptions(functions: [strict])
    #expect(
      try outputs(JQProgram(#"[.[] | try strict catch "caught: \(.)"]"#, options: options), #"["a", 1]"#)
        == [#"["a","caught: strict needs a string, got number"]"#])
    let program = try JQProgram(".\n| strict", name: "f.jq", options: options)
    #expect {
      try program.outputs(.number(1))
    } throws: { error in
      guard let error = error as? JQError, let range = error.range else { return false }
      return error.message == "strict needs a string, got number"
        && range.source.lineAndColumn(of: range.start) == (2, 3)
    }
    // What follows the function's output fails on its own; the function does not take it over.
    #expect {
      try JQProgram(#"strict | error("later")"#, options: options).outputs(.string("a"))
    } throws: { error in
      (error as? JQError)?.message == "later"
        && (error as? JQError)?.range.map { $0.source.lineAndColumn(of: $0.start).column } == 10
    }
  }

  @Test("modules from the embedder's loader: import, include, data, nested imports named by their importer")
  func moduleLoader() throws {
    struct Memory: JQModuleLoader {
      let files: [String: String]
      func module(_ path: String, from importer: String?) throws -> (name: String, text: String)? {
        let name = importer.map { "\($0)>\(path)" } ?? path
        return files[path].map { (name, $0) }
      }
      func data(_ path: String, from importer: String?) throws -> [Value]? {
        path == "numbers" ? [try JSONParser.parse("[1, 2]"), .number(3)] : nil
      }
    }
    let loader = Memory(files: [
      "a": #"import "b" as b; def twice: b::inc | b::inc;"#,
      "b": "def inc: . + 1;",
      "c": #"def hello: "hi";"#,
    ])
    let options = JQOptions(moduleLoader: loader)
    let program = try JQProgram(
      #"import "a" as a; include "c"; import "numbers" as $n; [a::twice, hello, $n, $n::n]"#, options: options)
    #expect(try outputs(program, "1") == [#"[3,"hi",[[1,2],3],[[1,2],3]]"#])
    #expect {
      try JQProgram(#"import "nowhere" as x; 1"#, options: options)
    } throws: { error in
      (error as? Diagnostic)?.message == "module not found: nowhere"
    }
  }

  @Test("variables, environment and clock are the embedder's; nothing of the process leaks in")
  func worldIsGiven() throws {
    let options = JQOptions(
      variables: ["who": .string("zoë")], environment: ["REGION": "eu"], clock: { 86_400 })
    #expect(
      try outputs(JQProgram(#"[$who, $ENV.REGION, env.HOME, now, (now | todate)]"#, options: options))
        == [#"["zoë","eu",null,86400,"1970-01-02T00:00:00Z"]"#])
  }

  @Test("a program that names what does not exist is refused when compiled, with its line and column")
  func compileErrors() throws {
    #expect {
      try JQProgram(".a |\n  nosuch(1)", name: "p.jq")
    } throws: { error in
      guard let diagnostic = error as? Diagnostic else { return false }
      guard let range = diagnostic.range else { return false }
      return diagnostic.message.contains("nosuch/1") && range.source.lineAndColumn(of: range.start) == (2, 3)
    }
    #expect(throws: Diagnostic.self) { try JQProgram("$missing") }
    #expect(throws: Diagnostic.self) { try JQProgram(".[") }
  }

  @Test("halt and halt_error end a run with their status; an interruption stops a run that would not end")
  func haltAndInterruption() throws {
    #expect {
      try JQProgram(#""bye\n" | halt_error(3)"#).outputs(.null)
    } throws: { error in
      guard let halt = error as? JQHalt else { return false }
      return halt.status == 3 && halt.message == .string("bye\n")
    }
    let interruption = Interruption()
    let counter = JQFunction("tick") { input, _ in
      if input.doubleValue == 1000 { interruption.set() }
      return input
    }
    let program = try JQProgram(
      "last(range(infinite) | tick)", options: JQOptions(functions: [counter], interruption: interruption))
    #expect(throws: EvaluationInterrupted.self) { try program.outputs(.null) }
  }
}
