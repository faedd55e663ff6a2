import Foundation
import JQ
import ShellCore
import Testing

/// The pipeline language as a jq and nushell user expects it.
@Suite("pipelines that compose")
struct LanguageTests {
  static let rows = """
    {"name":"Ada","email":"ada@x.org","n":1,"tags":[1,2]}
    {"name":"Bob","email":"bob@x.org","n":2,"tags":[3]}
    {"name":"Cy","email":"cy@x.org","n":3,"tags":[]}
    {"name":"Di","email":"di@x.org","n":4,"tags":[4,5,6]}
    {"name":"Ed","email":"ed@x.org","n":5,"tags":[7]}
    """

  @Test("a batch is a row: map, where and count see it whole; unbatch gives the rows back with their numbers")
  func batchesAreRows() {
    #expect(runProgram("read | batch 2 | map length", input: Self.rows).lines == ["2", "2", "1"])
    #expect(runProgram("read | batch 2 | count", input: Self.rows).lines == ["3"])
    #expect(
      runProgram("read | batch 2 | where length > 1 | unbatch | .n", input: Self.rows).lines == ["1", "2", "3", "4"])
    #expect(
      runProgram("read | batch 2 | map map(.n * 10) | unbatch", input: Self.rows).lines == [
        "10", "20", "30", "40", "50",
      ])
  }

  @Test("jq's own spellings run as in jq: builtins named like commands, as-bindings, defs and pipes inside a stage")
  func jqHabits() {
    #expect(runProgram("read | .tags | add", input: Self.rows).lines == ["3", "3", "null", "15", "7"])
    #expect(runProgram("read | {n} | add", input: Self.rows).lines == ["1", "2", "3", "4", "5"])
    #expect(runProgram("read | .tags | map(. + 1) | length", input: Self.rows).lines == ["2", "1", "0", "3", "1"])
    #expect(runProgram("read | map .n", input: Self.rows).lines == ["1", "2", "3", "4", "5"])
    #expect(runProgram(#"read | [.name, .email] | join(", ")"#, input: Self.rows).lines.first == #""Ada, ada@x.org""#)
    #expect(runProgram("read | [skip(1; .tags[])]", input: Self.rows).lines == ["[2]", "[]", "[]", "[5,6]", "[]"])
    #expect(runProgram("read | skip 3 | .n", input: Self.rows).lines == ["4", "5"])
    #expect(runProgram("read | .n as $v | {v: ($v * 2)}", input: Self.rows).lines.last == #"{"v":10}"#)
    #expect(runProgram("read | def twice: . * 2; .n | twice", input: Self.rows).lines == ["2", "4", "6", "8", "10"])
    #expect(runProgram("read | .tags | length | . * 10", input: Self.rows).lines == ["20", "10", "0", "30", "10"])
    #expect(runProgram("read | where(.n > 3) | take(1) | .name", input: Self.rows).lines == [#""Di""#])
    #expect(runProgram("read | first(.tags[])", input: Self.rows).lines == ["1", "3", "4", "7"])
  }

  @Test("every builtin is defined once: no name/arity in both the Swift table and the jq prelude, none twice")
  func builtinsOnce() {
    let listed = runProgram(
      "builtins | [length, (unique | length), (map(select(. == \"env/0\" or . == \"finites/0\")) | length)]", input: "")
    #expect(listed.lines.count == 1)
    let counts = listed.lines.first.map { $0.dropFirst().dropLast().split(separator: ",").compactMap { Int($0) } } ?? []
    #expect(counts.count == 3 && counts[0] > 150 && counts[0] == counts[1] && counts[2] == 2, "\(listed.lines)")
  }

  @Test("where a jq habit cannot work, the error shows the parenthesised fix")
  func fixes() {
    let bound = runProgram("read | .n as $v | where $v > 1", input: Self.rows)
    #expect(bound.status == .usage)
    #expect(bound.diagnostics.joined().contains("where (.x as $v | $v > 1)"))
    let piped = runProgram(#"read | where .name | test("A")"#, input: Self.rows)
    #expect(piped.lines.count == 5 && piped.lines.allSatisfy { $0.contains("expression_error") })
    #expect(piped.diagnostics.joined().contains(#"where (.name | test("A"))"#))
    #expect(runProgram(#"read | where (.name | test("A")) | .n"#, input: Self.rows).lines == ["1"])
    let inside = runProgram("let m = [read | .n]", input: Self.rows)
    #expect(inside.status == .usage)
  }

  @Test("pipelines as values: collect, let NAME = PIPELINE")
  func pipelinesAsValues() {
    #expect(runProgram("read | .n | collect", input: Self.rows).lines == ["[1,2,3,4,5]"])
    #expect(runProgram("read | collect | map(.n) | add", input: Self.rows).lines == ["15"])
    #expect(runProgram("let ns = read | .n; $ns | add", input: Self.rows).lines == ["15"])
    #expect(runProgram(#"read | collect | group_by(.n % 2) | map(length)"#, input: Self.rows).lines == ["[2,3]"])
    // A let over a pipeline still reports bad input on stdout, and binds only the rows.
    let messy = runProgram("let ns = read | .n; $ns", input: Self.rows + "\nnot json\n")
    #expect(messy.lines.count == 2 && messy.lines[0].contains("bad_json") && messy.lines[1] == "[1,2,3,4,5]")
  }

  @Test("join: anti, semi, left and inner, keyed by hash")
  func joins() {
    let known = #"let known = ["ada@x.org", "DI@X.ORG"] | map(ascii_downcase); "#
    #expect(
      runProgram(known + "read | join $known --on .email --anti | .name", input: Self.rows).lines == [
        #""Bob""#, #""Cy""#, #""Ed""#,
      ])
    #expect(
      runProgram(known + "read | join $known --on .email --semi | .name", input: Self.rows).lines == [
        #""Ada""#, #""Di""#,
      ])
    let people = #"let people = [{mail: "bob@x.org", city: "Oslo"}, {mail: "bob@x.org", city: "Rome"}]; "#
    #expect(
      runProgram(
        people + "read | join $people --on .email --right-on .mail --as p | [.name, .p.city]", input: Self.rows
      ).lines == [
        #"["Bob","Oslo"]"#, #"["Bob","Rome"]"#,
      ])
    #expect(
      runProgram(people + "read | join $people --on .email --right-on .mail --left | .match.city", input: Self.rows)
        .lines.count == 6)
    let big = runProgram(
      "let xs = [range(100000) | tostring]; range(100000) | tostring | join $xs --on . --semi | count", input: "")
    #expect(big.lines == ["100000"])
  }

  @Test("raw output: emit --raw, and CSV lines through @csv")
  func rawOutput() {
    #expect(runProgram("read | .name | emit --raw", input: Self.rows).lines == ["Ada", "Bob", "Cy", "Di", "Ed"])
    #expect(runProgram(#"read | [.name, .n] | @csv | emit --raw"#, input: Self.rows).lines.first == #""Ada",1"#)
    var raw: [UInt8] = []
    let session = Session(
      output: OutputSink(style: OutputSink.Style(indent: 0, color: false, raw: true, newline: false)) { raw += $0 })
    session.run(#""a", "b", 1"#, name: "<test>")
    #expect(String(decoding: raw, as: UTF8.self) == "ab1")
  }

  @Test("read --delimiter and a CSV read as JSON hints at --csv")
  func csvInput() {
    #expect(runProgram(#"read --delimiter ";" | .b"#, input: "a;b\n1;x,y\n").lines == [#""x,y""#])
    #expect(runProgram("read --delimiter semicolon | .b", input: "a;b\n1;x,y\n").lines == [#""x,y""#])
    #expect(runProgram("read --delimiter tab | .b", input: "a\tb\n1\t2\n").lines == [#""2""#])
    let misread = runProgram("read", input: "name,email\nAda,ada@x.org\n")
    #expect(misread.lines[0].contains("read --csv"))
    #expect(misread.diagnostics.joined().contains("looks like CSV"))
  }
}

