import Foundation
public import ShellCore
import Synchronization

/// Long results through a pager, as git shows them: what a statement prints on a terminal is held
/// until it is more than a screen, then handed, with the rest, to `$PAGER` (by default
/// `less -R`, with `LESS=FRX` unless `LESS` says otherwise: it quits at once on a short text and
/// leaves it on the screen). Output held for a moment (``patience``) without filling the screen,
/// or followed by progress or a message on standard error, goes out as it is and the rest of the
/// statement streams, unpaged: results a slow run prints one by one show as they finish.
final class Pager: Sendable {
  /// The command run with `sh -c`.
  let command: String
  /// Lines that fit on the screen (with the prompt).
  let limit: Int
  /// How long output is held before it is shown without a pager.
  static let patience = 0.3

  private struct State {
    var held: [UInt8] = []
    var lines = 0
    /// Held output has been let out: the rest of the statement streams, unpaged.
    var streaming = false
    var process: pid_t?
    var input: FileHandle?
    /// Whether the pager went away before reading everything (q in `less`).
    var closed = false
    var timerArmed = false
  }
  private let state = Mutex(State())

  init(command: String, rows: Int) {
    self.command = command
    self.limit = max(1, rows - 2)
  }

  /// The screen's rows, when standard output is a terminal.
  static func terminalRows() -> Int? {
    guard isatty(1) == 1 else { return nil }
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
    return Int(size.ws_row)
  }

  /// Takes what the statement printed.
  func write(_ bytes: [UInt8]) {
    let armTimer = state.withLock { state -> Bool in
      guard !state.closed else { return false }
      if let input = state.input {
        do { try input.write(contentsOf: bytes) } catch { state.closed = true }
        return false
      }
      if state.streaming {
        FileHandle.standardOutput.write(Data(bytes))
        return false
      }
      state.lines += bytes.lazy.filter { $0 == 0x0A }.count
      if state.lines > limit {
        start(&state, with: bytes)
        return false
      }
      state.held += bytes
      defer { state.timerArmed = true }
      return !state.timerArmed
    }
    if armTimer {
      DispatchQueue.global().asyncAfter(deadline: .now() + Self.patience) { [self] in
        state.withLock { state in
          guard state.input == nil, !state.streaming else { return }
          state.streaming = true
          FileHandle.standardOutput.write(Data(state.held))
          state.held = []
        }
      }
    }
  }

  /// Takes what the statement wrote to standard error (see ``StandardError``), so that it shows
  /// in order with the results: once the pager runs, lasting lines go to it (as git sends its
  /// messages) and progress is dropped; before, held results are let out first and the rest of
  /// the statement streams (a statement that reports progress or says something is one to
  /// watch, not to page). True when the text was taken care of.
  func standardError(_ text: String, _ kind: StandardError.Kind) -> Bool {
    state.withLock { state in
      if let input = state.input, !state.closed {
        guard kind == .lasting else { return true }
        do { try input.write(contentsOf: Data(text.utf8)) } catch { state.closed = true }
        return true
      }
      if state.closed { return kind == .transient }
      if !state.streaming {
        state.streaming = true
        if !state.held.isEmpty { FileHandle.standardOutput.write(Data(state.held)) }
        state.held = []
      }
      return false
    }
  }

  /// The statement is done: what was held goes out, and the pager (if one started) is waited for.
  func finish() {
    let process = state.withLock { state -> pid_t? in
      defer { state = State(streaming: true) }
      if let process = state.process {
        try? state.input?.close()
        return process
      }
      if !state.held.isEmpty { FileHandle.standardOutput.write(Data(state.held)) }
      return nil
    }
    if let process {
      var status: Int32 = 0
      while waitpid(process, &status, 0) == -1 && errno == EINTR {}
    }
  }

  private func start(_ state: inout State, with bytes: [UInt8]) {
    let pending = state.held + bytes
    state.held = []
    // The pager runs in nwsh's own process group, as git's does, so that it may use the terminal
    // (a child in a group of its own would be stopped the moment it touched it).
    var environment = ProcessInfo.processInfo.environment
    if environment["LESS"] == nil { environment["LESS"] = "FRX" }
    guard let (process, input) = Self.spawn(["/bin/sh", "-c", command], environment: environment) else {
      // No pager to be had: print as if there were none.
      FileHandle.standardOutput.write(Data(pending))
      state.input = FileHandle.standardOutput
      return
    }
    state.process = process
    state.input = input
    do { try input.write(contentsOf: pending) } catch { state.closed = true }
  }

  /// Starts `arguments` with its standard input a new pipe: the process and the pipe's end to
  /// write to, or nil.
  private static func spawn(_ arguments: [String], environment: [String: String]) -> (pid_t, FileHandle)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
    close(fds[0])
    guard result == 0 else {
      close(fds[1])
      return nil
    }
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return (pid, FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
  }
}

extension REPL {
  /// The `pager` setting: long results on a terminal go through `$PAGER` (`set pager off` stops).
  static let pagerSetting = Setting.toggle(
    "pager", summary: "show results longer than the screen through $PAGER (default less -R) in the shell",
    default: true)
}
