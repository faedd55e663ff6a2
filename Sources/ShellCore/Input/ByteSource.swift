import Foundation
public import JQ

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Bytes to read rows from, a block at a time.
public protocol ByteSource {
  /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end).
  mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int
  /// Whether a read always returns promptly (a regular file, bytes in memory), so the source
  /// can be read ahead on another thread and abandoned at any point; false for terminals and
  /// pipes, which are read only on demand.
  var neverBlocks: Bool { get }
  /// A descriptor that is readable when a read would not block, so a reader can wait on it
  /// together with a signal to give up (nil when there is none to wait on).
  var waitDescriptor: Int32? { get }
}

extension ByteSource {
  /// Assume a read may block.
  public var neverBlocks: Bool { false }
  /// No descriptor to wait on.
  public var waitDescriptor: Int32? { nil }
}

/// Waits until `descriptor` has something to read (or its end) or `interruption` is set;
/// false when it was interrupted.
func waitUntilReadable(_ descriptor: Int32, or interruption: Interruption) -> Bool {
  var waiting = [
    pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
    pollfd(fd: interruption.readableDescriptor, events: Int16(POLLIN), revents: 0),
  ]
  while !interruption.isSet && poll(&waiting, 2, -1) < 0 && errno == EINTR {}
  return !interruption.isSet
}

/// Reads a file descriptor (stdin is 0).
public struct FileDescriptorSource: ByteSource {
  /// The descriptor.
  public let fileDescriptor: Int32
  private let interruption: Interruption?

  /// Reads `fileDescriptor`. While it waits for data, `interruption` (Ctrl-C) ends the input at
  /// once, even on a quiet pipe or terminal: it waits on both.
  public init(fileDescriptor: Int32, interruption: Interruption? = nil) {
    self.fileDescriptor = fileDescriptor
    self.interruption = interruption
    var status = stat()
    self.neverBlocks = fstat(fileDescriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
  }

  /// True for a regular file.
  public let neverBlocks: Bool

  /// The descriptor itself.
  public var waitDescriptor: Int32? { fileDescriptor }

  public mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int {
    if let interruption, !neverBlocks, !waitUntilReadable(fileDescriptor, or: interruption) { return 0 }
    var got = 0
    // Read into scratch space and append only what arrived (a copy, cheap even unoptimized).
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { scratch in
      while true {
        got = Glibc.read(fileDescriptor, scratch.baseAddress!, count)
        if got < 0 && errno == EINTR { continue }
        break
      }
      if got > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<got])) }
    }
    if got < 0 { throw InputError("read failed: \(String(cString: strerror(errno)))") }
    return got
  }
}

/// A file opened for reading: a ``FileDescriptorSource`` that keeps its file open as long as it
/// is used (and closes it after).
struct OpenedFileSource: ByteSource {
  private let handle: FileHandle
  private var descriptor: FileDescriptorSource

  /// `path` opened, or nil when it cannot be read.
  init?(path: String, interruption: Interruption?) {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    self.handle = handle
    self.descriptor = FileDescriptorSource(fileDescriptor: handle.fileDescriptor, interruption: interruption)
  }

  var neverBlocks: Bool { descriptor.neverBlocks }
  var waitDescriptor: Int32? { descriptor.waitDescriptor }

  mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int {
    try descriptor.read(into: &buffer, count: count)
  }
}

/// Reads from bytes in memory (tests, `-c` with a here-string, embedders).
public struct BytesSource: ByteSource {
  private let bytes: [UInt8]
  private var offset = 0
  /// Serves `bytes`.
  public init(_ bytes: [UInt8]) { self.bytes = bytes }
  /// Serves the UTF-8 of `text`.
  public init(_ text: String) { self.bytes = Array(text.utf8) }
  /// Memory never blocks.
  public var neverBlocks: Bool { true }

  public mutating func read(into buffer: inout [UInt8], count: Int) throws -> Int {
    let end = min(bytes.count, offset + count)
    buffer += bytes[offset..<end]
    defer { offset = end }
    return end - offset
  }
}

/// A failure reading input (not malformed data: that becomes a result row).
package struct InputError: Error, CustomStringConvertible, Sendable {
  /// What happened.
  package let description: String
  init(_ description: String) { self.description = description }
}

/// Limits that keep hostile input from exhausting memory or the stack.
package struct InputLimits: Sendable {
  /// Largest single JSON value or CSV record, in bytes.
  package var maxValueBytes = 64 << 20
  /// Deepest nesting of a JSON value.
  package var maxDepth = 10_000
  /// Creates the defaults.
  package init() {}
}