/// `save` writes the way a careful `>` does.
@Suite("save", .serialized)
struct SaveTests {
  static func directory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-save-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static func run(_ program: String, in directory: String) -> (
    lines: [String], diagnostics: [String], status: ShellCore.ExitStatus
  ) {
    runProgram(program, input: LanguageTests.rows) { session in
      session.workingDirectory = directory
      session.stateDirectory = directory + "/state"
    }
  }

  static func mode(_ path: String) throws -> Int {
    try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
  }

  @Test("a new file is 0600; nwsh's own file is replaced atomically; someone else's needs --force; --append adds")
  func files() throws {
    let directory = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(Self.run("read | save out.csv", in: directory).status == .success)
    #expect(
      try String(contentsOfFile: directory + "/out.csv", encoding: .utf8).hasPrefix(
        "name,email,n,tags\nAda,ada@x.org,1,\"[1,2]\"\n"))
    #expect(try Self.mode(directory + "/out.csv") == 0o600)
    chmod(directory + "/out.csv", 0o640)
    // Ours: replaced, keeping its mode.
    #expect(Self.run("read | take 1 | save out.csv", in: directory).status == .success)
    #expect(try String(contentsOfFile: directory + "/out.csv", encoding: .utf8).split(separator: "\n").count == 2)
    #expect(try Self.mode(directory + "/out.csv") == 0o640)
    // Theirs: refused, untouched; --force replaces; --append adds.
    try Data("precious\n".utf8).write(to: URL(fileURLWithPath: directory + "/theirs.jsonl"))
    let refused = Self.run("read | save theirs.jsonl", in: directory)
    #expect(refused.status == .usage && refused.diagnostics.joined().contains("--force"))
    #expect(try String(contentsOfFile: directory + "/theirs.jsonl", encoding: .utf8) == "precious\n")
    #expect(Self.run("read | take 1 | save theirs.jsonl --append", in: directory).status == .success)
    #expect(
      try String(contentsOfFile: directory + "/theirs.jsonl", encoding: .utf8).hasPrefix("precious\n{\"name\":\"Ada\""))
    #expect(Self.run("read | take 2 | save theirs.jsonl --force", in: directory).status == .success)
    #expect(try String(contentsOfFile: directory + "/theirs.jsonl", encoding: .utf8).split(separator: "\n").count == 2)
    // No temporary file is left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }.isEmpty)
  }

  @Test("a symbolic link's target is written into (the link stays a link); - is standard output")
  func linksAndStdout() throws {
    let directory = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(Self.run("read | save real.jsonl", in: directory).status == .success)
    try FileManager.default.createSymbolicLink(atPath: directory + "/link.jsonl", withDestinationPath: "real.jsonl")
    #expect(Self.run("read | take 1 | save link.jsonl", in: directory).status == .success)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link.jsonl") == "real.jsonl")
    #expect(try String(contentsOfFile: directory + "/real.jsonl", encoding: .utf8).split(separator: "\n").count == 1)
    let stdout = Self.run("read | take 2 | save - --format csv", in: directory)
    #expect(stdout.lines == ["name,email,n,tags", #"Ada,ada@x.org,1,"[1,2]""#, "Bob,bob@x.org,2,[3]"])
    #expect(!FileManager.default.fileExists(atPath: directory + "/-"))
  }

  @Test("a FIFO is written into, not replaced")
  func fifo() throws {
    let directory = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/pipe"
    #expect(mkfifo(path, 0o600) == 0)
    let received = Captured()
    let reader = Thread {
      let handle = FileHandle(forReadingAtPath: path)!
      received.set(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self))
    }
    reader.start()
    #expect(Self.run("read | .name | save pipe", in: directory).status == .success)
    while received.value == nil { usleep(1000) }
    #expect(received.value == "\"Ada\"\n\"Bob\"\n\"Cy\"\n\"Di\"\n\"Ed\"\n")
    var info = stat()
    #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
  }

  final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func set(_ value: String) {
      lock.lock()
      text = value
      lock.unlock()
    }
    var value: String? {
      lock.lock()
      defer { lock.unlock() }
      return text
    }
  }
}

