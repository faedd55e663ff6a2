/// What `read` reads and how, as jq's command line says it: the files given after the program
/// (instead of standard input), and jq's `-R`, `-s` and `--stream`.
public struct ReadInput: Sendable, Equatable {
  /// Files to read in order instead of standard input (`nwsh -c PROGRAM FILE…`); each row's
  /// origin names its file.
  public var files: [String] = []
  /// Each line is a string row, not JSON (jq's `-R`); with ``slurp``, the whole input is one
  /// string.
  public var raw = false
  /// All the values are one array row (jq's `-s`).
  public var slurp = false
  /// Each value becomes its stream events, `[path, leaf]` and `[path]` (jq's `--stream`).
  public var stream = false

  /// Standard input, read as rows.
  public init() {}
}

/// Reads lines as string rows (jq's `-R`): without their line feed, a last line without one
/// included; or, slurping, everything as one string.
struct RawLineReader {
  var sourceName: String
  var slurp = false

  func read(_ source: inout some ByteSource, _ emit: (Item) throws -> Void) throws {
    var buffer: [UInt8] = []
    var start = 0
    var line = 1
    var number = 0
    var eof = false
    if slurp {
      while try source.read(into: &buffer, count: 1 << 20) > 0 {}
      let text = String(decoding: buffer, as: UTF8.self)
      return try emit(.row(Row(value: .string(text), number: 1, origin: Origin(source: sourceName, line: 1))))
    }
    while true {
      if let end = buffer[start...].firstIndex(of: 0x0A) {
        number += 1
        let text = String(decoding: buffer[start..<end], as: UTF8.self)
        try emit(.row(Row(value: .string(text), number: number, origin: Origin(source: sourceName, line: line))))
        line += 1
        start = end + 1
        continue
      }
      if eof {
        if start < buffer.count {
          number += 1
          let text = String(decoding: buffer[start...], as: UTF8.self)
          try emit(.row(Row(value: .string(text), number: number, origin: Origin(source: sourceName, line: line))))
        }
        return
      }
      buffer.removeFirst(start)
      start = 0
      if try source.read(into: &buffer, count: 1 << 16) == 0 { eof = true }
    }
  }
}

extension Value {
  /// jq's stream events of the value (`tostream`): `[path, leaf]` for each scalar and empty
  /// container, and `[path]` closing each non-empty container after its last member.
  func streamEvents() -> [Value] {
    var events: [Value] = []
    func walk(_ value: Value, _ path: [Value]) {
      switch value {
      case .array(let items) where !items.isEmpty:
        for (index, item) in items.enumerated() { walk(item, path + [.number(index)]) }
        events.append(.array([.array(path + [.number(items.count - 1)])]))
      case .object(let object) where !object.isEmpty:
        var lastKey = ""
        for (key, member) in object {
          walk(member, path + [.string(key)])
          lastKey = key
        }
        events.append(.array([.array(path + [.string(lastKey)])]))
      default:
        events.append(.array([.array(path), value]))
      }
    }
    walk(self, [])
    return events
  }
}
