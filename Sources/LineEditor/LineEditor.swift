import CLibEdit
public import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An interactive line reader over libedit: prompt, emacs key bindings, history with up/down
/// and Ctrl-R, and a TAB completion hook. Owns the `EditLine` and `History` handles.
///
/// Use it only when standard input is a terminal; for pipes read plainly.
public final class LineEditor {
  /// What one read gave.
  public enum Input: Equatable, Sendable {
    /// A line, without its newline.
    case line(String)
    /// Ctrl-C at the prompt: the line was cancelled.
    case interrupted
    /// Ctrl-D on an empty line, or the end of input.
    case endOfInput
  }

  /// What TAB should do.
  public enum Completion: Equatable, Sendable {
    /// Nothing matches (beep).
    case none
    /// Insert this text at the cursor.
    case insert(String)
    /// Several match: insert their common part (may be empty) and list them.
    case choices(insert: String, candidates: [String])
  }

  private let editLine: OpaquePointer
  private let history: OpaquePointer
  private var promptStorage: UnsafeMutablePointer<CChar>
  private var cancelled = false
  /// Every line remembered, oldest first (what the reverse search looks through).
  private var entries: [String] = []
  /// Called on TAB with the text before the cursor.
  public var complete: ((String) -> Completion)?
  /// A descriptor that becomes readable when the line must be cancelled (an interrupt), waited
  /// on together with the keyboard.
  public var interruptDescriptor: Int32 = -1
  /// Checked while waiting for a key: true cancels the line (a SIGINT may be delivered to any
  /// thread, so the read is not reliably interrupted; the handler sets a flag instead).
  public var isInterrupted: () -> Bool = { false }

  /// Sets up libedit for `program` (the name `~/.editrc` entries use), with `historySize`
  /// remembered lines, consecutive duplicates collapsed.
  public init(program: String, historySize: Int = 1000) {
    nwsh_set_locale()  // without it libedit silently drops non-ASCII input
    editLine = nwsh_el_init(program)
    history = nwsh_history_init()
    promptStorage = strdup("> ")
    nwsh_history_set_size(history, Int32(historySize))
    nwsh_history_set_unique(history, 1)
    nwsh_el_set_editor(editLine, "emacs")
    nwsh_el_set_history(editLine, history)
    nwsh_el_set_client_data(editLine, Unmanaged.passUnretained(self).toOpaque())
    nwsh_el_set_prompt(editLine) { editLine in
      guard let editLine, let data = nwsh_el_get_client_data(editLine) else { return nil }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().promptStorage
    }
    nwsh_el_add_function(editLine, "nwsh-complete", "complete the word before the cursor") { editLine, _ in
      guard let editLine, let data = nwsh_el_get_client_data(editLine) else { return UInt8(CC_ERROR) }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().handleTab()
    }
    nwsh_el_bind(editLine, "^I", "nwsh-complete")
    // Our own character reader, so Ctrl-C (a SIGINT that interrupts the read, or the ^C byte
    // itself) ends el_gets at once; libedit's own retries an interrupted read.
    nwsh_el_set_read_char(editLine) { editLine, out in
      guard let editLine, let out, let data = nwsh_el_get_client_data(editLine) else { return -1 }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().readCharacter(into: out)
    }
    nwsh_el_add_function(editLine, "nwsh-search", "search the history backwards as you type") { editLine, _ in
      guard let editLine, let data = nwsh_el_get_client_data(editLine) else { return UInt8(CC_ERROR) }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().reverseSearch()
    }
    nwsh_el_bind(editLine, "^R", "nwsh-search")
    nwsh_el_source_editrc(editLine)
  }

  deinit {
    el_end(editLine)
    history_end(history)
    free(promptStorage)
  }

  /// The prompt shown before the next line.
  public var prompt: String {
    get { String(cString: promptStorage) }
    set {
      free(promptStorage)
      promptStorage = strdup(newValue)
    }
  }

  /// Reads one line with editing.
  public func readLine() -> Input {
    var count: Int32 = 0
    errno = 0
    cancelled = false
    let read = el_gets(editLine, &count)
    if cancelled { return .interrupted }
    guard let line = read else {
      if count < 0 || errno == EINTR {
        el_reset(editLine)
        return .interrupted
      }
      return .endOfInput
    }
    // el_gets hands back its own buffer, newline included: copy before the next call.
    var text = String(cString: line)
    if text.hasSuffix("\n") { text.removeLast() }
    return .line(text)
  }

  /// Adds `entry` to the in-memory history (up arrow, Ctrl-R).
  public func remember(_ entry: String) {
    nwsh_history_enter(history, entry)
    if entries.last != entry { entries.append(entry) }
  }

  /// The text of the line being edited.
  private var currentLine: String {
    guard let info = el_line(editLine) else { return "" }
    let start = UnsafeRawPointer(info.pointee.buffer).assumingMemoryBound(to: UInt8.self)
    return String(
      decoding: UnsafeBufferPointer(start: start, count: info.pointee.lastchar - info.pointee.buffer), as: UTF8.self)
  }

  /// Replaces the line being edited with `text`, the cursor at its end.
  private func replaceLine(with text: String) {
    guard let info = el_line(editLine) else { return }
    _ = el_cursor(editLine, Int32(info.pointee.lastchar - info.pointee.cursor))
    el_deletestr(editLine, Int32(currentLine.unicodeScalars.count))
    el_insertstr(editLine, text)
  }

