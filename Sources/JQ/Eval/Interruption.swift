import Foundation
public import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Ctrl-C or SIGTERM asking the running program to stop, as a flag and as an event.
///
/// Code that checks now and then (the evaluator, between rows) reads ``isSet``. Code that
/// waits (for a rate window, a server's answer, a database that is away) registers with
/// ``onSet(_:)`` or sleeps in ``sleep(seconds:)`` and is woken at once: nothing polls.
///
/// ``set()`` may be called from any thread; a C signal handler stores 1 into ``signalFlag``
/// and writes a byte to ``wakeDescriptor`` (both async-signal-safe), which is the same. A
/// watcher thread, started on the first registration, runs the registered handlers.
public final class Interruption: Sendable {
  private let core = Core()

  /// A new, clear flag.
  public init() {}

  deinit { core.retire() }

  /// Asks the running pipeline to stop; wakes every waiter.
  public func set() {
    core.flag.pointee.store(1, ordering: .releasing)
    core.wake()
  }

  /// Clears the request (before each program, and before each prompt of the shell).
  public func reset() { core.reset() }

  /// Whether a stop was asked for.
  public var isSet: Bool { core.isSet }

  /// The flag itself, for a signal handler to set (an atomic store is async-signal-safe); valid
  /// while this object lives.
  public var signalFlag: UnsafeMutablePointer<Atomic<Int32>> { core.flag }

  /// Where a signal handler writes a byte after setting ``signalFlag`` (`write` is
  /// async-signal-safe), to wake the waiters.
  public var wakeDescriptor: Int32 { core.pipe.write }

  /// Readable while the flag is set (until ``reset()``): a reader waiting with `poll` on its
  /// input can wait on this too.
  public var readableDescriptor: Int32 { core.pipe.read }

  /// A registered handler; ``cancel()`` removes it.
  public struct Registration: Sendable {
    fileprivate let core: Core
    fileprivate let id: Int
    /// Removes the handler (it does not run after this returns, unless it is running now).
    public func cancel() { core.remove(id) }
  }

  /// Runs `handler` once when the flag is set (at once, on this thread, if it is set already;
  /// otherwise on the watcher thread). It must be quick and must not block.
  public func onSet(_ handler: @escaping @Sendable () -> Void) -> Registration {
    let id = core.add(handler)
    if isSet, core.take(id) { handler() }
    return Registration(core: core, id: id)
  }

  /// Waits `seconds` or until the flag is set; returns false when interrupted.
  public func sleep(seconds: Double) -> Bool {
    if isSet { return false }
    guard seconds > 0 else { return true }
    let woken = DispatchSemaphore(value: 0)
    let registration = onSet { woken.signal() }
    defer { registration.cancel() }
    _ = woken.wait(timeout: .now() + .nanoseconds(Int(min(seconds, 86_400 * 365) * 1e9)))
    return !isSet
  }

  /// The flag, the pipe, the handlers and the watcher: shared by the ``Interruption`` and its
  /// watcher thread, so the thread can outlive it long enough to close the pipe itself.
  /// Sendable because `flag` is atomic, `pipe` is fixed at init, and everything else is guarded
  /// by `lock`.
  fileprivate final class Core: @unchecked Sendable {
    // Threading: `flag` is atomic and `pipe` fixed at init; everything else is guarded by
    // `lock` (a condition the watcher waits on between interruptions).
    let flag: UnsafeMutablePointer<Atomic<Int32>>
    let pipe: (read: Int32, write: Int32)
    private let lock = NSCondition()
    private var handlers: [Int: @Sendable () -> Void] = [:]
    private var nextHandler = 0
    private var generation = 0
    private var watching = false
    private var retired = false

    init() {
      flag = .allocate(capacity: 1)
      flag.initialize(to: Atomic(0))
      var descriptors: [Int32] = [-1, -1]
      if Glibc.pipe(&descriptors) == 0 {
        for descriptor in descriptors {
          _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
          _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
      }
      pipe = (descriptors[0], descriptors[1])
    }

    deinit {
      flag.deinitialize(count: 1)
      flag.deallocate()
    }

    var isSet: Bool { flag.pointee.load(ordering: .acquiring) != 0 }

    func wake() {
      var byte: UInt8 = 1
      _ = write(pipe.write, &byte, 1)
    }

    func reset() {
      flag.pointee.store(0, ordering: .releasing)
      var buffer = [UInt8](repeating: 0, count: 64)
      while read(pipe.read, &buffer, buffer.count) > 0 {}
      lock.lock()
      generation += 1
      lock.broadcast()
      lock.unlock()
    }

    func add(_ handler: @escaping @Sendable () -> Void) -> Int {
      lock.lock()
      defer { lock.unlock() }
      let id = nextHandler
      nextHandler += 1
      handlers[id] = handler
      if !watching {
        watching = true
        let thread = Thread { [self] in watch() }
        thread.name = "nwsh interrupt watcher"
        thread.stackSize = 1 << 16
        thread.start()
      }
      return id
    }

    /// Removes handler `id`; true if it was still there.
    func take(_ id: Int) -> Bool {
      lock.lock()
      defer { lock.unlock() }
      return handlers.removeValue(forKey: id) != nil
    }

    func remove(_ id: Int) { _ = take(id) }

    /// The owner is gone: the watcher closes the pipe and ends (or, with no watcher, here).
    func retire() {
      lock.lock()
      retired = true
      let closeHere = !watching
      lock.broadcast()
      lock.unlock()
      if closeHere {
        close(pipe.read)
        close(pipe.write)
      } else {
        wake()
      }
    }

    /// Waits for the pipe to become readable, runs the handlers, then waits for ``reset()``
    /// before watching again; ends (closing the pipe) once retired.
    private func watch() {
      while true {
        var waiting = pollfd(fd: pipe.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&waiting, 1, -1)
        lock.lock()
        if retired {
          lock.unlock()
          close(pipe.read)
          close(pipe.write)
          return
        }
        let seen = generation
        var due: [@Sendable () -> Void] = []
        if isSet {
          due = Array(handlers.values)
          handlers = [:]
        } else {
          // A byte left from before a reset: drop it, and watch again.
          var buffer = [UInt8](repeating: 0, count: 64)
          while read(pipe.read, &buffer, buffer.count) > 0 {}
        }
        lock.unlock()
        for handler in due { handler() }
        lock.lock()
        while generation == seen && isSet && !retired { lock.wait() }
        lock.unlock()
      }
    }
  }
}
