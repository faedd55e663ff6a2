import Foundation

/// Who holds a claim in the journal: a run of one nwsh process on one host.
///
/// On the claim's own host, whether the holder is alive is decided by its process id (and the
/// process's start time, so a reused pid does not count as the holder). From another host only
/// the lease tells: a claim whose lease has run out is treated as its holder gone.
public struct ClaimOwner: Sendable, Hashable {
  /// The run (`20261122T101500-3f2a1c-1`).
  public var run: String
  /// The host name.
  public var host: String
  /// The process id.
  public var pid: Int32
  /// The process's start time in clock ticks since boot (Linux), when known.
  public var pidStart: Int64?

  /// Creates an owner.
  public init(run: String, host: String, pid: Int32, pidStart: Int64?) {
    self.run = run
    self.host = host
    self.pid = pid
    self.pidStart = pidStart
  }

  /// `{run, host, pid}` for a result's `claimedBy`.
  var description: String { "run \(run), pid \(pid) on \(host)" }
}

/// This process: its host name, pid and start time, read once.
public enum ProcessIdentity {
  /// This machine's host name, as claims record it.
  public static let host: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()

  static let pid: Int32 = getpid()

  static let start: Int64? = startTime(of: getpid())

  /// The owner for `run` in this process.
  static func owner(run: String) -> ClaimOwner {
    ClaimOwner(run: run, host: host, pid: pid, pidStart: start)
  }

  /// Field 22 of `/proc/PID/stat`: when the process started, in clock ticks after boot.
  static func startTime(of pid: Int32) -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    // After the command name (which may hold spaces), fields start at 3 (state).
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19 else { return nil }
    return Int64(fields[19])
  }

  /// Whether the process that wrote a claim still runs: on this host by its pid (and start
  /// time when both are known); elsewhere by its lease.
  static func isAlive(host: String?, pid: Int32?, pidStart: Int64?, leaseUntil: Double?, now: Double) -> Bool {
    guard let host, let pid else { return false }  // written before owners were recorded
    guard host == self.host else { return (leaseUntil ?? 0) > now }
    if pid == self.pid { return pidStart == nil || self.start == nil || pidStart == self.start }
    if kill(pid, 0) != 0 && errno != EPERM { return false }
    if let pidStart, let current = startTime(of: pid), current != pidStart { return false }
    return true
  }
}
