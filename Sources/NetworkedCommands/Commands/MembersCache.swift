import Foundation
import ShellCore

/// The community's member emails, as `pending` and `funnel` last fetched them, kept for a few
/// minutes in nwsh's state directory (0600, like the journal, which holds emails too): a
/// `pending` then a `funnel` spend one members list, not two. Per key and API (the scope).
struct MembersCache {
  /// How long a fetched list stands.
  static let lifetime = 300.0
  let path: String?
  let now: Double

  init(_ connection: NetworkedConnection) {
    now = connection.configuration.clock.now
    let scope = connection.configuration.scope.map { String($0.prefix(16)) }
    path = zip(connection.runInProgress?.stateDirectory, scope).map { "\($0)/members-\($1).json" }
  }

  /// The emails, if fetched less than ``lifetime`` ago.
  func read() -> Set<String>? {
    guard let path, let data = FileManager.default.contents(atPath: path),
      let stored = try? JSONDecoder().decode(Stored.self, from: data), now - stored.at < Self.lifetime,
      stored.at <= now
    else { return nil }
    return Set(stored.emails)
  }

  /// Keeps `emails` as fetched now.
  func write(_ emails: Set<String>) {
    guard let path, let data = try? JSONEncoder().encode(Stored(at: now, emails: emails.sorted())) else { return }
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let temporary = path + ".\(getpid()).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
    else { return }
    rename(temporary, path)
  }

  private struct Stored: Codable {
    var at: Double
    var emails: [String]
  }
}

/// Both values, or nil.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
  guard let a, let b else { return nil }
  return (a, b)
}
