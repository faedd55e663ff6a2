import Foundation
import ShellCore
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
  /// The variables the pager runs with (`LESS=FRX` added when unset).
  let environment: [String: String]
  /// How long output is held before it is shown without a pager.
  static let patience = 0.3

  private struct State {
    var held: [UInt8] = []
    var lines = 0
    /// Held output has been let out: the rest of the statement streams, unpaged.
    var streaming = false
    var process: pid_t?
    var input: FileHandle?
    /// What went to the pager, while it is small: shown here if the pager could not run.
    var sent: [UInt8] = []
    var copying = true
    /// The pager went away (q in `less`): the statement's output is no longer wanted.
    var closed = false
    var timerArmed = false
  }
  private let state = Mutex(State())
  /// What the pager is given at most to keep a copy of.
  private static let copyLimit = 1 << 20

  init(command: String, rows: Int, environment: [String: String]) {
    self.command = command
    self.limit = max(1, rows - 2)
    self.environment = environment
  }

  /// The screen's rows, when standard output is a terminal.
  static func terminalRows() -> Int? {
    guard isatty(1) == 1 else { return nil }
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
    return Int(size.ws_row)
  }

  /// The pager a `$PAGER` value asks for: none when empty or `cat` (as git reads it).
  static func command(from variable: String?) -> String? {
    guard let variable else { return "less -R" }
    let trimmed = variable.trimmingCharacters(in: .whitespaces)
    return trimmed.isEmpty || trimmed == "cat" ? nil : trimmed
  }

  /// Takes what the statement printed; fails (`EPIPE`) once the pager has gone away, so that
  /// the statement ends quietly, as `nwsh … | head` does.
  func write(_ bytes: [UInt8]) -> OutputFailure? {
    var failure: OutputFailure?
    let armTimer = state.withLock { state -> Bool in
      if state.closed {
        failure = OutputFailure(code: EPIPE)
        return false
      }
      if state.input != nil {
        failure = toPager(&state, bytes)
        return false
      }
      if state.streaming {
        failure = OutputFailure.writeAll(bytes, to: 1)
        return false
      }
      state.lines += bytes.lazy.filter { $0 == 0x0A }.count
      if state.lines > limit {
        failure = start(&state, with: bytes)
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
          _ = OutputFailure.writeAll(state.held, to: 1)
          state.held = []
        }
      }
    }
    return failure
  }

  /// Takes what the statement wrote to standard error (see ``StandardError``), so that it shows
  /// in order with the results: once the pager runs, lasting lines go to it (as git sends its
  /// messages) and progress is dropped; before, held results are let out first and the rest of
  /// the statement streams (a statement that reports progress or says something is one to
  /// watch, not to page). True when the text was taken care of.
  func standardError(_ text: String, _ kind: StandardError.Kind) -> Bool {
    state.withLock { state in
      if state.input != nil {
        guard kind == .lasting else { return true }
        _ = toPager(&state, Array(text.utf8))
        return state.input != nil
      }
      if state.closed { return kind == .transient }
      if !state.streaming {
        state.streaming = true
        _ = OutputFailure.writeAll(state.held, to: 1)
        state.held = []
      }
      return false
    }
  }

  /// The statement is done: what was held goes out, and the pager (if one started) is waited for.
  func finish() {
    let (process, sent) = state.withLock { state -> (pid_t?, [UInt8]) in
      defer { state = State(streaming: true) }
      if let process = state.process {
        try? state.input?.close()
        state.input = nil
        return (process, state.sent)
      }
      if !state.held.isEmpty { _ = OutputFailure.writeAll(state.held, to: 1) }
      return (nil, [])
    }
    if let process {
      var status: Int32 = 0
      while waitpid(process, &status, 0) == -1 && errno == EINTR {}
      if Self.couldNotRun(status) {
        StandardError.write("nwsh: the pager (\(command)) could not run; showing the results here\n")
        _ = OutputFailure.writeAll(sent, to: 1)
      }
    }
  }

  /// Whether a pager's wait status says its command could not be run (the shell's 126 or 127).
  private static func couldNotRun(_ status: Int32) -> Bool {
    let exited = status & 0x7F == 0
    let code = (status >> 8) & 0xFF
    return exited && (code == 126 || code == 127)
  }

  /// Writes `bytes` to the running pager. When it has gone: if it could not run at all, what
  /// it was given is shown here and the rest streams; if it was quit, the output fails.
  private func toPager(_ state: inout State, _ bytes: [UInt8]) -> OutputFailure? {
    guard let input = state.input, let process = state.process else { return nil }
    do {
      try input.write(contentsOf: bytes)
      if state.copying, state.sent.count + bytes.count <= Self.copyLimit {
        state.sent += bytes
      } else {
        state.copying = false
        state.sent = []
      }
      return nil
    } catch {
      try? input.close()
      state.input = nil
      var status: Int32 = 0
      while waitpid(process, &status, 0) == -1 && errno == EINTR {}
      state.process = nil
      if Self.couldNotRun(status) {
        // Straight to the terminal: this runs under the pager's lock, and standard error is
        // routed through the pager (which would take the lock again) while it is set.
        _ = OutputFailure.writeAll(
          Array("nwsh: the pager (\(command)) could not run; showing the results here\n".utf8), to: 2)
        state.streaming = true
        _ = OutputFailure.writeAll(state.sent + bytes, to: 1)
        state.sent = []
        return nil
      }
      state.closed = true
      return OutputFailure(code: EPIPE)
    }
  }

  private func start(_ state: inout State, with bytes: [UInt8]) -> OutputFailure? {
    let pending = state.held + bytes
    state.held = []
    // The pager runs in nwsh's own process group, as git's does, so that it may use the terminal
    // (a child in a group of its own would be stopped the moment it touched it).
    var variables = environment
    if variables["LESS"] == nil { variables["LESS"] = "FRX" }
    guard let (process, input) = Self.spawn(["/bin/sh", "-c", command], environment: variables) else {
      // No pager to be had: print as if there were none.
      state.streaming = true
      return OutputFailure.writeAll(pending, to: 1)
    }
    state.process = process
    state.input = input
    return toPager(&state, pending)
  }

  /// Starts `arguments` with its standard input a new pipe and SIGPIPE back to its default
  /// (nwsh ignores it): the process and the pipe's end to write to, or nil.
  private static func spawn(_ arguments: [String], environment: [String: String]) -> (pid_t, FileHandle)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    // Neither end leaks into other children; the pager's copy of the read end is its stdin.
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    sigaddset(&defaults, SIGINT)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    posix_spawnattr_setsigmask(&attributes, &unblocked)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
    close(fds[0])
    guard result == 0 else {
      close(fds[1])
      return nil
    }
    return (pid, FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
  }
}

extension REPL {
  /// The pager `$PAGER` (`variable`) asks for: `less -R` when unset, none when empty or `cat`
  /// (as git reads it).
  public static func pagerCommand(from variable: String?) -> String? { Pager.command(from: variable) }

  /// The `pager` setting: long results on a terminal go through `$PAGER` (`set pager off` stops).
  static let pagerSetting = Setting.toggle(
    "pager", summary: "show results longer than the screen through $PAGER (default less -R) in the shell",
    default: true)
}
