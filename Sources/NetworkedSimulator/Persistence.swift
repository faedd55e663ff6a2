import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Keeps a simulator's community (members, invites, the ledger) in a JSON file, so a sandbox
/// remembers between runs and several processes serving it see one community.
///
/// Each request that reads or changes the community runs inside ``transaction(_:)``: an
/// exclusive `flock` on `FILE.lock`, the file read back, the request handled, the file written
/// (atomically, 0600) when something changed.
/// Sendable because `lock` serializes this process's threads and the `flock` other processes.
final class CommunityFile: @unchecked Sendable {
  // Rule: `lock` serializes this process's threads; the flock, other processes.
  let path: String
  private let lock = NSLock()

  init(path: String) {
    self.path = path
  }

  /// Runs `body` with the community as stored (or `initial` when there is none yet) and
  /// stores what it leaves.
  func transaction<T>(initial: () -> Community, _ body: (inout Community) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    if lockFD >= 0 { flock(lockFD, LOCK_EX) }
    defer {
      if lockFD >= 0 {
        flock(lockFD, LOCK_UN)
        close(lockFD)
      }
    }
    let stored = FileManager.default.contents(atPath: path)
    var community = initial()
    if let stored, let decoded = try? JSONDecoder().decode(Community.self, from: stored) {
      community.take(decoded)
    }
    let result = body(&community)
    if let encoded = try? JSONEncoder().encode(community), encoded != stored {
      let temporary = path + ".\(getpid()).tmp"
      if FileManager.default.createFile(atPath: temporary, contents: encoded, attributes: [.posixPermissions: 0o600]) {
        rename(temporary, path)
      }
    }
    return result
  }

  /// Forgets the stored community.
  func reset() {
    unlink(path)
    unlink(path + ".lock")
  }
}

extension Community {
  /// Takes the stored parts of `other` (everything but the plans, which are not stored).
  mutating func take(_ other: Community) {
    let plans = self.plans
    self = other
    self.plans = plans
  }
}
