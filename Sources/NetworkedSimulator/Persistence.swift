import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Keeps a simulator's community (members, invites, the ledger) in files, so a sandbox
/// remembers between runs and several processes serving it see one community — in time that
/// grows with the changes, not with the community: a snapshot (`FILE`, JSON) and a log of the
/// changes since (`FILE.GENERATION.log`, one JSON line each), appended to by each request and
/// folded into a new snapshot (of the next generation) once it is as large as the snapshot.
///
/// Each request that reads or changes the community runs inside ``transaction(initial:_:)``:
/// an exclusive `flock` on `FILE.lock`; the community brought up to date (from memory, plus
/// the log lines other processes appended since; read whole only when the snapshot changed);
/// the request handled; its changes appended.
/// Sendable because `lock` serializes this process's threads and the `flock` other processes.
final class CommunityFile: @unchecked Sendable {
  // Rule: `lock` serializes this process's threads; the flock, other processes. `cache` is
  // touched only under both.
  let path: String
  private let lock = NSLock()
  private var cache: Cache?

  /// The community as last read or written, and where in the files that was.
  private struct Cache {
    var community: Community
    var snapshot: FileStamp?
    var generation: Int
    var logOffset: Int
  }

  /// What tells a snapshot file from a newer one: its inode, size and modification time.
  private struct FileStamp: Equatable {
    var inode: UInt64
    var size: Int64
    var modified: Int

    init?(_ path: String) {
      var status = stat()
      guard stat(path, &status) == 0 else { return nil }
      inode = UInt64(status.st_ino)
      size = Int64(status.st_size)
      modified = status.st_mtim.tv_sec * 1_000_000_000 + status.st_mtim.tv_nsec
    }
  }

  init(path: String) {
    self.path = path
  }

  private func logPath(_ generation: Int) -> String { path + ".\(generation).log" }

  /// Runs `body` with the community as stored (or `initial` when there is none yet) and stores
  /// what it changed.
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
    var current = upToDate(initial: initial)
    var community = Community()
    swap(&community, &current.community)  // owned here alone: changing it copies nothing
    _ = community.takeChanges()
    let result = body(&community)
    let changes = community.takeChanges()
    current.community = community
    if !changes.isEmpty { append(changes, to: &current) }
    if current.logOffset > max(256 << 10, Int(current.snapshot?.size ?? 0)) { fold(&current) }
    cache = current
    return result
  }

  /// Reads `body` of the community as this process last saw it (no file is read).
  func peek<T>(_ body: (Community) -> T) -> T? {
    lock.lock()
    defer { lock.unlock() }
    return cache.map { body($0.community) }
  }

  /// The community with every change any process stored: the cached one with the log lines
  /// appended since, or, when the snapshot is not the one cached, read whole.
  private func upToDate(initial: () -> Community) -> Cache {
    let stamp = FileStamp(path)
    // Taken out of the cache, so that this transaction holds the community alone.
    let previous = cache
    cache = nil
    if var cached = previous, cached.snapshot == stamp, stamp != nil || cached.generation == 0 {
      replay(from: &cached)
      return cached
    }
    var fresh = Cache(community: initial(), snapshot: stamp, generation: 0, logOffset: 0)
    if let data = FileManager.default.contents(atPath: path),
      let stored = try? JSONDecoder().decode(Snapshot.self, from: data)
    {
      fresh.community.take(stored.community)
      fresh.generation = stored.generation
    }
    replay(from: &fresh)
    return fresh
  }

  /// Applies the log lines after `cache.logOffset`.
  private func replay(from cache: inout Cache) {
    guard let handle = FileHandle(forReadingAtPath: logPath(cache.generation)) else { return }
    defer { try? handle.close() }
    try? handle.seek(toOffset: UInt64(cache.logOffset))
    guard let data = try? handle.readToEnd(), !data.isEmpty else { return }
    // Only whole lines: a line another process is still writing waits for the next time.
    guard let end = data.lastIndex(of: 0x0A) else { return }
    let decoder = JSONDecoder()
    for line in data[..<end].split(separator: 0x0A) {
      if let change = try? decoder.decode(Community.Change.self, from: Data(line)) {
        cache.community.apply(change, replaying: true)
      }
    }
    cache.logOffset += data.distance(from: data.startIndex, to: end) + 1
  }

  /// Appends `changes` to the log.
  private func append(_ changes: [Community.Change], to cache: inout Cache) {
    let encoder = JSONEncoder()
    var bytes = Data()
    for change in changes {
      guard let line = try? encoder.encode(change) else { continue }
      bytes += line
      bytes.append(0x0A)
    }
    let descriptor = open(logPath(cache.generation), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    if written == bytes.count { cache.logOffset += bytes.count }
  }

  /// Writes the community whole as the next generation's snapshot, and starts its empty log
  /// (the old log goes once the new snapshot is in place).
  private func fold(_ cache: inout Cache) {
    let next = cache.generation + 1
    guard let data = try? JSONEncoder().encode(Snapshot(generation: next, community: cache.community)) else { return }
    let temporary = path + ".\(getpid()).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
      rename(temporary, path) == 0
    else { return }
    unlink(logPath(cache.generation))
    cache = Cache(community: cache.community, snapshot: FileStamp(path), generation: next, logOffset: 0)
  }

  /// Forgets the stored community.
  func reset() {
    lock.lock()
    defer { lock.unlock() }
    let generation = (FileManager.default.contents(atPath: path)).flatMap {
      try? JSONDecoder().decode(Snapshot.self, from: $0).generation
    }
    unlink(path)
    unlink(logPath(generation ?? 0))
    unlink(logPath(0))
    unlink(path + ".lock")
    cache = nil
  }

  /// The snapshot file: the community, and which generation of log follows it. (A file written
  /// before logs were kept is a community alone: generation 0.)
  private struct Snapshot: Codable {
    var generation: Int
    var community: Community

    init(generation: Int, community: Community) {
      self.generation = generation
      self.community = community
    }

    private enum CodingKeys: String, CodingKey { case generation, community }

    init(from decoder: any Decoder) throws {
      if let container = try? decoder.container(keyedBy: CodingKeys.self),
        let community = try? container.decode(Community.self, forKey: .community)
      {
        self.community = community
        generation = try container.decode(Int.self, forKey: .generation)
      } else {
        community = try Community(from: decoder)
        generation = 0
      }
    }
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