  /// Ctrl-R: search the history backwards as you type, as bash and readline do, with their
  /// prompt — `(reverse-i-search)'TEXT': MATCH`. Ctrl-R again looks further back, Backspace takes
  /// a character off, Enter runs the match, Ctrl-G or Escape puts the line back as it was, and
  /// any other key keeps the match for editing.
  private func reverseSearch() -> UInt8 {
    let original = currentLine
    let savedPrompt = prompt
    var query = ""
    var position = entries.count
    var found = original
    func show(failing: Bool = false) {
      prompt = "(\(failing ? "failing " : "")reverse-i-search)'\(query)': "
      replaceLine(with: found)
      nwsh_el_refresh(editLine)
    }
    func search(from start: Int) -> Bool {
      guard !query.isEmpty else { return true }
      var index = min(start, entries.count) - 1
      while index >= 0 {
        if entries[index].contains(query) {
          position = index
          found = entries[index]
          return true
        }
        index -= 1
      }
      return false
    }
    show()
    while true {
      var character: wchar_t = 0
      guard el_wgetc(editLine, &character) == 1, !cancelled else {
        prompt = savedPrompt
        replaceLine(with: original)
        return UInt8(CC_REDISPLAY)
      }
      switch character {
      case 0x12:  // Ctrl-R: further back
        show(failing: !search(from: position))
      case 0x7F, 0x08:  // Backspace
        if !query.isEmpty { query.removeLast() }
        position = entries.count
        show(failing: !search(from: position))
      case 0x0D, 0x0A:  // Enter: run the match
        prompt = savedPrompt
        return UInt8(CC_NEWLINE)
      case 0x07, 0x1B:  // Ctrl-G, Escape: as it was
        prompt = savedPrompt
        replaceLine(with: original)
        return UInt8(CC_REDISPLAY)
      case let key where key < 0x20:  // any other control key: keep the match, edit it
        prompt = savedPrompt
        return UInt8(CC_REDISPLAY)
      default:
        query.unicodeScalars.append(Unicode.Scalar(UInt32(character)) ?? " ")
        show(failing: !search(from: position + 1))
      }
    }
  }

  /// Reads one UTF-8 encoded character from standard input.
  private func readCharacter(into out: UnsafeMutablePointer<wchar_t>) -> Int32 {
    func byte() -> Int32? {
      var waiting = [
        pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
        pollfd(fd: interruptDescriptor, events: Int16(POLLIN), revents: 0),
      ]
      while !isInterrupted() && poll(&waiting, 2, -1) <= 0 {}
      if isInterrupted() { return -1 }
      var value: UInt8 = 0
      let got = Glibc.read(0, &value, 1)
      if got == 1 { return Int32(value) }
      return got == 0 ? nil : -1
    }
    guard let first = byte() else { return 0 }
    if first < 0 || first == 0x03 {
      cancelled = true
      return -1
    }
    let extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
    var scalar = extra == 0 ? first : first & (0x3F >> extra)
    for _ in 0..<extra {
      guard let next = byte(), next >= 0 else {
        cancelled = true
        return -1
      }
      scalar = scalar << 6 | (next & 0x3F)
    }
    out.pointee = wchar_t(scalar)
    return 1
  }

  private func handleTab() -> UInt8 {
    guard let complete, let info = el_line(editLine) else { return UInt8(CC_ERROR) }
    let length = info.pointee.cursor - info.pointee.buffer
    let before = String(
      decoding: UnsafeBufferPointer(
        start: UnsafeRawPointer(info.pointee.buffer).assumingMemoryBound(to: UInt8.self), count: length),
      as: UTF8.self)
    switch complete(before) {
    case .none:
      return UInt8(CC_REFRESH_BEEP)
    case .insert(let text):
      el_insertstr(editLine, text)
      return UInt8(CC_REFRESH)
    case .choices(let insert, let candidates):
      if !insert.isEmpty {
        el_insertstr(editLine, insert)
        return UInt8(CC_REFRESH)
      }
      var listing = "\n"
      let width = (candidates.map(\.count).max() ?? 0) + 2
      let perLine = max(1, 80 / max(width, 1))
      for (index, candidate) in candidates.enumerated() {
        listing += candidate + String(repeating: " ", count: max(0, width - candidate.count))
        if (index + 1) % perLine == 0 || index == candidates.count - 1 { listing += "\n" }
      }
      fputs(listing, nwsh_stdout())
      fflush(nwsh_stdout())
      return UInt8(CC_REDISPLAY)
    }
  }
}

/// Routes SIGINT and SIGTERM to the session's interruption instead of killing the process: the
/// prompt cancels its line, a running pipeline stops at the next row, and every wait wakes.
/// Installed without SA_RESTART so a blocking read returns.
public enum InterruptRouting {
  /// Sends SIGINT and SIGTERM to `flag` (an atomic store of 1) and a byte to `descriptor`.
  public static func install(flag: UnsafeMutablePointer<Atomic<Int32>>, descriptor: Int32) {
    _ = nwsh_route_interrupts(UnsafeMutableRawPointer(flag).assumingMemoryBound(to: Int32.self), descriptor)
  }
}
