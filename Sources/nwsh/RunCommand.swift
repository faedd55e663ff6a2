import ArgumentParser
import Dispatch
import Foundation
import ShellCore

/// `nwsh [-c PROGRAM | FILE [ARGS…]]`: runs a program (from -c, a file, or stdin).
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a program from -c, a script file, or standard input.",
    discussion: """
      nwsh -c 'read | where .consent == "yes" | map {email}' < export.jsonl
      nwsh onboard.nw attendees.csv        (also as a #!/usr/bin/env nwsh script; $ARGS holds the arguments)
      echo 'read | count' | nwsh            (a program on stdin when it is not a terminal)
      """)

  @Option(name: .customShort("c"), help: "Run PROGRAM (then standard input is data for read).")
  var program: String?

  @Flag(help: "Stop at the first invalid row (exit 65) instead of reporting it and going on.")
  var strict = false

  @Option(help: "Color results: auto, always or never (NO_COLOR also turns it off).")
  var color: ColorChoice = .auto

  @Argument(help: "A script file, then its arguments.")
  var script: String?

  @Argument(parsing: .captureForPassthrough, help: .hidden)
  var arguments: [String] = []

  enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

  func run() throws {
    let (text, name): (String, String)
    if let program {
      (text, name) = (program, "<command line>")
      if let script { throw ValidationError("give either -c PROGRAM or a script file, not both (got \(script))") }
    } else if let script {
      guard let contents = try? String(contentsOfFile: script, encoding: .utf8) else {
        throw ValidationError("cannot read script \(script)")
      }
      (text, name) = (Script.strippingShebang(contents), script)
    } else if isatty(0) == 0 {
      (text, name) = (String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self), "<stdin>")
    } else {
      throw ValidationError("the interactive shell is not built yet: use -c PROGRAM or a script file")
    }
    let session = Session(output: OutputSink(fileDescriptor: 1, style: outputStyle()))
    if strict { try session.set("strict", to: "on") }
    let positional = (script == nil ? [] : arguments).map(Value.string)
    session.bind("ARGS", to: .object(JSONObject([("positional", .array(positional)), ("named", .object(JSONObject()))])))
    if program == nil && script == nil {
      // The program came from stdin, so there is no data to read there.
      session.standardInput = { BytesSource([]) }
    }
    let status = withInterruptHandling(session) { session.run(text, name: name) }
    throw ExitCode(status.rawValue)
  }

  private func outputStyle() -> OutputSink.Style {
    let terminal = isatty(1) != 0
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
    switch color {
    case .always: return OutputSink.Style(indent: terminal ? 2 : 0, color: true)
    case .never: return OutputSink.Style(indent: terminal ? 2 : 0, color: false)
    case .auto: return terminal ? OutputSink.Style(indent: 2, color: !noColor) : .lines
    }
  }
}

/// Runs `body` with SIGINT/SIGTERM asking the session to stop; a second signal exits at once.
func withInterruptHandling<T>(_ session: Session, _ body: () -> T) -> T {
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let queue = DispatchQueue(label: "nwsh.signals")
  let count = SignalCount()
  let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
  for source in sources {
    source.setEventHandler {
      if count.increment() == 1 {
        session.interruption.set()
        FileHandle.standardError.write(Data("\nnwsh: interrupted; finishing the rows already read (again to quit now)\n".utf8))
      } else {
        session.output.flush()  // keep the results already computed
        exit(ExitStatus.interrupted.rawValue)
      }
    }
    source.resume()
  }
  defer { for source in sources { source.cancel() } }
  return body()
}

final class SignalCount: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func increment() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}
