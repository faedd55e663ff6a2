/// Where an input value came from: its source's name and the line the value starts on
/// (`input_filename`, `input_line_number`).
public struct Origin: Sendable, Hashable {
  /// `<stdin>`, a file path, or `<expression>`.
  public var source: String
  /// 1-based line of the value's first byte (0 when not from text).
  public var line: Int

  /// Creates an origin.
  public init(source: String, line: Int) {
    self.source = source
    self.line = line
  }
}
