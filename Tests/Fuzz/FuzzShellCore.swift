import JQ

// libFuzzer entry points for ShellCore, compiled by scripts/fuzz together with ShellCore's
// sources (one module, -sanitize=fuzzer,address). NWSH_FUZZ_TARGET picks the target at build time.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  FuzzTargets.run(bytes)
  return 0
}

/// The data and session commands' signatures, as the parser sees them in nwsh.
nonisolated(unsafe) let commandTable = Session(
  output: OutputSink { _ in }, diagnostics: { _ in }, environment: HostEnvironment()
)
.commandTable

enum FuzzTargets {
  static func run(_ bytes: [UInt8]) {
    #if FUZZ_PARSER
      parser(bytes)
    #elseif FUZZ_JSON
      jsonReader(bytes)
    #elseif FUZZ_CSV
      csvReader(bytes)
    #endif
  }

  /// The lexer and parser (with the data commands' signatures) must answer every text with a
  /// program or a diagnostic, and the checker must accept or reject what parsed. Parsing runs
  /// where a session runs it, on the evaluation thread: the parser allows 256 levels of nesting,
  /// about a dozen frames each, which in this -Onone, AddressSanitizer build is more than the
  /// main thread's 8 MB (found by fuzzing: 255 open parentheses).
  static func parser(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let table = commandTable
    _ = JQLanguage.needsMoreInput(text)
    onEvaluationThread {
      guard var parser = try? StatementParser(Source(name: "<fuzz>", text: text), commands: table) else { return }
      _ = try? parser.parseProgram()
    }
  }

  static func jsonReader(_ bytes: [UInt8]) {
    var limits = InputLimits()
    limits.maxValueBytes = 1 << 16
    var source = BytesSource(bytes)
    var count = 0
    var whole: [String] = []
    try? JSONRowReader(sourceName: "<fuzz>", limits: limits).read(&source) { item in
      count += 1
      switch item {
      case .row(let row): whole.append(JSONWriter.compact(kept(row.value)))
      case .report(let report): whole.append(JSONWriter.compact(report))
      }
    }
    // Reading only some members must give the same rows (the same once cut to those members)
    // and the same errors at the same places.
    var projected = JSONRowReader(sourceName: "<fuzz>", limits: limits)
    projected.projection = Projection(keep)
    source = BytesSource(bytes)
    var index = 0
    try? projected.read(&source) { item in
      let text: String
      switch item {
      case .row(let row): text = JSONWriter.compact(kept(row.value))  // (rows from one array are whole)
      case .report(let report): text = JSONWriter.compact(report)
      }
      guard index < whole.count, whole[index] == text else {
        fatalError("projection differs at item \(index): \(text) vs \(index < whole.count ? whole[index] : "nothing")")
      }
      index += 1
    }
    if index != whole.count { fatalError("projection gave \(index) items, the full read \(whole.count)") }
  }

  static let keep: Set<String> = ["a", "b", "é"]

  /// A full-parse row as a projected read would give it.
  static func kept(_ value: Value) -> Value {
    guard case .object(let object) = value else { return value }
    var result = JSONObject()
    for (key, member) in object where keep.contains(where: { Array($0.utf8) == Array(key.utf8) }) {
      result[key] = member
    }
    return .object(result)
  }

  static func csvReader(_ bytes: [UInt8]) {
    var limits = InputLimits()
    limits.maxValueBytes = 1 << 16
    var source = BytesSource(bytes)
    try? CSVReader(sourceName: "<fuzz>", limits: limits).read(&source) { item in
      if case .row(let row) = item { _ = JSONWriter.compact(row.value) }
    }
  }
}
