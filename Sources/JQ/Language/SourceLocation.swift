/// A named piece of program text: a script file, `-c` text, a REPL line.
public final class Source: Sendable {
  /// The name shown in diagnostics: a path, `<command line>`, `<stdin>`, `<repl>`.
  public let name: String
  /// The text.
  public let text: String
  let lineStarts: [Int]
  let bytes: [UInt8]

  /// Wraps `text` under `name`.
  public init(name: String, text: String) {
    self.name = name
    self.text = text
    self.bytes = Array(text.utf8)
    var starts = [0]
    for (index, byte) in bytes.enumerated() where byte == 0x0A { starts.append(index + 1) }
    self.lineStarts = starts
  }

  /// The 1-based line and column (in characters) of a byte offset.
  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
    }
    let start = lineStarts[low]
    let prefix = bytes[start..<min(max(offset, start), bytes.count)]
    return (low + 1, String(decoding: prefix, as: UTF8.self).count + 1)
  }

  /// The text of 1-based `line`, without its newline.
  public func line(_ number: Int) -> String {
    guard number >= 1 && number <= lineStarts.count else { return "" }
    let start = lineStarts[number - 1]
    var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
    if end > start && bytes[end - 1] == 0x0D { end -= 1 }
    return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
  }
}

/// A byte range of a ``Source``.
public struct SourceRange: Sendable {
  /// Where the text is.
  public let source: Source
  /// First byte.
  public let start: Int
  /// One past the last byte.
  public let end: Int

  /// A range of `source`.
  public init(_ source: Source, _ start: Int, _ end: Int) {
    self.source = source
    self.start = start
    self.end = end
  }

  /// The text the range covers.
  public var text: String { String(decoding: source.bytes[start..<min(end, source.bytes.count)], as: UTF8.self) }

  /// `name:line:column` of the start.
  public var description: String {
    let (line, column) = source.lineAndColumn(of: start)
    return "\(source.name):\(line):\(column)"
  }

  /// The range from this one's start to `other`'s end.
  public func through(_ other: SourceRange) -> SourceRange { SourceRange(source, start, max(end, other.end)) }
}
