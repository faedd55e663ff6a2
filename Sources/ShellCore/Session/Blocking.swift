import Dispatch
import JQ
import Synchronization

/// The one bridge between nwsh's synchronous threads and work that completes elsewhere.
///
/// A program runs on its own thread (`onEvaluationThread`, from the `JQ` library), where stages push rows
/// synchronously. When a stage needs work that completes on another thread — an HTTP request
/// (a task on Swift's cooperative pool), a database's answer (a SwiftNIO future, completed on
/// its event loop) — it starts the work and waits here, on its own thread: never a thread of
/// the cooperative pool or of an event loop, so whatever completes the work is never the
/// thread waiting for it. ``wait(_:)`` is the primitive; ``run(_:)`` starts a task with it.
public enum Blocking {
  /// Starts work with `start`, which must call `complete` exactly once (from any thread), and
  /// blocks this thread until it does; returns what it was given.
  public static func wait<T: Sendable, E: Error & Sendable>(
    _ start: (_ complete: @escaping @Sendable (Result<T, E>) -> Void) -> Void
  ) throws(E) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = Mutex<Result<T, E>?>(nil)
    start { result in
      box.withLock { $0 = result }
      done.signal()
    }
    done.wait()
    return try box.withLock { $0! }.get()
  }

  /// Runs `body` as a task on Swift's cooperative pool and waits for its result on this thread.
  public static func run<T: Sendable, E: Error & Sendable>(_ body: @escaping @Sendable () async throws(E) -> T)
    throws(E) -> T
  {
    try wait { (complete: @escaping @Sendable (Result<T, E>) -> Void) in
      Task.detached {
        do throws(E) {
          complete(.success(try await body()))
        } catch {
          complete(.failure(error))
        }
      }
    }
  }
}

/// Thrown when a wait is cut short by Ctrl-C or SIGTERM.
public struct Interrupted: Error, Sendable, CustomStringConvertible {
  /// Creates the signal.
  public init() {}
  public var description: String { "interrupted" }
}
