import JQ
import Synchronization
import Testing

/// The hosting API, used as a language that hosts jq's expressions uses it (nwsh's statements
/// are one): nothing here reaches past `import JQ`'s public declarations.
@Suite("hosting jq in another language")
struct HostingAPITests {
  /// A host whose stages are the word `stage` (and `two-words`, three tokens), optionally
  /// answering a width it should not.
  struct Stages: JQStageBoundary {
    var width: Int? = nil

    func stageWidth(at position: Int, in parser: JQHostParser) -> Int? {
      let token = parser.token(at: position)
      if token.identifier == "stage" { return width ?? 1 }
      if token.identifier == "two", parser.token(at: position + 1).is("-"),
        parser.token(at: position + 2).identifier == "words"
      {
        return width ?? 3
      }
      return nil
    }
  }

  /// The first output of `text` (one expression) in `scope`, as compact JSON.
  private func first(_ text: String, in scope: JQScope, input: Value = .null) throws -> String? {
    var parser = try JQHostParser(Source(name: "<test>", text: text))
    return try scope.compile(parser.parsePipe(stopsAtStages: false)).first(input).map(JSONWriter.compact)
  }

  /// `text` as a value.
  private func json(_ text: String) -> Value { (try? JSONParser.parse(text)) ?? .null }

  @Test("bindings shadow earlier ones; what was compiled before keeps what it saw")
  func bindingsGrow() throws {
    let scope = JQScope(JQOptions(variables: ["base": .number(10)]))
    var parser = try JQHostParser(Source(name: "<test>", text: "$base + 1"))
    let before = try scope.compile(parser.parsePipe(stopsAtStages: false))
    scope.bind(.number(20), to: "base")
    scope.bind(.string("x"), to: "other")
    #expect(try before.first(.null).map(JSONWriter.compact) == "11")
    #expect(try first("$base + 1", in: scope) == "21")
    #expect(scope.variableNames == ["base", "other"])
    #expect(throws: Diagnostic.self) { try first("$nope", in: scope) }
  }

  @Test("a def read by the parser is defined for what follows; one naming nothing defined is refused")
  func definitions() throws {
    let scope = JQScope()
    var parser = try JQHostParser(Source(name: "<test>", text: "def twice: . * 2; def bad: missing;"))
    try scope.define(parser.parseDefinition())
    #expect(parser.token.identifier == "def")  // the `;` ends the definition
    let bad = try parser.parseDefinition()
    #expect(bad.name == "bad" && bad.range.text == "def")
    let error = #expect(throws: Diagnostic.self) { try scope.define(bad) }
    #expect(error?.message.contains("missing/0 is not defined") == true, "\(String(describing: error))")
    #expect(try first("21 | twice", in: scope) == "42")
    #expect(scope.functionNames == ["twice"])
    #expect(throws: Diagnostic.self) { try first("bad", in: scope) }
  }

