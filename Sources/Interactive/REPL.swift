import Foundation
import JQ
public import LineEditor
public import ShellCore

/// Where the REPL reads lines: libedit on a terminal, plain reads otherwise (`TERM=dumb`).
public protocol LineReading: AnyObject {
  /// Shown before each line (ignored by plain readers).
  var prompt: String { get set }
  /// Reads one line.
  func readLine() -> LineEditor.Input
  /// Adds an entry to the in-memory history.
  func remember(_ entry: String)
}

extension LineEditor: LineReading {}

/// Reads lines from standard input without editing or prompt.
public final class PlainLineReader: LineReading {
  public var prompt = ""
  /// A reader of fd 0.
  public init() {}
  public func readLine() -> LineEditor.Input {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      let got = Glibc.read(0, &byte, 1)
      if got < 0 && errno == EINTR { return .interrupted }
      if got <= 0 { return bytes.isEmpty ? .endOfInput : .line(String(decoding: bytes, as: UTF8.self)) }
      if byte == 0x0A { return .line(String(decoding: bytes, as: UTF8.self)) }
      bytes.append(byte)
    }
  }
  public func remember(_ entry: String) {}
}

/// The interactive loop: prompt, continuation lines, history, `login`, Ctrl-C and Ctrl-D.
public final class REPL {
  /// The session statements run in.
  public let session: Session
  private let reader: any LineReading
  private let history: HistoryStore?
  /// Shown in the prompt: `sandbox` or the API's host.
  public var label: String
  /// The key in use, so history never records a line containing it.
  public var currentKey: () -> String?
  /// Handles `login [PROFILE]` typed at the prompt (reads the key itself; never recorded).
  public var login: ((_ profile: String?) -> Void)?
  /// The pager for results longer than the screen (`$PAGER`, else `less -R`); nil: none
  /// (`--no-pager`, or standard output not a terminal).
  public var pagerCommand: String?
  private let write: (String) -> Void

  /// A REPL over `session` reading from `reader`; `history` nil keeps no file.
  public init(
    session: Session, reader: any LineReading, history: HistoryStore?, label: String,
    currentKey: @escaping () -> String? = { nil }, write: ((String) -> Void)? = nil
  ) {
    self.session = session
    self.reader = reader
    self.history = history
    self.label = label
    self.currentKey = currentKey
    self.write = write ?? { FileHandle.standardError.write(Data($0.utf8)) }
    if let history {
      for entry in history.load() { reader.remember(Self.recallForm(entry)) }
    }
    session.define(Self.pagerSetting)
  }

  /// The prompt for a new statement.
  public var prompt: String { "nwsh \(label)> " }
  /// The prompt while a statement goes on (trailing `|`, open bracket or string).
  public var continuationPrompt: String { String(repeating: " ", count: max(0, label.count + 3)) + "…> " }

  /// Runs until Ctrl-D (or `exit`); returns the status of the last statement (0 on Ctrl-D).
  @discardableResult
  public func run() -> ExitStatus {
    InterruptRouting.install(flag: session.interruption.signalFlag, descriptor: session.interruption.wakeDescriptor)
    if let editor = reader as? LineEditor {
      let interruption = session.interruption
      editor.isInterrupted = { interruption.isSet }
      editor.interruptDescriptor = interruption.readableDescriptor
    }
    var pending = ""
    while true {
      session.interruption.reset()
      reader.prompt = pending.isEmpty ? prompt : continuationPrompt
      switch reader.readLine() {
      case .endOfInput:
        if pending.isEmpty {
          write("\n")
          return .success
        }
        pending = ""
      case .interrupted:
        pending = ""
        write("^C\n")
      case .line(let line):
        pending += pending.isEmpty ? line : "\n" + line
        if JQLanguage.needsMoreInput(pending) { continue }
        let entry = pending
        pending = ""
        if entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
        record(entry)
        let words = entry.split(whereSeparator: \.isWhitespace)
        if words.first == "exit" || words.first == "quit", words.count == 1 { return .success }
        if words.first == "login", let login {
          login(words.count > 1 ? String(words[1]) : nil)
          continue
        }
        let status = runPaged(entry)
        if status == .interrupted {
          write("nwsh: interrupted; the results above are for the rows finished before it\n")
        }
      }
    }
  }

  /// Runs `entry`, its results through the pager when they are longer than the screen.
  private func runPaged(_ entry: String) -> ExitStatus {
    guard let pagerCommand, session.value(of: Self.pagerSetting), let rows = Pager.terminalRows() else {
      return session.run(entry, name: "<repl>")
    }
    let pager = Pager(command: pagerCommand, rows: rows, environment: session.environment.variables)
    let terminal = session.output
    session.output = OutputSink.failing(style: terminal.style) { pager.write($0) }
    session.output.flushesEachValue = true
    StandardError.divert { pager.standardError($0, $1) }
    defer {
      session.output.flush()
      StandardError.restore()
      pager.finish()
      session.output = terminal
    }
    return session.run(entry, name: "<repl>")
  }

  private func record(_ entry: String) {
    guard HistoryStore.shouldRecord(entry, key: currentKey()) else { return }
    reader.remember(Self.recallForm(entry))
    history?.append(entry)
  }

  /// How a multi-line entry comes back with the up arrow: on one line, when that means the same.
  static func recallForm(_ entry: String) -> String {
    entry.contains("#") ? entry : entry.replacingOccurrences(of: "\n", with: " ")
  }
}
