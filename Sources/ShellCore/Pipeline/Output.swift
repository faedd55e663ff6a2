import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where results go: a file descriptor written in large blocks, or a closure (tests, embedders).
///
/// The buffer is behind a lock so that another thread (a second Ctrl-C) can flush it safely.
public final class OutputSink: @unchecked Sendable {
  private var writer = JSONWriter(capacity: 1 << 17)
  private let lock = NSLock()
  private let write: ([UInt8]) -> Void
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
    self.write = { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }

  /// Hands each block of bytes to `body`.
  public init(style: Style = .lines, _ body: @escaping ([UInt8]) -> Void) {
    self.style = style
    self.write = body
  }

  /// Appends one value and a newline.
  public func emit(_ value: Value) {
    emit(value, raw: style.raw)
  }

  /// Appends one value, a string as its bare text when `raw` (`emit --raw`, jq's `-r`).
  public func emit(_ value: Value, raw: Bool) {
    lock.lock()
    defer { lock.unlock() }
    if raw, case .string(let text) = value {
      writer.bytes += text.utf8
    } else {
      writer.indent = style.indent
      writer.color = style.color
      writer.write(value)
    }
    if style.newline { writer.appendByte(0x0A) }
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
    write(writer.bytes)
    writer.bytes.removeAll(keepingCapacity: true)
  }
}
