import Foundation
import JQ
import NetworkedCommands
import PropertyBased
import ShellCore
import Testing

@Suite("properties")
struct PropertyTests {
  /// A client that sends each request at the slot the schedule gives, over a link with the
  /// given latency: the server sees it somewhere between sending and the answer, and the log
  /// keeps the answer's time, as the pacer does.
  static func serverTimes(gaps: [Double], latencies: [Double], fractions: [Double]) -> [Int64] {
    let schedule = RateSchedule()
    var log: [Double] = []
    var now = 1_000_000.0
    var lastSlot = 0.0
    var seen: [Int64] = []
    for (index, gap) in gaps.enumerated() {
      now += gap
      let slot = schedule.earliest(now: max(now, lastSlot), after: log.sorted().suffix(120))
      let latency = latencies[index % latencies.count]
      let fraction = fractions[index % fractions.count]
      seen.append(Int64(((slot + latency * fraction) * 1000).rounded(.down)))
      log.append(slot + latency)
      lastSlot = slot
      now = slot + latency
    }
    return seen
  }

  @Test("whatever the arrival pattern and latency, the server never sees a window exceeded")
  func scheduleNeverExceedsAWindow() async {
    await propertyCheck(
      count: 150, input: Gen.double(in: 0...90).array(of: 1...260), Gen.double(in: 0...4).array(of: 1...20),
      Gen.double(in: 0...1).array(of: 1...20)
    ) { gaps, latencies, fractions in
      let times = Self.serverTimes(gaps: gaps, latencies: latencies, fractions: fractions)
      #expect(windowViolation(times, RateLimit.documented) == nil)
    }
  }

  static let awkward: [Character] = Array("ab ,\"\n\r\té€😀;'\\x1")

  /// One of `pool`, shrinking toward its first.
  static func characters(_ pool: [Character]) -> Generator<Character, Shrink.Integer<Int>> {
    Gen.int(in: 0...(pool.count - 1)).map { pool[$0] }
  }

  @Test("CSV written by save reads back the same rows (quotes, commas, newlines, unicode)")
  func csvRoundTrip() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-prop-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let cell = Self.characters(Self.awkward).string(of: 0...12)
    await propertyCheck(count: 100, input: cell.array(of: 3).array(of: 1...8)) { table in
      let rows = table.map { cells in
        Value.object(
          JSONObject([("first", .string(cells[0])), ("second", .string(cells[1])), ("third", .string(cells[2]))]))
      }
      let input = rows.map(JSONWriter.compact).joined(separator: "\n") + "\n"
      let path = directory.appendingPathComponent("t\(UUID().uuidString).csv").path
      let session = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: HostEnvironment())
      session.standardInput = { BytesSource(input) }
      session.run("read | save \(path)", name: "<t>")
      let collected = Locked<[UInt8]>([])
      session.output = OutputSink(style: .lines) { bytes in collected.withLock { $0 += bytes } }
      session.run("open \(path)", name: "<t>")
      let back = String(decoding: collected.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
      #expect(back == rows.map(JSONWriter.compact))
    }
  }

  @Test("any string survives JSON writing and parsing unchanged")
  func jsonRoundTrip() async {
    let extra: [Character] = ["\u{0}", "\u{1F}", "\u{7F}", "\u{2028}", "/"]
    let text = Self.characters(Self.awkward + extra).string(of: 0...40)
    await propertyCheck(count: 300, input: text, Gen.int(in: -1_000_000...1_000_000)) { string, number in
      let value = Value.object(
        JSONObject([("s", .string(string)), ("n", .number(number)), ("a", .array([.string(string), .null]))]))
      let written = JSONWriter.compact(value)
      let parsed = try? JSONParser.parse(written)
      #expect(parsed.map(JSONWriter.compact) == written)
      #expect(parsed?["s"]?.stringValue == string)
    }
  }
}
