import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The values `input` and `inputs` read, one at a time, from what `read` would read (standard
/// input, or the files given on the command line), the way `read` reads it (`-R`, `-s`).
///
/// A push reader cannot be paused, so it runs on a thread of its own and hands values over
/// through a small bounded queue: a value is parsed only shortly before it is asked for. The
/// thread ends when the input does, or when the run ends (a source that never blocks is
/// abandoned at once; one that may block, a pipe or a terminal, is left to end with the
/// process, never waited for).
/// Sendable because every field below `condition` is read and written only with it locked.
final class InputCursor: @unchecked Sendable {
  private let condition = NSCondition()
  // Guarded by `condition`.
  private var queue: [Item] = []
  private var head = 0
  private var finished = false
  private var cancelled = false
  private var failure: (any Error)?
  private var started = false
  private var thread: pthread_t?
  private var mayBlock = false

  private let sources: [(name: String, make: () throws -> any ByteSource)]
  private let mode: ReadInput
  private let limits: InputLimits
  /// How many values may wait.
  private static let capacity = 64

  /// A cursor over `sources`, read in turn.
  init(sources: [(name: String, make: () throws -> any ByteSource)], mode: ReadInput, limits: InputLimits) {
    self.sources = sources
    self.mode = mode
    self.limits = limits
  }

  /// The next value with where it came from; nil when the input has ended. A malformed value
  /// is an error, as in jq.
  func next() throws -> (value: Value, origin: Origin)? {
    condition.lock()
    defer { condition.unlock() }
    if !started {
      started = true
      startReading()
    }
    while head == queue.count && !finished { condition.wait() }
    if head < queue.count {
      let item = queue[head]
      head += 1
      if head > 256 {
        queue.removeFirst(head)
        head = 0
      }
      condition.broadcast()
      switch item {
      case .row(let row): return (row.value, row.origin)
      case .report(let report):
        let message = report["error"]?["message"]?.stringValue ?? "malformed input"
        throw JQError(message, at: nil)
      }
    }
    if let failure { throw failure }
    return nil
  }

  /// Stops reading: the thread ends at its next value (or with the process, if it is waiting
  /// on a pipe or a terminal).
  func close() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    let (thread, mayBlock) = (self.thread, self.mayBlock)
    self.thread = nil
    condition.unlock()
    guard let thread else { return }
    if mayBlock { pthread_detach(thread) } else { pthread_join(thread, nil) }
  }

  /// Called with `condition` locked.
  private func startReading() {
    let cursor = self
    // Made on this thread and used only by the reading thread from here on.
    let (sources, mode, limits) = (UncheckedSendable(self.sources), self.mode, self.limits)
    thread = startThread {
      do {
        // -s gathers the values of every source into one; --stream turns each into its events.
        var slurped: [Value] = []
        var first: Origin?
        let emit: (Item) throws -> Void = { item in
          guard case .row(let row) = item, mode.slurp || mode.stream else { return try cursor.put(item) }
          if mode.slurp {
            slurped.append(row.value)
            first = first ?? row.origin
          } else {
            for event in row.value.streamEvents() {
              try cursor.put(.row(Row(value: event, number: row.number, origin: row.origin)))
            }
          }
        }
        for (name, make) in sources.body {
          var source = try make()
          cursor.noteBlocking(!source.neverBlocks)
          if mode.raw {
            try RawLineReader(sourceName: name, slurp: mode.slurp).read(&source, emit)
          } else {
            var reader = JSONRowReader(sourceName: name, limits: limits)
            reader.unpacksSingleArray = false
            try reader.read(&source, emit)
          }
        }
        if mode.slurp {
          let value: Value = mode.raw ? .string(slurped.compactMap(\.stringValue).joined()) : .array(slurped)
          try cursor.put(.row(Row(value: value, number: 1, origin: first ?? Origin(source: "<stdin>", line: 1))))
        }
        cursor.finish(nil)
      } catch is StopInput {
        cursor.finish(nil)
      } catch {
        cursor.finish(error)
      }
    }
    if thread == nil {
      finished = true
      failure = JQError("could not start reading the input", at: nil)
    }
  }

  private func noteBlocking(_ blocks: Bool) {
    condition.lock()
    mayBlock = mayBlock || blocks
    condition.unlock()
  }

  private func put(_ item: Item) throws {
    condition.lock()
    defer { condition.unlock() }
    while queue.count - head >= Self.capacity && !cancelled { condition.wait() }
    if cancelled { throw StopInput() }
    queue.append(item)
    condition.broadcast()
  }

  private func finish(_ error: (any Error)?) {
    condition.lock()
    finished = true
    failure = error
    condition.broadcast()
    condition.unlock()
  }
}
