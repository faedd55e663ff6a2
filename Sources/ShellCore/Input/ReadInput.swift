import JQ

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
  /// JSON texts come as RFC 7464 records, each after an ASCII record separator (jq's `--seq`,
  /// which shapes input as well as output): text before the first separator is ignored, and a
  /// truncated record is one bad row, reading resuming at the next.
  public var seq = false

  /// Standard input, read as rows.
  public init() {}
}

/// jq's `-s` and `--stream` applied to the rows a reader gives, for `read` and for `input`:
/// with `--stream` each row becomes its stream events; with `-s` the rows are gathered and
/// given as one (an array, or with `-R` one string) by ``finish(source:to:)``.
final class InputShaper {
  let mode: ReadInput
  private var slurped: [Value] = []
  private var firstOrigin: Origin?

  init(_ mode: ReadInput) { self.mode = mode }

  /// Passes `item` on to `emit`, shaped (with both `-s` and `--stream`, the events are what is
  /// gathered, as in jq 1.8).
  func pass(_ item: Item, to emit: (Item) throws -> Void) throws {
    guard case .row(let row) = item, mode.slurp || mode.stream else { return try emit(item) }
    for value in mode.stream ? row.value.streamEvents() : [row.value] {
      if mode.slurp {
        slurped.append(value)
        firstOrigin = firstOrigin ?? row.origin
      } else {
        try emit(.row(Row(value: value, number: row.number, origin: row.origin)))
      }
    }
  }

  /// With `-s`, the one row of everything read (its origin the first value's, else `source`).
  func finish(source: String, to emit: (Item) throws -> Void) throws {
    guard mode.slurp else { return }
    let value: Value = mode.raw ? .string(slurped.compactMap(\.stringValue).joined()) : .array(slurped)
    try emit(.row(Row(value: value, number: 1, origin: firstOrigin ?? Origin(source: source, line: 1))))
  }
}

/// jq's `--seq` input: bytes before the first record separator are dropped, and each separator
/// becomes a line break, so the JSON reader sees one record per stretch and resumes after a
/// bad one at the next.
struct RecordSeparatedSource: ByteSource {
  var base: any ByteSource
  private var started = false

  init(_ base: any ByteSource) { self.base = base }

  var neverBlocks: Bool { base.neverBlocks }
  var waitDescriptor: Int32? { base.waitDescriptor }

  mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int {
    var chunk: [UInt8] = []
    while true {
      chunk.removeAll(keepingCapacity: true)
      guard try base.read(into: &chunk, count: count) > 0 else { return 0 }
      var start = chunk.startIndex
      if !started {
        guard let separator = chunk.firstIndex(of: 0x1E) else { continue }
        started = true
        start = separator
      }
      let records = chunk[start...]
      buffer.append(contentsOf: records.lazy.map { $0 == 0x1E ? 0x0A : $0 })
      return records.count
    }
  }
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
