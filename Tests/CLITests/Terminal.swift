import Foundation
import PTYSupport
import TestSupport

/// The real `nwsh` binary on a pseudo-terminal, driven like a person at the keyboard.
final class Terminal {
  let pid: pid_t
  let master: Int32
  private(set) var screen = ""

  /// Starts `nwsh ARGS` on a new 100×30 terminal with `environment` (plus a plain TERM).
  init(_ arguments: [String], environment: [String: String]) throws {
    var env = ["TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "NO_COLOR": "1"]
    env.merge(environment) { $1 }
    let argv = ([Binary.path] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var master: Int32 = -1
    pid = nwsh_spawn_in_pty(Binary.path, argv, envp, &master, 30, 100)
    guard pid > 0 else { throw TerminalError("forkpty failed: \(errno)") }
    self.master = master
  }

  deinit {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    close(master)
  }

  /// Types `text` (use "\r" for Enter, "\u{3}" for Ctrl-C, "\u{4}" for Ctrl-D, "\t" for TAB).
  func type(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
  }

  /// Reads until `text` has appeared after `mark` (or throws after `timeout` seconds);
  /// returns everything shown since `mark`.
  @discardableResult
  func expect(_ text: String, after mark: String.Index? = nil, timeout: Double = 20) throws -> String {
    let deadline = Date().addingTimeInterval(timeout)
    let start = mark ?? screen.startIndex
    while true {
      if let range = screen.range(of: text, range: start..<screen.endIndex) {
        return String(screen[start..<range.upperBound])
      }
      let left = deadline.timeIntervalSinceNow
      guard left > 0 else {
        throw TerminalError(
          "timed out waiting for \(text.debugDescription); the screen since the mark:\n\(screen[start...])")
      }
      var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      if poll(&poller, 1, Int32(min(left, 0.5) * 1000)) > 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = read(master, &buffer, buffer.count)
        if got <= 0 { throw TerminalError("the terminal closed; the screen:\n\(screen)") }
        screen += String(decoding: buffer[0..<got], as: UTF8.self)
      }
    }
  }

  /// Reads until each of `parts` has appeared, in this order, after `mark`.
  @discardableResult
  func expect(inOrder parts: [String], after mark: String.Index, timeout: Double = 20) throws -> String {
    var start = mark
    var seen = ""
    for part in parts {
      let chunk = try expect(part, after: start, timeout: timeout)
      seen += chunk
      start = screen.index(start, offsetBy: chunk.count)
    }
    return seen
  }

  /// Waits until the line editor has the terminal (canonical mode off): keys typed before that
  /// are cooked by the terminal (a ^D there is an end-of-file nobody reads), as with any shell.
  func waitUntilEditing(timeout: Double = 20) throws {
    try waitForMode(timeout: timeout) { ($0.c_lflag & tcflag_t(ICANON)) == 0 }
  }

  /// Waits until the terminal stops echoing (a password prompt).
  func waitUntilEchoIsOff(timeout: Double = 20) throws {
    try waitForMode(timeout: timeout) { ($0.c_lflag & tcflag_t(ECHO)) == 0 }
  }

  private func waitForMode(timeout: Double, _ ready: (termios) -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      var mode = termios()
      if tcgetattr(master, &mode) == 0, ready(mode) { return }
      var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      if poll(&poller, 1, 10) > 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = read(master, &buffer, buffer.count)
        if got > 0 { screen += String(decoding: buffer[0..<got], as: UTF8.self) }
      }
    }
    throw TerminalError("the terminal never reached the expected mode; the screen:\n\(screen)")
  }

  /// Where the screen ends now (to expect only what comes after).
  var mark: String.Index { screen.endIndex }

  /// Waits for the process to exit and returns its status.
  func waitForExit(timeout: Double = 20) throws -> Int32 {
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while Date() < deadline {
      // Keep draining so the child never blocks on a full terminal.
      var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      if poll(&poller, 1, 50) > 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = read(master, &buffer, buffer.count)
        if got > 0 { screen += String(decoding: buffer[0..<got], as: UTF8.self) }
      }
      if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
    }
    throw TerminalError("nwsh did not exit; the screen:\n\(screen)")
  }
}

struct TerminalError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
