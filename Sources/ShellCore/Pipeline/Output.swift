import Foundation
public import JQ

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where results go: a file descriptor written in large blocks, or a closure (tests, embedders).
///
/// A write that fails (a full disk, an I/O error, a reader that closed the pipe) is not
/// ignored: the sink keeps the first failure (``failure``), writes nothing more, and the
/// session stops the program at the next row or checkpoint.
/// Sendable because its buffer and failure are guarded by a lock (a second Ctrl-C flushes from
/// another thread); its style is set before a run and only read during it.
public final class OutputSink: @unchecked Sendable {
  // Threading: `writer` and `failed` are guarded by `lock` (another thread may flush: a second
  // Ctrl-C); `style` and `flushesEachValue` are set before a run and only read during it.
  private var writer = JSONWriter(capacity: 1 << 17)
  private let lock = NSLock()
  private var write: ([UInt8]) -> OutputFailure?
  private var failed: OutputFailure?
  /// How results are laid out.
  public var style: Style
  /// Write each value out as soon as it is complete (a person is watching: a terminal), rather
  /// than in large blocks.
  public var flushesEachValue = false

  /// Compact lines (pipes), or indented and colored (a terminal); strings raw or quoted.
  public struct Style: Sendable {
    /// Spaces per indent level; 0 for one line per value.
    public var indent: Int
    /// ANSI colors.
    public var color: Bool
    /// Strings written as their text, not as JSON (jq's `-r`).
    public var raw = false
    /// What follows each value: a newline, or nothing (jq's `-j`).
    public var newline = true
    /// A NUL after each value instead (jq's `--raw-output0`).
    public var nulAfterEach = false
    /// An ASCII record separator before each value (jq's `--seq`, RFC 7464).
    public var recordSeparator = false
    /// Object keys sorted (jq's `-S`).
    public var sortKeys = false
    /// A tab per indent level (jq's `--tab`).
    public var tabs = false
    /// Everything outside ASCII escaped (jq's `-a`).
    public var asciiOnly = false
    /// Compact lines, no color.
    public static let lines = Style(indent: 0, color: false)
    /// Creates a style.
    public init(indent: Int, color: Bool, raw: Bool = false, newline: Bool = true) {
      self.indent = indent
      self.color = color
      self.raw = raw
      self.newline = newline
    }
  }

  /// Writes to a file descriptor (1 for stdout).
  public init(fileDescriptor: Int32, style: Style = .lines) {
    self.style = style
    self.write = { bytes in OutputFailure.writeAll(bytes, to: fileDescriptor) }
  }

  /// Hands each block of bytes to `body`.
  public init(style: Style = .lines, _ body: @escaping ([UInt8]) -> Void) {
    self.style = style
    self.write = { bytes in
      body(bytes)
      return nil
    }
  }

  /// Hands each block of bytes to `body`, which says how writing it failed, if it did (the
  /// reader went away: `EPIPE`); nothing is written after a failure.
  public static func failing(style: Style = .lines, _ body: @escaping ([UInt8]) -> OutputFailure?) -> OutputSink {
    let sink = OutputSink(style: style) { _ in }
    sink.write = body
    return sink
  }

  /// The first write that failed, if one did (nothing is written after it).
  public var failure: OutputFailure? {
    lock.lock()
    defer { lock.unlock() }
    return failed
  }

  /// Appends one value and a newline.
  public func emit(_ value: Value) {
    emit(value, raw: style.raw)
  }

  /// Whether the last value written was neither `false` nor `null`; nil before the first (jq's
  /// `-e` reads it).
  public var lastWasTruthy: Bool? {
    lock.lock()
    defer { lock.unlock() }
    return lastTruthy
  }
  private var lastTruthy: Bool?

  /// Appends one value, a string as its bare text when `raw` (`emit --raw`, jq's `-r`).
  public func emit(_ value: Value, raw: Bool) {
    lock.lock()
    defer { lock.unlock() }
    switch value {
    case .null, .bool(false): lastTruthy = false
    default: lastTruthy = true
    }
    if style.recordSeparator { writer.appendByte(0x1E) }
    if raw, case .string(let text) = value {
      writer.bytes += text.utf8
    } else {
      writer.indent = style.indent
      writer.color = style.color
      writer.sortKeys = style.sortKeys
      writer.tabs = style.tabs
      writer.asciiOnly = style.asciiOnly
      writer.write(value)
    }
    if style.nulAfterEach {
      writer.appendByte(0)
    } else if style.newline {
      writer.appendByte(0x0A)
    }
    if flushesEachValue || writer.bytes.count >= 1 << 16 { flushLocked() }
  }

  /// Appends raw text (no newline added).
  public func emitText(_ text: String) {
    lock.lock()
    defer { lock.unlock() }
    writer.bytes += text.utf8
    if writer.bytes.count >= 1 << 16 { flushLocked() }
  }

  /// Writes out what is buffered; safe to call from any thread.
  public func flush() {
    lock.lock()
    defer { lock.unlock() }
    flushLocked()
  }

  private func flushLocked() {
    guard !writer.bytes.isEmpty else { return }
    if failed == nil { failed = write(writer.bytes) }
    writer.bytes.removeAll(keepingCapacity: true)
  }
}

/// A write to an output that failed: its `errno`.
public struct OutputFailure: Error, Sendable, Equatable, CustomStringConvertible {
  /// The system's error number.
  public var code: Int32

  /// A failure with the system's error number `code`.
  public init(code: Int32) { self.code = code }

  /// Whether the reader went away (`EPIPE`: `nwsh … | head` once `head` has enough): the
  /// output is no longer wanted, which is not an error to report.
  public var readerClosed: Bool { code == EPIPE }

  /// `No space left on device`, …
  public var description: String { String(cString: strerror(code)) }

  /// Writes all of `bytes` to `descriptor` (again after EINTR); the failure, if any.
  public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> OutputFailure? {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
      if written < 0 {
        if errno == EINTR { continue }
        return OutputFailure(code: errno)
      }
      offset += written
    }
    return nil
  }
}
