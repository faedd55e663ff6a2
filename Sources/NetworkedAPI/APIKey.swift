/// A Networked API key. Its `description` is masked, so printing it never leaks it.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
  /// The key itself; read only to put it on the wire.
  public let secret: String

  /// Wraps a key, trimming surrounding white space (a key file usually ends in a newline).
  /// Returns nil for an empty key or one with characters a header cannot carry.
  public init?(_ secret: String) {
    let trimmed = secret.trimmingSpaces()
    guard !trimmed.isEmpty,
      trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
    else { return nil }
    self.secret = trimmed
  }

  /// The key with all but its last four characters hidden, e.g. `••••••••3f9a`.
  public var masked: String {
    let tail = secret.count > 8 ? String(secret.suffix(4)) : ""
    return String(repeating: "•", count: 8) + tail
  }

  public var description: String { masked }
  public var debugDescription: String { "APIKey(\(masked))" }
}
