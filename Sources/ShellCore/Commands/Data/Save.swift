import Foundation
import JQ

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `save FILE`: rows to a file (JSON lines, a JSON array, CSV or TSV), the way a careful `>`
/// would write them.
///
/// - `-` is standard output.
/// - A FIFO, a terminal or another device (`/dev/stdout`) is written into, never replaced.
/// - A symbolic link's target is written into, so the link stays a link.
/// - A new file is created private (0600): saved rows are usually people's names and emails.
/// - An existing regular file is replaced atomically (written beside, then renamed over, its
///   mode kept), but only when nwsh wrote it last (it remembers what it saved, in the state
///   directory) or with `--force`: a file that is someone else's is not clobbered by accident.
/// - `--append` adds to a file (a CSV header only when the file is empty).
enum SaveCommand {
  static let force = CommandFlag.toggle("force", "replace an existing file nwsh did not write")
  static let append = CommandFlag.toggle("append", "add to the end of the file")

  static let definition = CommandDefinition(
    CommandSignature(
      "save",
      summary:
        "Write rows to a file (JSON lines, JSON array, CSV or TSV), or - for stdout; reports still go to stdout.",
      parameters: [.init("FILE", .path, "the file to write, or - for standard output")],
      flags: [
        DataCommands.formatFlag.declaration, force.declaration, append.declaration,
      ],
      examples: [
        "open in.csv | map {email} | save emails.jsonl",
        "read | where .status == \"failed\" | save retry.csv",
        "read | save - --format csv",
      ],
      discussion: """
        A new file is created 0600. An existing file is replaced (atomically, keeping its mode) only \
        if nwsh saved it last, or with --force; a FIFO, device or symbolic link is written into. In \
        CSV, nested values are written as compact JSON.
        """),
    role: .filter
  ) { context in
    let given = try context.path(0)!
    let run = context.run
    let format: Format
    let target: SaveTarget
    if given == "-" || given == "/dev/stdout" || given == "/dev/fd/1" || given == "/proc/self/fd/1" {
      format = try Format.resolve(context, path: nil)
      target = .standardOutput
    } else if let inherited = SaveTarget.inheritedDescriptor(given) {
      // /dev/stderr, /dev/fd/N: the descriptor this process already has, written into.
      format = try Format.resolve(context, path: nil)
      target = .descriptor(dup(inherited), path: given, record: false)
    } else {
      let path = run.resolvePath(given)
      format = try Format.resolve(context, path: path)
      target = try SaveTarget.open(
        path, shown: given, force: try context.value(of: force), append: try context.value(of: append),
        ledger: run.stateDirectory.map(SaveLedger.init(directory:)), range: context.range(ofArgument: 0))
    }
    return SaveStage(run: run, target: target, format: format, next: context.next)
  }
}

/// Where `save` writes, decided before the first row.
enum SaveTarget {
  /// Standard output, through the run's output.
  case standardOutput
  /// A descriptor written as is: a FIFO, a device, a new file, a link's target, an append.
  case descriptor(Int32, path: String, record: Bool)
  /// A temporary file beside `path`, renamed over it at the end.
  case replacement(Int32, temporary: String, path: String)

