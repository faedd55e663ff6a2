import Foundation
import ShellCore
import Testing

/// Input built to hurt: each case ends in an error result or a documented behaviour, never a
/// crash, a hang or unbounded memory, and the rows after it still flow.
@Suite("hostile input")
struct HostileInputTests {
  static func run(_ program: String, _ input: [UInt8]) -> (status: ShellCore.ExitStatus, lines: [String]) {
    let collected = Collected()
    let session = Session(output: OutputSink(style: .lines) { collected.append($0) }, diagnostics: { _ in }, environment: [:])
    session.standardInput = { BytesSource(input) }
    let status = session.run(program, name: "<test>")
    return (status, collected.lines)
  }

  final class Collected: @unchecked Sendable {
    private var bytes: [UInt8] = []
    func append(_ more: [UInt8]) { bytes += more }
    var lines: [String] { String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init) }
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
    let deep = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n{\"ok\":1}\n").utf8)
    let result = Self.run("read", deep)
    #expect(result.lines.count == 2)
    #expect(result.lines[0].contains("Exceeds depth limit for parsing (10000 levels)"))
    #expect(result.lines[1] == #"{"ok":1}"#)
    #expect(result.status == .someFailed)
  }

  @Test("invalid UTF-8 in a string becomes U+FFFD (as jq does); raw NUL bytes are bad JSON")
  func bytes() {
    #expect(Self.run("read", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]).lines == [#"{"a":"��"}"#])
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
    #expect(Self.run("read", input).lines == [#"{"n":1e400,"m":100000000000000000000000000001,"k":-1e-400}"#])
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
