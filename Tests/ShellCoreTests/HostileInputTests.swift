import Foundation
import ShellCore
import Testing

/// Input built to hurt: each case ends in an error result or a documented behaviour, never a
/// crash, a hang or unbounded memory, and the rows after it still flow.
@Suite("hostile input")
struct HostileInputTests {
  static func run(_ program: String, _ input: [UInt8]) -> (status: ShellCore.ExitStatus, lines: [String]) {
    let collected = Collected()
    let session = Session(
      output: OutputSink(style: .lines) { collected.append($0) }, diagnostics: { _ in }, environment: HostEnvironment())
    session.standardInput = { BytesSource(input) }
    let status = session.run(program, name: "<test>")
    return (status, collected.lines)
  }

  final class Collected: @unchecked Sendable {
    private var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { bytes += more }
    var lines: [String] { String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init) }
  }

  static func csv(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

  @Test("a stray quote inside an unquoted CSV field is a literal character: all 1,000 rows come through")
  func strayQuote() {
    var lines = ["name,email"] + (1...1000).map { "Person \($0),p\($0)@example.org" }
    lines[3] = #"Dwayne "The Rock,rock@example.org"#
    let result = Self.run("read --csv", Self.csv(lines))
    #expect(result.lines.count == 1000)
    #expect(result.lines[2] == #"{"name":"Dwayne \"The Rock","email":"rock@example.org"}"#)
    #expect(result.lines[999] == #"{"name":"Person 1000","email":"p1000@example.org"}"#)
    #expect(result.status == .success)
  }

  @Test(
    "a CSV field whose quote never closes: that record is invalid with its line, every later line still ends in a result"
  )
  func unclosedQuote() {
    var lines = ["name,email"] + (1...1000).map { "Person \($0),p\($0)@example.org" }
    lines[3] = #""Dwayne,rock@example.org"#
    let result = Self.run("read --csv", Self.csv(lines))
    #expect(result.lines.count == 1000)
    #expect(result.lines[2].contains(#""status":"invalid""#) && result.lines[2].contains(#""code":"bad_csv""#))
    #expect(result.lines[2].contains(#""line":4"#) && result.lines[2].contains("never closes"))
    #expect(result.lines[3] == #"{"name":"Person 4","email":"p4@example.org"}"#)
    #expect(result.status == .someFailed)
    // The same at the very end of the input.
    let last = Self.run("read --csv", Self.csv(["a,b", "1,2", "\"3,4"]))
    #expect(last.lines.count == 2 && last.lines[1].contains("never closes"))
    // Quoted fields with line breaks and doubled quotes still work.
    #expect(
      Self.run("read --csv", Self.csv(["a,b", "\"x\ny\",\"say \"\"hi\"\"\""])).lines == [
        #"{"a":"x\ny","b":"say \"hi\""}"#
      ])
  }

  @Test("a 100,000-key object and a 20,000-column CSV are read whole, keys found by hash")
  func manyKeys() {
    let object = "{" + (0..<100_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}\n"
    #expect(
      Self.run("read | [length, .k99999, .k0, has(\"k5\")]", Array(object.utf8)).lines == ["[100000,99999,0,true]"])
    let header = (0..<20_000).map { "c\($0)" }.joined(separator: ",")
    let values = (0..<20_000).map(String.init).joined(separator: ",")
    #expect(Self.run("read --csv | [length, .c19999]", Self.csv([header, values])).lines == [#"[20000,"19999"]"#])
    // Keys are bytes: "é" composed and decomposed stay two keys, past the hashing threshold too.
    let many = (0..<20).map { #""x\#($0)":0"# }.joined(separator: ",")
    #expect(Self.run("read | keys | length", Array("{\(many),\"\u{E9}\":1,\"e\u{301}\":2}\n".utf8)).lines == ["22"])
  }

  @Test("a line of 5 MB is read; one over max-value-bytes is an invalid row and the next row still flows")
  func hugeLines() {
    let big = Array(("\"" + String(repeating: "x", count: 5_000_000) + "\"\n{\"ok\":1}\n").utf8)
    #expect(Self.run("read | length", big).lines == ["5000000", "1"])
    let limited = Self.run("set max-value-bytes 4096\nread | length", big)
    #expect(limited.lines.count == 2)
    #expect(limited.lines[0].contains("value larger than 4096 bytes") && limited.lines[1] == "1")
  }

  @Test("nesting 100,000 deep is refused at 10,000 (jq's limit) and reading goes on")
  func deepNesting() {
    let deep = Array(
      (String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n{\"ok\":1}\n").utf8)
    let result = Self.run("read", deep)
    #expect(result.lines.count == 2)
    #expect(result.lines[0].contains("Exceeds depth limit for parsing (10000 levels)"))
    #expect(result.lines[1] == #"{"ok":1}"#)
    #expect(result.status == .someFailed)
  }

  @Test("invalid UTF-8 in a string becomes U+FFFD (as jq does); raw NUL bytes are bad JSON")
  func bytes() {
    #expect(
      Self.run("read", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]).lines == [#"{"a":"��"}"#])
    let nul = Self.run("read", Array("{\"a\":\"x".utf8) + [0] + Array("y\"}\n{\"b\":1}\n".utf8))
    #expect(nul.lines.count == 2 && nul.lines[0].contains("control character byte 0x0") && nul.lines[1] == #"{"b":1}"#)
  }

  @Test("a BOM, CRLF line ends and empty lines are tolerated")
  func framing() {
    let input: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\r\n\r\n\n   \n{\"b\":2}\r\n".utf8)
    #expect(Self.run("read", input).lines == [#"{"a":1}"#, #"{"b":2}"#])
    let csv: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("name,email\r\n\"Smith, Jr.\",a@b.c\r\n\r\n".utf8)
    #expect(Self.run("read --csv", csv).lines == [#"{"name":"Smith, Jr.","email":"a@b.c"}"#])
  }

  @Test("huge and tiny numbers keep their text; duplicate keys keep the last value (as jq)")
  func numbersAndKeys() {
    let input = Array(#"{"n":1e400,"m":100000000000000000000000000001,"k":-1e-400}"#.utf8) + [0x0A]
    #expect(Self.run("read", input).lines == [#"{"n":1E+400,"m":100000000000000000000000000001,"k":-1E-400}"#])
    #expect(Self.run("read", Array(#"{"a":1,"a":2}"#.utf8)).lines == [#"{"a":2}"#])
  }

  @Test("a truncated last value and an unterminated CSV quote are invalid rows, not hangs")
  func truncated() {
    let json = Self.run("read", Array("{\"a\":1}\n{\"a\":".utf8))
    #expect(json.lines.count == 2 && json.lines[1].contains("unexpected end of input"))
    let csv = Self.run("read --csv", Array("a,b\n\"open,1\n".utf8))
    #expect(csv.lines.count == 1 && csv.lines[0].contains(#""status":"invalid""#))
  }
}
