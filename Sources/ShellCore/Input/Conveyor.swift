import JQ

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading ahead on a second thread: a reader parses rows into batches while the pipeline's
/// thread runs the stages on earlier ones, in order.
///
/// Bounded (``capacity`` batches waiting), so memory stays flat however long the input; used
/// only for sources that cannot block (regular files, bytes in memory), so stopping early
/// (`take 10`, an error, Ctrl-C) never waits on a terminal or a pipe: the reader sees the
/// cancellation at its next batch and ends.
/// Sendable because one reader thread puts and one stage thread takes, every field only with
/// its pthread mutex held.
final class Conveyor: @unchecked Sendable {
  // Threading: one reader thread puts, one stage thread takes; every field below is read and
  // written only with `mutex` held (pthread, so that waiting needs no async context).
  /// Rows per batch: enough to make the hand-over cost vanish, few enough to start promptly.
  static let batchSize = 512
  /// Batches that may wait for the stages.
  let capacity: Int

  // Guarded by `mutex`.
  private var queue: [[Item]] = []
  private var head = 0
  private var closed = false
  private var cancelled = false
  private var failure: (any Error)?
  /// Batches the stages are done with, for the reader to free: memory goes back to the thread
  /// (and the allocator arena) it came from, instead of both threads contending for one.
  private var spent: [[Item]] = []

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init(capacity: Int = 8) {
    self.capacity = capacity
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(changed, nil)
  }

  deinit {
    pthread_cond_destroy(changed)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    changed.deallocate()
  }

  private func locked<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Reader side: hands over a batch, waiting while the queue is full; throws ``StopInput``
  /// once the stages have stopped.
  func put(_ batch: [Item]) throws {
    let freeing = try locked { () throws -> [[Item]] in
      while queue.count - head >= capacity && !cancelled { pthread_cond_wait(changed, mutex) }
      if cancelled { throw StopInput() }
      queue.append(batch)
      pthread_cond_broadcast(changed)
      defer { spent = [] }
      return spent
    }
    _ = freeing  // freed here, outside the lock
  }

  /// Reader side: no more batches; `failure` (if any) is rethrown to the stages after the
  /// batches before it.
  func close(_ failure: (any Error)? = nil) {
    locked {
      closed = true
      self.failure = failure
      pthread_cond_broadcast(changed)
    }
  }

  /// Stage side: the next batch, waiting for one; nil at the end. `done` is the batch the
  /// stages have finished with, handed back to be freed by the reader.
  func take(returning done: [Item]?) throws -> [Item]? {
    try locked {
      if let done { spent.append(done) }
      while head == queue.count && !closed { pthread_cond_wait(changed, mutex) }
      if head < queue.count {
        let batch = queue[head]
        head += 1
        if head > 64 {
          queue.removeFirst(head)
          head = 0
        }
        pthread_cond_broadcast(changed)
        return batch
      }
      if let failure { throw failure }
      return nil
    }
  }

  /// Stage side: stop the reader (it ends at its next batch).
  func cancel() {
    locked {
      cancelled = true
      pthread_cond_broadcast(changed)
    }
  }

  /// Runs `read` on a new thread, feeding this conveyor; `consume` gets every item on this
  /// thread, in order. Returns false (having done nothing) if no thread could be started.
  func run(
    reading read: UncheckedSendable<(_ emit: (Item) throws -> Void) throws -> Void>,
    consuming consume: (Item) throws -> Void
  ) throws -> Bool {
    let conveyor = self
    guard
      let thread = startThread({
        var batch: [Item] = []
        batch.reserveCapacity(Conveyor.batchSize)
        do {
          try read.body { item in
            batch.append(item)
            if batch.count == Conveyor.batchSize {
              try conveyor.put(batch)
              batch = []
              batch.reserveCapacity(Conveyor.batchSize)
            }
          }
          if !batch.isEmpty { try conveyor.put(batch) }
          conveyor.close()
        } catch is StopInput {
          conveyor.close()
        } catch {
          conveyor.close(error)
        }
      })
    else { return false }
    defer {
      cancel()
      pthread_join(thread, nil)
    }
    var done: [Item]?
    while let batch = try take(returning: done) {
      done = nil
      for item in batch { try consume(item) }
      done = batch
    }
    return true
  }
}

/// Starts `body` on a new thread with a default stack; nil if the system refuses.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
  final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let context = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread: pthread_t = 0
  let created = pthread_create(
    &thread, nil,
    { context in
      let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
      box.body()
      return nil
    }, context)
  if created != 0 {
    Unmanaged<Box>.fromOpaque(context).release()
    return nil
  }
  return thread
}
