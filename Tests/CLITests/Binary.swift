import Foundation
import TestSupport

/// Runs the built `nwsh` binary, as a user would, and captures what it prints.
enum Binary {
  /// `$NWSH_BINARY`, or the `nwsh` the same build made: it sits beside the test bundle running
  /// (`.build/<triple>/<debug|release>/`), so `swift test -c release` tests the release binary.
  static var path: String {
    if let given = ProcessInfo.processInfo.environment["NWSH_BINARY"] { return given }
    let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return runner.deletingLastPathComponent().appendingPathComponent("nwsh").path
  }

  typealias Output = Captured

  /// Runs `executable` (nwsh unless given) with `arguments` and `stdin`, waiting for it to exit.
  static func run(
    _ arguments: [String], executable: String = Binary.path, stdin: String = "", environment: [String: String] = [:]
  ) throws -> Output {
    try runProcess(executable, arguments, stdin: stdin, environment: environment)
  }
}

/// A running `nwsh sandbox`, stopped with SIGTERM when done.
final class SandboxProcess {
  let process = Process()
  let url: String
  let key: String
  private let quiet = Pipe()

  /// A state directory of its own, unless the test gives one (the sandbox keeps its
  /// community there).
  let state = temporaryDirectory("sandbox")

  init(_ extra: [String] = [], environment: [String: String] = [:]) throws {
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["sandbox"] + extra
    process.environment = ProcessInfo.processInfo.environment.merging(["XDG_STATE_HOME": state]) { $1 }
      .merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    // Not FileHandle.nullDevice: Process closes the descriptors it is given, and closing that
    // shared one can close whatever socket has since reused its number.
    process.standardError = quiet
    try process.run()
    var line = Data()
    while true {
      let byte = output.fileHandleForReading.readData(ofLength: 1)
      if byte.isEmpty || byte == Data([0x0A]) { break }
      line += byte
    }
    let object = try JSONSerialization.jsonObject(with: line) as! [String: String]
    url = object["url"]!
    key = object["apiKey"]!
  }

  func stop() -> Int32 {
    process.terminate()
    process.waitUntilExit()
    try? FileManager.default.removeItem(atPath: state)
    return process.terminationStatus
  }
}
