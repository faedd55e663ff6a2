import Foundation
import JQ

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
/// thread ends when the input does, or when the run ends: it waits for a pipe or a terminal
/// together with the cursor's own stop signal, so closing the cursor ends it at once and it
/// reads nothing more (in the shell, the next line typed is the shell's). Only a source an
/// embedder made without a descriptor to wait on is left to end with the process.
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

  /// Set by ``close()``: a read waiting on a pipe or a terminal gives up.
  private let stop = Interruption()
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
        throw JQError(Self.describe(report), at: nil)
      }
    }
    if let failure { throw failure }
    return nil
  }

  /// A malformed value's report as one message: where, what, and the reader's hint.
  static func describe(_ report: ResultRecord) -> String {
    let error = report["error"]
    var place = report["source"]?.stringValue ?? "<stdin>"
    if let line = error?["line"]?.doubleValue ?? report["line"]?.doubleValue {
      place += ":\(Int(line))"
      if let column = error?["column"]?.doubleValue { place += ":\(Int(column))" }
    }
    var text = "malformed input at \(place): " + (error?["message"]?.stringValue ?? "not a JSON value")
    if let hint = error?["hint"]?.stringValue { text += "; \(hint)" }
    return text
  }

  /// Stops reading: the thread ends at its next value, or at once if it is waiting on a pipe or
  /// a terminal (only a source without a descriptor to wait on is left to end with the process).
  func close() {
    stop.set()
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
    let (sources, mode, limits, stop) = (UncheckedSendable(self.sources), self.mode, self.limits, self.stop)
    thread = startThread {
      do {
        // -s gathers the values of every source into one; --stream turns each into its events.
        let shaper = InputShaper(mode)
        for (name, make) in sources.body {
          let source = StoppableSource(base: try make(), stop: stop)
          cursor.noteBlocking(!source.neverBlocks && source.base.waitDescriptor == nil)
          // As jq's input: a top-level array is one value.
          try ReaderSource.reading(
            source, name: name, format: .jsonl, limits: limits, demand: .all, mode: mode, unpacksSingleArray: false
          ).body { item in try shaper.pass(item, to: cursor.put) }
        }
        try shaper.finish(source: "<stdin>", to: cursor.put)
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

/// A source whose reads of a pipe or a terminal wait on its descriptor and on `stop` together:
/// once `stop` is set, the input ends (nothing more is read).
private struct StoppableSource: ByteSource {
  var base: any ByteSource
  let stop: Interruption

  var neverBlocks: Bool { base.neverBlocks }

  mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int {
    if let descriptor = base.waitDescriptor, !base.neverBlocks, !waitUntilReadable(descriptor, or: stop) { return 0 }
    if stop.isSet { return 0 }
    return try base.read(into: &buffer, count: count)
  }
}
