/// The settings ShellCore itself defines.
enum CoreSettings {
  static let all: [SettingDefinition] = [
    .toggle(
      "strict", summary: "stop at the first invalid row (exit 65) instead of reporting it and going on", default: false),
    .integer("max-depth", summary: "deepest nesting accepted in input JSON", default: 10_000, range: 1...100_000),
    .integer(
      "max-value-bytes", summary: "largest single input value or CSV record, in bytes", default: 64 << 20,
      range: 1024...(1 << 31)),
  ]
}
