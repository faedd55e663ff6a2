import JQ

/// A session setting (`set NAME VALUE`), declared once with its name, type, default and help;
/// the session keeps its value typed, and code reads it through this declaration
/// (``Session/value(of:)``, ``RunContext/value(of:)``), never by parsing text.
public struct Setting<Value: Sendable>: Sendable {
  /// Its name, e.g. `batch-size`.
  public let name: String
  /// What it does.
  public let summary: String
  /// The value before any `set`.
  public let defaultValue: Value
  /// Reads a value as `set` is given it; throws ``SettingError`` when it is not acceptable.
  public let parse: @Sendable (String) throws -> Value
  /// Writes a value as `set` shows it.
  public let describe: @Sendable (Value) -> String

  /// Declares a setting.
  public init(
    _ name: String, summary: String, default defaultValue: Value, parse: @escaping @Sendable (String) throws -> Value,
    describe: @escaping @Sendable (Value) -> String
  ) {
    self.name = name
    self.summary = summary
    self.defaultValue = defaultValue
    self.parse = parse
    self.describe = describe
  }

  /// The setting without its type, for the session's registry.
  public var definition: SettingDefinition {
    let (parse, describe) = (self.parse, self.describe)
    return SettingDefinition(
      name: name, summary: summary, defaultValue: defaultValue, parse: { try parse($0) },
      describe: { ($0 as? Value).map(describe) ?? "" })
  }
}

extension Setting where Value == Bool {
  /// A setting that is `on` or `off`.
  public static func toggle(_ name: String, summary: String, default on: Bool) -> Setting<Bool> {
    Setting(
      name, summary: summary, default: on,
      parse: { text in
        switch text.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw SettingError("expected on or off, got \(text)")
        }
      }, describe: { $0 ? "on" : "off" })
  }
}

extension Setting where Value == Int {
  /// A setting that is a whole number in `range`.
  public static func integer(_ name: String, summary: String, default value: Int, range: ClosedRange<Int>)
    -> Setting<Int>
  {
    Setting(
      name, summary: summary, default: value,
      parse: { text in
        guard let number = Int(text), range.contains(number) else {
          throw SettingError("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(text)")
        }
        return number
      }, describe: { String($0) })
  }
}

/// A setting without its type: what the session's registry, `set` and `help` work with.
public struct SettingDefinition: Sendable {
  /// Its name.
  public let name: String
  /// What it does.
  public let summary: String
  /// The value before any `set`.
  let defaultValue: any Sendable
  /// Reads a value as `set` is given it.
  let parse: @Sendable (String) throws -> any Sendable
  /// Writes a value as `set` shows it.
  let describe: @Sendable (any Sendable) -> String

  /// The default, as `set` shows it.
  public var defaultText: String { describe(defaultValue) }
}

/// Why a setting's value was refused.
public struct SettingError: Error, CustomStringConvertible, Sendable {
  /// The reason.
  public let description: String
  /// Creates the error.
  public init(_ description: String) { self.description = description }
}