  /// The descriptor `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names, if `path` is one.
  static func inheritedDescriptor(_ path: String) -> Int32? {
    if path == "/dev/stderr" { return 2 }
    for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
      if let number = Int32(path.dropFirst(prefix.count)), fcntl(number, F_GETFD) >= 0 { return number }
    }
    return nil
  }

  static func open(
    _ path: String, shown: String, force: Bool, append: Bool, ledger: SaveLedger?, range: SourceRange
  ) throws -> SaveTarget {
    func fail(_ message: String, hint: String? = nil) -> Diagnostic {
      Diagnostic(.usage, "save \(shown): \(message)", at: range, hint: hint)
    }
    var link = stat()
    guard lstat(path, &link) == 0 else {
      guard errno == ENOENT else { throw fail(String(cString: strerror(errno))) }
      let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
      guard fd >= 0 else { throw fail("cannot create it: \(String(cString: strerror(errno)))") }
      return .descriptor(fd, path: path, record: true)
    }
    var info = stat()
    let followed = stat(path, &info) == 0
    if (link.st_mode & S_IFMT) == S_IFLNK && !followed {
      // A dangling link: create what it points to.
      let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
      guard fd >= 0 else { throw fail("cannot create the link's target: \(String(cString: strerror(errno)))") }
      return .descriptor(fd, path: path, record: true)
    }
    switch info.st_mode & S_IFMT {
    case S_IFDIR:
      throw fail("is a directory")
    case S_IFREG:
      if append {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        return .descriptor(fd, path: path, record: false)
      }
      guard force || ledger?.wrote(path, info) == true else {
        throw fail(
          "the file exists and nwsh did not write it",
          hint: "save --force to replace it, --append to add to it, or name another file")
      }
      if (link.st_mode & S_IFMT) == S_IFLNK {
        // Written into, so the link stays a link.
        let fd = Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        return .descriptor(fd, path: path, record: true)
      }
      let directory = (path as NSString).deletingLastPathComponent
      let temporary =
        (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).nwsh-\(getpid()).tmp"
      let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
      guard fd >= 0 else { throw fail("cannot write beside it: \(String(cString: strerror(errno)))") }
      fchmod(fd, info.st_mode & 0o7777)
      return .replacement(fd, temporary: temporary, path: path)
    default:
      // A FIFO, a terminal, /dev/stdout…: written into.
      let fd = Glibc.open(path, O_WRONLY | (append ? O_APPEND : 0) | O_CLOEXEC)
      guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
      return .descriptor(fd, path: path, record: false)
    }
  }
}

/// What `save` wrote, so it may replace its own files later: `$XDG_STATE_HOME/nwsh/saved`,
/// a line per file (device, inode, size, modification time, path), the last 500 kept.
struct SaveLedger {
  let file: String
  init(directory: String) { file = directory + "/saved" }