/// jq's modules in a session: what a module keeps to itself, and what its importer sees.
@Suite("modules")
struct ModuleTests {
  static func library(_ files: [String: String]) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-modules-\(UUID().uuidString)").path
    for (name, text) in files {
      let file = path + "/" + name
      try FileManager.default.createDirectory(
        atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    }
    return path
  }

  static func run(_ program: String, library: String) -> (lines: [String], diagnostics: [String]) {
    let result = runProgram(program) { session in
      session.libraryPaths = [library]
      session.workingDirectory = library
    }
    return (result.lines, result.diagnostics)
  }

  @Test("a module's names, its helpers' and its imports' stay its own; the importer sees alias::name only")
  func privacy() throws {
    let library = try Self.library([
      // A module that redefines a builtin and keeps a variable of its own.
      "text.jq": """
      import "words" as $words;
      def length: "mine";
      def count: [splits(" ")] | length;
      def first_word: $words::words[0][0];
      def fact: if . <= 1 then 1 else . * (. - 1 | fact) end;
      """,
      "words.json": #"["alpha", "beta"]"#,
      "outer.jq": #"import "text" as t; def both: [t::count, t::first_word];"#,
    ])
    defer { try? FileManager.default.removeItem(atPath: library) }
    // The module's length is its own: the importer's length is still jq's.
    #expect(
      Self.run(#"import "text" as t; "a b c" | [t::count, length, t::first_word]"#, library: library).lines == [
        #"["mine",5,"alpha"]"#
      ])
    #expect(Self.run(#"import "text" as t; 5 | t::fact"#, library: library).lines == ["120"])
    #expect(Self.run(#"import "outer" as o; "x y" | o::both"#, library: library).lines == [#"["mine","alpha"]"#])
    // Nothing of text leaks through outer, nor its data.
    let leaked = Self.run(#"import "outer" as o; t::count"#, library: library)
    #expect(leaked.diagnostics.joined().contains("t::count/0 is not defined"), "\(leaked)")
    let data = Self.run(#"import "outer" as o; $words"#, library: library)
    #expect(data.diagnostics.joined().contains("$words is not defined"), "\(data)")
  }

  @Test("directives are statements: what they bring lasts for the session; include brings plain names")
  func statements() throws {
    let library = try Self.library(["lib/util.jq": "def double: . * 2;\ndef helo: 5;\n", "cfg.json": #"{"rate": 3}"#])
    defer { try? FileManager.default.removeItem(atPath: library) }
    let program = """
      import "lib/util" as u
      include "lib/util"
      import "cfg" as $cfg
      4 | [u::double, double, $cfg[0].rate, $cfg::cfg[0].rate]
      """
    #expect(Self.run(program, library: library).lines == [#"[8,8,3,3]"#])
    // A name an include brings, alone as a stage (near no command or near one), is a call.
    #expect(Self.run("include \"lib/util\"\nhelo", library: library).lines == ["5"])
  }

  @Test("$__loc__ in a module names its file; get_search_list is -L's; ~/.jq, a file, is every program's")
  func whereThingsAre() throws {
    let library = try Self.library(["loc.jq": "def here: $__loc__.file;\n", "home/.jq": "def hello: \"from ~/.jq\";\n"])
    defer { try? FileManager.default.removeItem(atPath: library) }
    #expect(Self.run(#"import "loc" as l; l::here"#, library: library).lines == [#""\#(library)/loc.jq""#])
    #expect(Self.run("get_search_list", library: library).lines == [#"["\#(library)"]"#])
    var bytes: [UInt8] = []
    let session = Session(
      output: OutputSink { bytes += $0 }, diagnostics: { _ in },
      environment: HostEnvironment(
        variables: ["HOME": library + "/home"], workingDirectory: FileManager.default.currentDirectoryPath))
    #expect(session.includeHomeLibrary() == nil)
    _ = session.run("hello", name: "<test>")  // alone, near `help`: still the function
    #expect(String(decoding: bytes, as: UTF8.self) == "\"from ~/.jq\"\n")
    // A ~/.jq that does not load is said, and the session goes on without it.
    try Data("def broken: ;\n".utf8).write(to: URL(fileURLWithPath: library + "/home/.jq"))
    let fresh = Session(
      output: OutputSink { _ in }, diagnostics: { _ in },
      environment: HostEnvironment(
        variables: ["HOME": library + "/home"], workingDirectory: FileManager.default.currentDirectoryPath))
    #expect(fresh.includeHomeLibrary() != nil)
  }

  @Test("a cycle, a missing module, a module with a main expression, metadata that is not constant: clear errors")
  func errors() throws {
    let library = try Self.library([
      "a.jq": #"import "b" as b; def f: 1;"#, "b.jq": #"import "a" as a; def g: 2;"#, "main.jq": "def f: 1; f",
    ])
    defer { try? FileManager.default.removeItem(atPath: library) }
    #expect(Self.run(#"import "a" as a; 1"#, library: library).diagnostics.joined().contains("circular import"))
    let missing = Self.run(#"import "zz" as z; 1"#, library: library).diagnostics.joined()
    #expect(missing.contains("module not found: zz") && missing.contains("looked for zz.jq in"), "\(missing)")
    #expect(
      Self.run(#"import "main" as m; 1"#, library: library).diagnostics.joined().contains(
        "a module holds only definitions"))
    #expect(
      Self.run(#"import "a" as a {search: (1 + 1)}; 1"#, library: library).diagnostics.joined().contains(
        "Module metadata must be constant"))
    #expect(
      Self.run(#"1 | import "a" as a; 1"#, library: library).diagnostics.joined().contains(
        "goes at the start of a program"))
    #expect(
      Self.run(#"import "../a" as a; 1"#, library: library).diagnostics.joined().contains(
        "may not traverse to parent directories"))
  }
}

