import Foundation
import JQ
import ShellCore
import TestSupport
import Testing

/// Runs a program on `input` and returns stdout lines, diagnostics and the exit status.
func runProgram(_ program: String, input: String = "", configure: (Session) -> Void = { _ in }) -> (
  lines: [String], diagnostics: [String], status: ShellCore.ExitStatus
) {
  var bytes: [UInt8] = []
  var diagnostics: [String] = []
  let session = Session(
    output: OutputSink { bytes += $0 }, diagnostics: { diagnostics.append($0) },
    environment: HostEnvironment(
      variables: ["HOME": "/tmp"], workingDirectory: FileManager.default.currentDirectoryPath))
  session.standardInput = { BytesSource(input) }
  configure(session)
  let status = session.run(program, name: "<test>")
  let text = String(decoding: bytes, as: UTF8.self)
  return (text.split(separator: "\n").map(String.init), diagnostics, status)
}

@Suite("Pipelines")
struct PipelineTests {
  @Test func theDesignExampleRunsEndToEnd() {
    let input = """
      {"first":"Zoë","last":"Ñúñez","email":"ZOE@x.io","consent":"yes"}
      {"first":"A","last":"B","email":"a@x.io","consent":"no"}
      not json
      {"first":"C","last":"D","email":"zoe@x.io","consent":"yes"}
      """
    let result = runProgram(
      #"read | where .consent == "yes" | map {name: "\(.first) \(.last)", email: (.email | ascii_downcase), tagId: "r1"} | dedupe .email"#,
      input: input)
    #expect(
      result.lines == [
        #"{"name":"Zoë Ñúñez","email":"zoe@x.io","tagId":"r1"}"#,
        #"{"row":3,"op":"read","status":"invalid","error":{"code":"bad_json","message":"invalid literal, expected null","line":3,"column":1},"source":"<stdin>","line":3}"#,
        #"{"row":4,"op":"dedupe","status":"skipped","email":"zoe@x.io","reason":"duplicate","key":"zoe@x.io","firstRow":1,"source":"<stdin>","line":4}"#,
      ])
    #expect(result.status == ShellCore.ExitStatus.someFailed)
  }

  @Test func bigNumbersKeepTheirDigits() {
    let result = runProgram("read", input: #"{"id": 12345678901234567890123, "x": 1.000, "y": 1e2}"#)
    // As jq 1.8 (decNumber) prints literals: digits and trailing zeros kept, exponents canonical.
    #expect(result.lines == [#"{"id":12345678901234567890123,"x":1.000,"y":1E+2}"#])
  }

  @Test func concatenatedPrettyAndArrayInputs() {
    #expect(runProgram("read | map .a", input: "{\"a\":1}{\"a\":2}\n{\n  \"a\": 3\n}\n").lines == ["1", "2", "3"])
    #expect(runProgram("read | map .a", input: "[{\"a\":1},{\"a\":2}]").lines == ["1", "2"])
    #expect(runProgram("read", input: "\u{FEFF}{\"a\":1}\r\n\r\n{\"a\":2}\r\n").lines == [#"{"a":1}"#, #"{"a":2}"#])
  }

  @Test func csvFollowsRFC4180() {
    let input = "\u{FEFF}name,email\r\n\"Doe, Jane\",jane@x.io\r\n\"Say \"\"hi\"\"\",\"multi\nline\"\r\nonly-one\r\n"
    let result = runProgram("read --csv", input: input)
    #expect(result.lines.count == 3)
    #expect(result.lines[0] == #"{"name":"Doe, Jane","email":"jane@x.io"}"#)
    #expect(result.lines[1] == #"{"name":"Say \"hi\"","email":"multi\nline"}"#)
    #expect(result.lines[2].contains(#""code":"bad_csv""#) && result.lines[2].contains(#""line":5"#))
  }

  @Test func strictStopsAtTheFirstInvalidRow() {
    let result = runProgram("set strict on\nread", input: "{\"a\":1}\nnope\n{\"a\":2}\n")
    #expect(result.status == ShellCore.ExitStatus.dataError)
    #expect(result.lines.count == 2)
  }

  @Test func takeStopsReadingAndBatchGroups() {
    #expect(
      runProgram("read | take 2", input: (1...1000).map { "{\"n\":\($0)}" }.joined(separator: "\n")).lines.count == 2)
    #expect(runProgram("range(5) | batch 2").lines == ["[0,1]", "[2,3]", "[4]"])
    #expect(runProgram("range(5) | batch 2 | unbatch | skip 3").lines == ["3", "4"])
    #expect(runProgram("range(7) | where . % 2 == 0 | count").lines == ["4"])
  }

  @Test func letDefAndSource() throws {
    let result = runProgram("let base = 10\ndef twice(f): f | f;\n[1,2] | map map(twice(. + $base))")
    #expect(result.lines == ["[21,22]"])
  }

  @Test func expressionErrorsBecomeInvalidResultsAndTheStreamGoesOn() {
    let result = runProgram("read | map .a + 1", input: "{\"a\":1}\n{\"a\":\"x\"}\n{\"a\":3}\n")
    #expect(result.lines.count == 3)
    #expect(result.lines[0] == "2" && result.lines[2] == "4")
    #expect(result.lines[1].contains(#""code":"expression_error""#))
    #expect(result.diagnostics.count == 1)
    #expect(result.diagnostics[0].contains("<test>:1:15: runtime error"))
  }

  @Test func syntaxAndUsageErrorsPointAtTheSpot() {
    let unknown = runProgram("read | mapp .a")
    #expect(unknown.status == ShellCore.ExitStatus.usage)
    #expect(unknown.diagnostics[0].hasPrefix("<test>:1:8: error: unknown command 'mapp'"))
    #expect(unknown.diagnostics[0].contains("^^^^"))
    #expect(unknown.diagnostics[0].contains("did you mean 'map'?"))
    let syntax = runProgram("read |\n  map {a: .b")
    #expect(syntax.diagnostics[0].hasPrefix("<test>:2:13: syntax error"))
    let flag = runProgram("read --cvs")
    #expect(flag.diagnostics[0].contains("did you mean '--csv'?"))
    let undefined = runProgram("read | map $nope")
    #expect(undefined.diagnostics[0].contains("$nope is not defined"))
    // A command inside what `as` binds over: named as the command it is (a hyphenated one too).
    let bound = runProgram("read | .x as $v | take 1")
    #expect(bound.status == ShellCore.ExitStatus.usage)
    #expect(bound.diagnostics[0].hasPrefix("<test>:1:19: syntax error: 'take' is a command"), "\(bound.diagnostics)")
    #expect(bound.diagnostics[0].contains("keep the binding inside one stage"))
  }

  @Test func statementsContinueAfterATrailingPipeOrOpenBracket() {
    #expect(runProgram("[1,2,3] |\n  map map(. * 2) |\n  map [\n    .\n  ]").lines == ["[[2,4,6]]"])
    #expect(JQLanguage.needsMoreInput("read |"))
    #expect(JQLanguage.needsMoreInput("map {a:"))
    #expect(JQLanguage.needsMoreInput("map \"abc"))
    #expect(!JQLanguage.needsMoreInput("read | map .a"))
  }
}

