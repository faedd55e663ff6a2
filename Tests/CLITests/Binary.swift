import Foundation

/// Runs the built `nwsh` binary, as a user would, and captures what it prints.
enum Binary {
  /// `.build/debug/nwsh` beside this package, or `$NWSH_BINARY`.
  static var path: String {
    if let path = ProcessInfo.processInfo.environment["NWSH_BINARY"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/nwsh").path
  }

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs `executable` with `arguments` and `stdin`, waiting for it to exit.
  static func run(
    _ arguments: [String], executable: String = Binary.path, stdin: String = "", environment: [String: String] = [:]
  ) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so neither fills up and blocks the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errorData = Data()
    group.enter()
    DispatchQueue.global().async {
      errorData = errors.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
      stderr: String(decoding: errorData, as: UTF8.self))
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
  let state = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-sandbox-\(UUID().uuidString)").path

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
