import JQ

/// The settings ShellCore itself defines.
public enum CoreSettings {
  /// Stop at the first invalid row (exit 65) instead of reporting it and going on.
  public static let strict = Setting.toggle(
    "strict", summary: "stop at the first invalid row (exit 65) instead of reporting it and going on", default: false)
  /// The deepest nesting accepted in input JSON.
  public static let maxDepth = Setting.integer(
    "max-depth", summary: "deepest nesting accepted in input JSON", default: 10_000, range: 1...100_000)
  /// The largest single input value or CSV record, in bytes.
  public static let maxValueBytes = Setting.integer(
    "max-value-bytes", summary: "largest single input value or CSV record, in bytes", default: 64 << 20,
    range: 1024...(1 << 31))

  static let all: [SettingDefinition] = [strict.definition, maxDepth.definition, maxValueBytes.definition]
}
