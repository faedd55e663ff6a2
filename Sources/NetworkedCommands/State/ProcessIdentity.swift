import Foundation

/// A process, told apart from every other process that may share the state: its host name,
/// its machine (`/etc/machine-id`, else the kernel's boot id), its pid namespace (the inode of
/// `/proc/self/ns/pid`), its pid and its start time.
///
/// Two containers with one host name on one machine differ in their pid namespace; two cloned
/// machines with one host name differ in their machine id. A holder of a claim is judged by
/// its pid only when host, machine and pid namespace are all this process's own: only then
/// does its pid mean the same process here. Otherwise only its lease tells.
public struct ProcessIdentity: Sendable, Hashable, CustomStringConvertible {
  /// The host name.
  public var host: String
  /// The machine: `/etc/machine-id`, else `/proc/sys/kernel/random/boot_id` (nil if neither).
  public var machine: String?
  /// The pid namespace, as `/proc/self/ns/pid` names it (`pid:[4026531836]`), if readable.
  public var pidNamespace: String?
  /// The process id, in its namespace.
  public var pid: Int32
  /// When the process started, in clock ticks after boot (Linux), if known.
  public var start: Int64?

  /// Creates an identity.
  public init(host: String, machine: String?, pidNamespace: String?, pid: Int32, start: Int64?) {
    self.host = host
    self.machine = machine
    self.pidNamespace = pidNamespace
    self.pid = pid
    self.start = start
  }

  /// This process, read once.
  public static let current: ProcessIdentity = {
    var buffer = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&buffer, buffer.count) == 0
      ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
    let machine = [Self.read("/etc/machine-id"), Self.read("/proc/sys/kernel/random/boot_id")].compactMap { $0 }
      .first
    let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))
    return ProcessIdentity(
      host: host, machine: machine, pidNamespace: namespace, pid: getpid(), start: startTime(ofProcess: "self"))
  }()

  /// Whether `other` runs on this machine in this pid namespace (so its pid means a process
  /// here): host, machine and namespace all known and equal.
  public func sharesPids(with other: ProcessIdentity) -> Bool {
    host == other.host && machine != nil && machine == other.machine && pidNamespace != nil
      && pidNamespace == other.pidNamespace
  }

  /// Whether the process `self` names still runs, asked from `observer` (usually
  /// ``current``): by its pid and start time when they share pids; nil when it cannot be told
  /// from here (then only a lease can say).
  public func isRunning(seenFrom observer: ProcessIdentity) -> Bool? {
    guard sharesPids(with: observer) else { return nil }
    if pid == observer.pid { return start == nil || observer.start == nil || start == observer.start }
    if kill(pid, 0) != 0 && errno != EPERM { return false }
    // The start time tells a reused pid apart; /proc must be this namespace's to read it.
    if let start, Self.procIsOurs, let current = Self.startTime(ofProcess: String(pid)), current != start {
      return false
    }
    return true
  }

  /// `pid 4242 on web-1`.
  public var description: String { "pid \(pid) on \(host)" }

  /// Whether `/proc` shows this process's own pid namespace (it may be the host's, in a
  /// container started without its own `/proc`).
  private static let procIsOurs: Bool =
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self")) == String(getpid())

  private static func read(_ path: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty ? nil : trimmed
  }

  /// Field 22 of `/proc/PROCESS/stat`: when the process started, in clock ticks after boot.
  static func startTime(ofProcess process: String) -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
      let close = text.lastIndex(of: ")")
    else { return nil }
    // After the command name (which may hold spaces), fields start at 3 (state).
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 19 else { return nil }
    return Int64(fields[19])
  }
}

/// Who holds a journal entry while it is claimed or pending: one run of one process.
public struct ClaimOwner: Sendable, Hashable {
  /// The run (`20261122T101500-3f2a1c-1`).
  public var run: String
  /// The process.
  public var process: ProcessIdentity

  /// Creates an owner.
  public init(run: String, process: ProcessIdentity) {
    self.run = run
    self.process = process
  }

  /// `run` of this process.
  public static func current(run: String) -> ClaimOwner { ClaimOwner(run: run, process: .current) }

  /// `run R, pid P on H`.
  var description: String { "run \(run), \(process)" }
}
