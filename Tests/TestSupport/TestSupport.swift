import Foundation
import Synchronization

// What every test target shares: the repository's place, processes run and captured, a
// seeded generator, a clock moved by hand, temporary directories, polling without sleeps
// of a fixed length.

/// The repository this package is in (tests read its README, examples and fuzz corpus).
public let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// A path inside the repository.
public func repositoryPath(_ relative: String) -> String { repositoryRoot + "/" + relative }

/// What a finished process printed, and how it ended.
public struct Captured: Sendable {
  /// Its exit status (or the signal number, for a process a signal ended).
  public var status: Int32
  /// Everything it wrote to stdout.
  public var stdout: String
  /// Everything it wrote to stderr.
  public var stderr: String

  /// What a process printed and how it ended.
  public init(status: Int32, stdout: String, stderr: String) {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }
}

/// Runs `executable` with `arguments`, feeding it `stdin`, and waits for it to exit. The
/// environment is this process's with `environment` laid over it.
///
/// Pipes carry all three streams, never `FileHandle.nullDevice`: `Process` closes the
/// descriptors it is handed, and closing that shared one again can close a socket another
/// test has opened since.
public func runProcess(
  _ executable: String, _ arguments: [String], stdin: String = "", environment: [String: String] = [:]
) throws -> Captured {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  let input = Pipe()
  let output = Pipe()
  let errors = Pipe()
  process.standardInput = input
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  // A child may exit before reading all of its input (a compile error): that is not ours to fail.
  signal(SIGPIPE, SIG_IGN)
  try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
  try? input.fileHandleForWriting.close()
  // Both pipes drain at once, so neither fills up and blocks the child. On a thread of its own,
  // not a dispatch queue: the caller may be a cooperative-pool thread, and dispatch's workers
  // are few.
  let errorData = Mutex(Data())
  let drained = DispatchSemaphore(value: 0)
  Thread.detachNewThread {
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    errorData.withLock { $0 = data }
    drained.signal()
  }
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  drained.wait()
  process.waitUntilExit()
  return Captured(
    status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
    stderr: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
}

/// SplitMix64: a small, fast, seeded generator, so a failing random case replays from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The state; the seed to begin with.
  public var state: UInt64
  /// A generator starting from `seed`.
  public init(seed: UInt64) { state = seed }
  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A clock the test moves by hand, in epoch milliseconds.
public final class ManualClock: Sendable {
  private let milliseconds: Mutex<Int64>
  /// A clock reading `start`.
  public init(_ start: Int64 = 1_763_800_000_000) { milliseconds = Mutex(start) }
  /// The time now.
  public var now: Int64 { milliseconds.withLock { $0 } }
  /// Moves the clock forward.
  public func advance(seconds: Double) { milliseconds.withLock { $0 += Int64(seconds * 1000) } }
}

/// A new, empty directory under the system's temporary directory (`nwsh-PREFIX-UUID`).
public func temporaryDirectory(_ prefix: String = "test") -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-\(prefix)-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; returns whether it
/// held. For waiting on another process, whose progress no clock of ours can drive.
public func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if condition() { return true }
    usleep(10_000)
  }
  return condition()
}

/// A value several threads read and write, under a lock (unlike `Mutex`, it can be captured
/// by escaping closures).
public final class Locked<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: T
  /// Holds `value`.
  public init(_ value: T) { self.value = value }
  /// Runs `body` with the value, alone.
  public func withLock<R>(_ body: (inout T) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}