extension LanguageTests {
  @Test("read | add on one array: the failure says read gave its elements as rows, and how to get the array")
  func readUnpacksWithAHint() {
    let failed = runProgram("read | add", input: "[1,2,3]")
    #expect(failed.lines.count == 3 && failed.lines.allSatisfy { $0.contains("read | collect") }, "\(failed.lines)")
    #expect(runProgram("read | collect | add", input: "[1,2,3]").lines == ["6"])
    // Other failures after read carry no such hint.
    #expect(!runProgram("read | ascii_downcase", input: "[1]").lines.joined().contains("hint"))
  }
}

extension LanguageTests {
  @Test("as, def and label bind over the rest after a comma, as in jq's grammar; comments continue after a backslash")
  func grammarAfterComma() {
    func one(_ program: String) -> String { runProgram(program).lines.joined(separator: " ") }
    #expect(one("[1, 2 as $x | $x * 10]") == "[1,20]")
    #expect(one("[1 + 2 as $x | $x]") == "[3]")
    #expect(one("[1, 2 as $x | $x, 3]") == "[1,2,3]")
    #expect(one("[1, def g: 2; g, 3]") == "[1,2,3]")
    #expect(one("[1, label $out | 2, break $out, 3]") == "[1,2]")
    // gojq's case: a def whose body has a def and an `as` after commas.
    #expect(
      one("[0, def f: 1, def g: 2; g, 3 as $x | def h: $x + 1; h * g; f, f + 1, 5]") == "[0,1,2,8,2,3,9,5]")
    // jq 1.8: a backslash before the line break continues a comment; `\\` does not.
    #expect(one("[1, # one \\\n  still a comment\n2, # two \\\\\n3]") == "[1,2,3]")
    #expect(one("[1, # dos \\\r\n  comment\r\n2]") == "[1,2]")
    // jq takes a trailing comma in an object, and module metadata in a program (it changes nothing).
    #expect(one("{a: 1,}") == #"{"a":1}"#)
    #expect(one("module {name: \"x\"}; 1") == "1")
    // A function the program defines is called by its name alone, even one near a command's.
    #expect(one("def hello: 1;\nhello") == "1")
  }

  @Test("fromjson's errors are jq's words, line and column (the installed jq 1.6 says the same)")
  func fromjsonInJQsWords() {
    let cases: [(text: String, message: String)] = [
      (#"{"a":1,}"#, "Expected another key-value pair at line 1, column 8"),
      ("[1,2", "Unfinished JSON term at EOF at line 1, column 4"),
      ("1 2", "Unexpected extra JSON values"),
      ("tru", "Invalid literal at EOF at line 1, column 3"),
      (#"{1:2}"#, "Object keys must be strings at line 1, column 3"),
      ("[1,\n2,\n]", "Expected another array element at line 3, column 1"),
      (#""\u12""#, "Invalid \\uXXXX escape at line 1, column 6"),
      ("", "Expected JSON value"),
    ]
    for (text, message) in cases {
      var bytes: [UInt8] = []
      let session = Session(output: OutputSink { bytes += $0 }, diagnostics: { _ in })
      session.bind("t", to: .string(text))
      _ = session.run("$t | try fromjson catch .", name: "<test>")
      let expected = JSONWriter.compact(.string("\(message) (while parsing '\(text)')"))
      #expect(String(decoding: bytes, as: UTF8.self) == expected + "\n", "\(text)")
    }
  }
}