/// A command registered from outside ShellCore, used in a pipeline.
final class ShoutStage: RowStage {
  let field: String
  init(field: String, next: any Stage) {
    self.field = field
    super.init(next: next)
  }
  override func handle(_ row: Row) throws {
    var row = row
    if case .object(var object) = row.value, case .string(let text)? = object[field] {
      object[field] = .string(text.uppercased())
      row.value = .object(object)
    }
    try next.push(.row(row))
  }
}

@Suite("Embedding")
struct EmbeddingTests {
  @Test func anEmbedderRegistersACommandAndAFunction() {
    let result = runProgram(#"read | shout name | map {name, greeting: hello(.name)}"#, input: #"{"name":"zoë"}"#) {
      session in
      session.register(
        CommandDefinition(
          CommandSignature("shout", summary: "Upper-cases a field.", parameters: [.init("FIELD", .word, "the field")]),
          role: .filter
        ) { context in ShoutStage(field: context.word(0)!, next: context.next) })
      session.define(
        JQFunction("hello", arity: 1) { _, arguments in
          .string("Hello, \(arguments[0].stringValue ?? "?")!")
        })
    }
    #expect(result.lines == [#"{"name":"ZOË","greeting":"Hello, ZOË!"}"#])
  }

  @Test("a run keeps the commands it started with: one registered while it runs is the next run's")
  func aRunKeepsItsRegistry() {
    var output: [UInt8] = []
    var diagnostics: [String] = []
    let session = Session(output: OutputSink { output += $0 }, diagnostics: { diagnostics.append($0) })
    session.standardInput = { BytesSource(#"{"name":"zoë"}"#) }
    // `teach` replaces `count` while the run is going (an embedder's command doing so, or
    // another thread of the embedder's): the program goes on with the commands it started with.
    let replacement = CommandDefinition(CommandSignature("count", summary: "Shouts instead."), role: .filter) {
      context in ShoutStage(field: "name", next: context.next)
    }
    nonisolated(unsafe) let registering = session
    session.register(
      CommandDefinition(CommandSignature("teach", summary: "Replaces count."), role: .filter) { context in
        registering.register(replacement)
        return ShoutStage(field: "none", next: context.next)
      })
    #expect(session.run("read | teach | count; read | count", name: "<first>") == .success, "\(diagnostics)")
    #expect(String(decoding: output, as: UTF8.self) == "1\n1\n", "both counts are the run's own")
    output = []
    #expect(session.run("read | count", name: "<second>") == .success, "\(diagnostics)")
    #expect(String(decoding: output, as: UTF8.self) == #"{"name":"ZOË"}"# + "\n", "the next run has the new one")
  }

  @Test("a session lives in the world it is given: $ENV, relative paths, ~ and its state directory")
  func givenWorld() throws {
    let directory = temporaryDirectory("world")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try #"{"a":1}"#.write(toFile: directory + "/rows.jsonl", atomically: true, encoding: .utf8)
    var output: [UInt8] = []
    var diagnostics: [String] = []
    let environment = HostEnvironment(variables: ["HOME": directory, "ONLY": "this"], workingDirectory: directory)
    let session = Session(
      output: OutputSink { output += $0 }, diagnostics: { diagnostics.append($0) }, environment: environment)
    let status = session.run(#"open rows.jsonl | map {a, env: $ENV}; open "~/rows.jsonl" | count"#, name: "<world>")
    #expect(status == .success, "\(diagnostics)")
    #expect(
      String(decoding: output, as: UTF8.self).split(separator: "\n")
        == [#"{"a":1,"env":{"HOME":"\#(directory)","ONLY":"this"}}"#, "1"])
    #expect(session.stateDirectory == directory + "/.local/state/nwsh")
    #expect(session.workingDirectory == directory)
  }

  @Test("a command built in Swift runs with its words as values; unknown commands and flags are usage errors")
  func aCommandCallRunsWithoutProgramText() throws {
    let directory = temporaryDirectory("call")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var output: [UInt8] = []
    var diagnostics: [String] = []
    let session = Session(output: OutputSink { output += $0 }, diagnostics: { diagnostics.append($0) })
    session.standardInput = { BytesSource(#"{"a":1}"# + "\n" + #"{"a":2}"#) }
    // A word that would be program text in a program stays one file name here.
    let odd = directory + "/x | count"
    #expect(session.run(CommandCall("read")) == .success)
    #expect(String(decoding: output, as: UTF8.self) == "{\"a\":1}\n{\"a\":2}\n")
    #expect(session.run(CommandCall("open", words: [odd])) == .usage)
    #expect(diagnostics.last?.contains("x | count") == true, "\(diagnostics)")
    #expect(session.run(CommandCall("no-such-command")) == .usage)
    #expect(diagnostics.last?.contains("unknown command 'no-such-command'") == true, "\(diagnostics)")
    #expect(session.run(CommandCall("read", flags: ["bogus": "x"])) == .usage)
    #expect(diagnostics.last?.contains("'read' has no flag --bogus") == true, "\(diagnostics)")
  }
}

@Suite("Interrupting")
struct InterruptTests {
  @Test func aQuietPipeEndsWhenInterruptedAndResultsSoFarAreKept() throws {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    defer {
      close(fds[0])
      close(fds[1])
    }
    // One row arrives, then the writer goes quiet without closing the pipe.
    let row = Array("{\"a\":1}\n".utf8)
    _ = row.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
    let bytes = Locked<[UInt8]>([])
    let first = DispatchSemaphore(value: 0)
    let output = OutputSink { written in
      bytes.withLock { $0 += written }
      first.signal()
    }
    output.flushesEachValue = true
    let session = Session(output: output, diagnostics: { _ in }, environment: HostEnvironment())
    let interruption = session.interruption
    session.standardInput = { [fds] in FileDescriptorSource(fileDescriptor: fds[0], interruption: interruption) }
    // Once the first row's result is out, the reader waits on the quiet pipe: Ctrl-C, as the
    // signal handler would, from another thread.
    Thread.detachNewThread {
      first.wait()
      interruption.set()
    }
    let status = session.run("read | map .a", name: "<test>")
    #expect(status == ShellCore.ExitStatus.interrupted)
    #expect(String(decoding: bytes.withLock { $0 }, as: UTF8.self) == "1\n")
  }
}

/// `input` and `inputs` over a pipe: the cursor reads ahead while the program runs, and not a
/// byte after it ends (in the shell, the next line typed is the shell's).
@Suite("input over a pipe")
struct InputCursorTests {
  @Test("after a program that called input ends, what is written to its pipe is still there to read")
  func nothingReadAfterTheRun() throws {
    var ends: [Int32] = [0, 0]
    try #require(pipe(&ends) == 0)
    defer {
      close(ends[0])
      close(ends[1])
    }
    func send(_ text: String) { _ = text.withCString { write(ends[1], $0, strlen($0)) } }
    send("1\n")
    var bytes: [UInt8] = []
    let session = Session(output: OutputSink { bytes += $0 }, diagnostics: { _ in })
    let descriptor = ends[0]
    session.standardInput = { FileDescriptorSource(fileDescriptor: descriptor) }
    #expect(session.run("input", name: "<test>") == .success)
    #expect(String(decoding: bytes, as: UTF8.self) == "1\n")
    // The run is over: the cursor's thread has stopped, so the next line is ours.
    send("2\n")
    var ready = [pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)]
    guard poll(&ready, 1, 5000) == 1 else {
      Issue.record("the line written after the run was taken by the run's reader")
      return
    }
    var buffer = [UInt8](repeating: 0, count: 16)
    let got = read(ends[0], &buffer, 16)
    #expect(got == 2 && buffer[0] == UInt8(ascii: "2"))
  }
}