  @Test("directives read as statements link modules and data from the scope's loader")
  func modules() throws {
    struct Loader: JQModuleLoader {
      func module(_ path: String, from importer: String?) throws -> (name: String, text: String)? {
        path == "util" ? ("util", "def shout: ascii_upcase + \"!\";") : nil
      }
      func data(_ path: String, from importer: String?) throws -> [Value]? {
        path == "cfg" ? [try JSONParser.parse(#"{"n": 3}"#)] : nil
      }
    }
    let scope = JQScope(JQOptions(moduleLoader: Loader()))
    var parser = try JQHostParser(
      Source(name: "<test>", text: "import \"util\" as u\ninclude \"util\"\nimport \"cfg\" as $cfg\nmodule {a: 1}"))
    var directives: [JQModuleDirective] = []
    while parser.atModuleDirective {
      directives.append(try parser.parseModuleDirective())
      parser.skipNewlines()
    }
    #expect(directives.map(\.isInclude) == [false, true, false])
    #expect(directives[0].range.text == "import \"util\" as u")
    for directive in directives { try scope.link(directive, from: "/") }
    #expect(parser.atModuleMetadata)
    #expect(JSONWriter.compact(.object(try parser.parseModuleMetadata())) == #"{"a":1}"#)
    #expect(try first("\"hi\" | u::shout", in: scope) == #""HI!""#)
    #expect(try first("\"hi\" | shout", in: scope) == #""HI!""#)
    #expect(try first("$cfg[0].n + $cfg::cfg[0].n", in: scope) == "6")
    #expect(scope.variableNames == ["cfg", "cfg::cfg"])
    var missing = try JQHostParser(Source(name: "<test>", text: "import \"nowhere\" as n"))
    let directive = try missing.parseModuleDirective()
    #expect(throws: Diagnostic.self) { try scope.link(directive, from: "/") }
  }

  @Test("an expression ends at the | before a host's stage; the tokens after it are the host's")
  func stageBoundaries() throws {
    var parser = try JQHostParser(
      Source(name: "<test>", text: ".a | .b | stage --flag x | two-words"), stages: Stages())
    let expression = try parser.parsePipe(stopsAtStages: true)
    #expect(expression.range.text == ".a | .b")
    #expect(parser.token.is("|"))
    parser.advance()
    #expect(parser.advance().identifier == "stage")
    #expect(parser.advance().flag == "flag")
    #expect(parser.advance().text == "x")
    // Without stopping at stages, the same text is one jq expression.
    var whole = try JQHostParser(Source(name: "<test>", text: ".a | stage"), stages: Stages())
    #expect(try whole.parsePipe(stopsAtStages: false).range.text == ".a | stage")
  }

  @Test("a stage inside what `as` binds over is refused with the boundary's error; a width below 1 counts as 1")
  func bindingOverAStage() throws {
    for width in [nil, 0, -5] {
      var parser = try JQHostParser(
        Source(name: "<test>", text: ".x as $v | two-words | .y"), stages: Stages(width: width))
      let error = #expect(throws: Diagnostic.self) { try parser.parsePipe(stopsAtStages: true) }
      #expect(error?.message.contains("starts a stage") == true, "\(String(describing: error))")
      #expect(error?.range?.text == "two")
    }
  }

  @Test("tokens: a host reads jq's tokens and its own flags; past either end is the text's edge")
  func tokens() throws {
    let parser = try JQHostParser(Source(name: "<test>", text: #"open "a b.csv" 12 $file --x ;"#))
    #expect(parser.token.identifier == "open")
    #expect(parser.token(at: 1).plainString == "a b.csv")
    #expect(parser.token(at: 2).number == 12)
    #expect(parser.token(at: 3).isVariable)
    #expect(parser.token(at: 4).flag == "x" && parser.token(at: 4).spaceBefore)
    #expect(parser.token(at: 5).is(";"))
    #expect(parser.token(at: 6).isEnd && parser.token(at: 10_000).isEnd)
    #expect(parser.token(at: -3).identifier == "open")
    #expect(try JQHostParser(Source(name: "<test>", text: #""a\(1)b""#)).token.plainString == nil)
    var broken = try JQHostParser(Source(name: "<test>", text: "let = 1"))
    broken.advance()
    #expect(throws: Diagnostic.self) { try broken.expect("(", "after let") }
    #expect(broken.unexpected("expected a name").message == "unexpected '='; expected a name")
  }

  @Test("a compiled expression: every output or the first, its input's origin, halt and errors")
  func compiledExpressions() throws {
    let scope = JQScope()
    var parser = try JQHostParser(Source(name: "<test>", text: ".[], error(\"late\")"))
    let compiled = try scope.compile(parser.parsePipe(stopsAtStages: false))
    #expect(try compiled.first(json("[1, 2]")).map(JSONWriter.compact) == "1")
    var seen: [String] = []
    let error = #expect(throws: JQError.self) {
      try compiled.run(json("[1, 2]")) { seen.append(JSONWriter.compact($0)) }
    }
    #expect(seen == ["1", "2"] && error?.message == "late")
    var halting = try JQHostParser(Source(name: "<test>", text: #""bye" | halt_error(3)"#))
    let halt = #expect(throws: JQHalt.self) {
      try scope.compile(halting.parsePipe(stopsAtStages: false)).run(.null) { _ in }
    }
    #expect(halt?.status == 3 && halt?.message.map(JSONWriter.compact) == #""bye""#)
    var located = try JQHostParser(Source(name: "<test>", text: "[input_filename, input_line_number]"))
    let location = try scope.compile(located.parsePipe(stopsAtStages: false))
    #expect(
      try location.first(.null, from: Origin(source: "f.csv", line: 2)).map(JSONWriter.compact) == #"["f.csv",2]"#)
  }

  @Test("input and inputs read what the host hands over, in a scope and in a program")
  func inputs() throws {
    let scope = JQScope()
    var values: [Value] = [.number(1), .number(2), .number(3)]
    scope.nextInput = { values.isEmpty ? nil : values.removeFirst() }
    #expect(try first("[input, [inputs]]", in: scope) == "[1,[2,3]]")
    let remaining = Mutex<[Value]>([.string("a"), .string("b")])
    let program = try JQProgram(
      "[inputs]",
      options: JQOptions(nextInput: { remaining.withLock { $0.isEmpty ? nil : $0.removeFirst() } }))
    #expect(try program.outputs(.null).map(JSONWriter.compact) == [#"["a","b"]"#])
  }

  @Test("what a host needs to know of the language: keywords, builtins and their help, unfinished text")
  func language() {
    #expect(JQLanguage.keywords.contains("reduce") && !JQLanguage.keywords.contains("map"))
    #expect(JQLanguage.builtinNames.contains("map") && JQLanguage.builtinNames.contains("getpath"))
    #expect(JQLanguage.builtinHelp(for: "map")?.contains("map/1") == true)
    #expect(JQLanguage.builtinHelp(for: "nothing") == nil)
    #expect(JQLanguage.moduleTopics.contains("import"))
    #expect(JQLanguage.moduleHelp(for: "include")?.contains("include \"lib/util\"") == true)
    #expect(JQLanguage.moduleHelp(for: "map") == nil)
    #expect(JQLanguage.needsMoreInput("[1,") && JQLanguage.needsMoreInput(".a |"))
    #expect(!JQLanguage.needsMoreInput(".a | .b"))
    #expect(Diagnostic.suggestion(for: "mpa", among: ["map", "add"]) == "map")
    #expect(Diagnostic.suggestion(for: "zzzzzz", among: ["map", "add"]) == nil)
  }
}
