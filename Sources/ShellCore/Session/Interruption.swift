public import Synchronization

/// A flag a signal handler sets and pipelines poll.
public final class Interruption: @unchecked Sendable {
  // Threading: set from any thread or a signal handler, read by the running pipeline; every
  // access is an atomic load or store on memory allocated once and freed only in deinit.
  private let flag: UnsafeMutablePointer<Atomic<Int32>>
  init() {
    flag = .allocate(capacity: 1)
    flag.initialize(to: Atomic(0))
  }
  deinit {
    flag.deinitialize(count: 1)
    flag.deallocate()
  }
  /// Asks the running pipeline to stop.
  public func set() { flag.pointee.store(1, ordering: .releasing) }
  /// Clears the request (the REPL does before each prompt).
  public func reset() { flag.pointee.store(0, ordering: .releasing) }
  /// The flag itself, for a signal handler to set (an atomic store is async-signal-safe); valid
  /// while this object lives.
  public var signalFlag: UnsafeMutablePointer<Atomic<Int32>> { flag }
  /// Whether a stop was asked for.
  public var isSet: Bool { flag.pointee.load(ordering: .acquiring) != 0 }
}
