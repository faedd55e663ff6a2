/// A session setting (`set NAME VALUE`), declared with its meaning and a validator.
public struct SettingDefinition: Sendable {
  /// Its name, e.g. `batch-size`.
  public var name: String
  /// What it does.
  public var summary: String
  /// The value before any `set`.
  public var defaultValue: String
  /// Checks and normalizes a value; throws a message when it is not acceptable.
  public var validate: @Sendable (String) throws -> String

  /// Declares a setting.
  public init(
    _ name: String, summary: String, default defaultValue: String,
    validate: @escaping @Sendable (String) throws -> String = { $0 }
  ) {
    self.name = name
    self.summary = summary
    self.defaultValue = defaultValue
    self.validate = validate
  }

  /// A setting that is `on` or `off`.
  public static func toggle(_ name: String, summary: String, default on: Bool) -> SettingDefinition {
    SettingDefinition(name, summary: summary, default: on ? "on" : "off") { value in
      switch value.lowercased() {
      case "on", "true", "yes", "1": return "on"
      case "off", "false", "no", "0": return "off"
      default: throw SettingError("expected on or off, got \(value)")
      }
    }
  }

  /// A setting that is a whole number in `range`.
  public static func integer(_ name: String, summary: String, default value: Int, range: ClosedRange<Int>)
    -> SettingDefinition
  {
    SettingDefinition(name, summary: summary, default: String(value)) { text in
      guard let number = Int(text), range.contains(number) else {
        throw SettingError("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(text)")
      }
      return String(number)
    }
  }
}

/// Why a setting's value was refused.
public struct SettingError: Error, CustomStringConvertible, Sendable {
  /// The reason.
  public let description: String
  /// Creates the error.
  public init(_ description: String) { self.description = description }
}