  /// Whether the file at `path` is, unchanged, one nwsh saved.
  func wrote(_ path: String, _ info: stat) -> Bool {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return false }
    let wanted = Self.line(Self.canonical(path), info)
    return text.split(separator: "\n").contains { $0 == wanted }
  }

  /// The path with links and `..` resolved, so a file is known by any name.
  static func canonical(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Remembers the file at `path` as it is now.
  func record(_ given: String) {
    let path = Self.canonical(given)
    var info = stat()
    guard stat(path, &info) == 0 else { return }
    let directory = (file as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    lines.removeAll { $0.hasSuffix("\t" + path) }
    lines.append(Self.line(path, info))
    let text = lines.suffix(500).joined(separator: "\n") + "\n"
    let temporary = file + ".\(getpid()).tmp"
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else { return }
    rename(temporary, file)
  }

  static func line(_ path: String, _ info: stat) -> String {
    "\(info.st_dev) \(info.st_ino) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)\t\(path)"
  }
}

final class SaveStage: RowStage {
  private let run: RunContext
  private let target: SaveTarget
  private let format: Format
  private var writer = JSONWriter(capacity: 1 << 16)
  private var csvHeader: [String]?
  private var first = true
  private var finished = false
  private var checkpoint: CheckpointRegistration?

  init(run: RunContext, target: SaveTarget, format: Format, next: any Stage) {
    self.run = run
    self.target = target
    self.format = format
    super.init(next: next)
    if format == .json { writer.bytes.append(UInt8(ascii: "[")) }
    if format == .csv || format == .tsv, case .descriptor(let fd, _, _) = target {
      // Appending to a CSV that already has rows: no second header.
      var info = stat()
      if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 && lseek(fd, 0, SEEK_END) > 0 {
        csvHeader = []
      }
    }
    checkpoint = run.onCheckpoint { [weak self] in try self?.flush() }
  }

  deinit {
    // A pipeline that failed before finishing leaves no temporary file behind.
    if !finished, case .replacement(let fd, let temporary, _) = target {
      close(fd)
      unlink(temporary)
    }
  }

  override func handle(_ row: Row) throws {
    switch format {
    case .jsonl:
      writer.write(row.value)
      writer.appendByte(0x0A)
    case .json:
      if !first { writer.appendByte(UInt8(ascii: ",")) }
      writer.appendByte(0x0A)
      writer.write(row.value)
    case .csv, .tsv:
      guard case .object(let object) = row.value else {
        return try next.push(
          .report(
            ResultRecord(
              row: row.number, op: "save", status: .invalid,
              [
                (
                  "error",
                  .error(
                    code: .notAnObject,
                    message: "save as \(format.rawValue) needs object rows, got \(row.value.typeName)"
                      + (row.value.isArray ? " (unbatch first?)" : ""))
                )
              ])))
      }
      if csvHeader == nil {
        csvHeader = object.orderedKeys
        line(object.orderedKeys.map(Value.string))
      } else if csvHeader!.isEmpty {
        csvHeader = object.orderedKeys  // appending: the file has its header
      }
      line(csvHeader!.map { object[$0] ?? .null })
    }
    first = false
    if writer.bytes.count > 1 << 16 { try flush() }
  }

  /// One CSV/TSV record: strings as they are, quoted when needed; numbers and booleans as
  /// text; null empty; arrays and objects as compact JSON.
  private func line(_ values: [Value]) {
    let separator: UInt8 = format == .tsv ? 0x09 : UInt8(ascii: ",")
    for (index, value) in values.enumerated() {
      if index > 0 { writer.appendByte(separator) }
      let text: String
      switch value {
      case .null: text = ""
      case .string(let string): text = string
      case .bool, .number: text = JSONWriter.compact(value)
      case .array, .object: text = JSONWriter.compact(value)
      }
      let bytes = Array(text.utf8)
      if bytes.contains(where: { $0 == separator || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
        writer.appendByte(0x22)
        for byte in bytes {
          if byte == 0x22 { writer.appendByte(0x22) }
          writer.appendByte(byte)
        }
        writer.appendByte(0x22)
      } else {
        writer.bytes += bytes
      }
    }
    writer.appendByte(0x0A)
  }

  private func flush() throws {
    guard !writer.bytes.isEmpty else { return }
    defer { writer.bytes.removeAll(keepingCapacity: true) }
    switch target {
    case .standardOutput:
      run.output.emitText(String(decoding: writer.bytes, as: UTF8.self))
      run.output.flush()
      try run.checkOutput()
    case .descriptor(let fd, let path, _), .replacement(let fd, _, let path):
      if let failure = OutputFailure.writeAll(writer.bytes, to: fd) {
        throw PipelineStop(
          status: failure.readerClosed ? .outputClosed : .outputFailed,
          message: "nwsh: save: cannot write \(path) (\(failure)); stopped, nothing more is done")
      }
    }
  }

  override func finish() throws {
    if format == .json { writer.bytes += Array((first ? "]\n" : "\n]\n").utf8) }
    try flush()
    finished = true
    if let checkpoint { run.removeCheckpoint(checkpoint) }
    let ledger = run.stateDirectory.map(SaveLedger.init(directory:))
    switch target {
    case .standardOutput: break
    case .descriptor(let fd, let path, let record):
      close(fd)
      if record { ledger?.record(path) }
    case .replacement(let fd, let temporary, let path):
      // The old file stays unless every byte of the new one reached the disk.
      guard fsync(fd) == 0, close(fd) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw PipelineStop(
          status: .outputFailed, message: "nwsh: save: cannot write \(path) (\(reason)); left as it was")
      }
      guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw PipelineStop(status: .someFailed, message: "nwsh: save: could not replace \(path): \(reason)")
      }
      ledger?.record(path)
    }
    try next.finish()
  }
}
