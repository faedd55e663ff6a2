import Foundation
import JQ

/// Input and output file formats.
enum Format: String {
  case jsonl, json, csv, tsv

  static func resolve(_ context: CommandContext, path: String?) throws -> Format {
    if try context.value(of: DataCommands.csvFlag) || context.value(of: DataCommands.delimiterFlag) != nil {
      return .csv
    }
    if try context.value(of: DataCommands.tsvFlag) { return .tsv }
    if let name = try context.value(of: DataCommands.formatFlag) {
      guard let format = Format(rawValue: name.lowercased()) ?? (name.lowercased() == "ndjson" ? .jsonl : nil) else {
        throw Diagnostic(
          .usage, "unknown format '\(name)'; use jsonl, json, csv or tsv",
          at: context.range(of: DataCommands.formatFlag))
      }
      return format
    }
    switch (path.map { ($0 as NSString).pathExtension.lowercased() }) {
    case "csv"?: return .csv
    case "tsv"?, "tab"?: return .tsv
    case "json"?: return .json
    default: return .jsonl
    }
  }
}

extension Format {
  /// `--delimiter`: one character (`,` `;` `|`…), or `tab` / `\t`.
  static func separator(_ context: CommandContext) throws -> UInt8? {
    guard let text = try context.value(of: DataCommands.delimiterFlag) else { return nil }
    switch text {
    case "tab", "\\t", "\t": return 0x09
    case "comma": return UInt8(ascii: ",")
    case "semicolon": return UInt8(ascii: ";")
    case "pipe": return UInt8(ascii: "|")
    default:
      let bytes = Array(text.utf8)
      guard bytes.count == 1, bytes[0] != 0x22, bytes[0] != 0x0A, bytes[0] != 0x0D else {
        throw Diagnostic(
          .usage, "--delimiter takes one character (not a quote or a line break), or tab; got \(text)",
          at: context.range(of: DataCommands.delimiterFlag))
      }
      return bytes[0]
    }
  }
}
