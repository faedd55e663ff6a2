import Dispatch
import Synchronization

/// Runs async client work from a pipeline stage and waits for it.
///
/// Stages run synchronously on the pipeline's own thread (never a cooperative-pool thread), so
/// blocking that thread while the request runs is safe.
func waitFor<T: Sendable, E: Error & Sendable>(_ body: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
  let done = DispatchSemaphore(value: 0)
  let box = Mutex<Result<T, E>?>(nil)
  Task.detached {
    let result: Result<T, E>
    do throws(E) {
      result = .success(try await body())
    } catch {
      result = .failure(error)
    }
    box.withLock { $0 = result }
    done.signal()
  }
  done.wait()
  return try box.withLock { $0! }.get()
}
