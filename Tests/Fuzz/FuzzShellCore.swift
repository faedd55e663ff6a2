// libFuzzer entry points for ShellCore, compiled by scripts/fuzz together with ShellCore's
// sources (one module, -sanitize=fuzzer,address). NWSH_FUZZ_TARGET picks the target at build time.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  FuzzTargets.run(bytes)
  return 0
}

/// The data and session commands' signatures, as the parser sees them in nwsh.
nonisolated(unsafe) let commandTable = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: [:]).commandTable

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
  /// program or a diagnostic, and the checker must accept or reject what parsed.
  static func parser(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let table = commandTable
    _ = Lexer.needsMoreInput(Source(name: "<fuzz>", text: text))
    guard var parser = try? Parser(Source(name: "<fuzz>", text: text), commands: table) else { return }
    _ = try? parser.parseProgram()
  }

  static func jsonReader(_ bytes: [UInt8]) {
    var limits = InputLimits()
    limits.maxValueBytes = 1 << 16
    var source = BytesSource(bytes)
    var count = 0
    try? JSONRowReader(sourceName: "<fuzz>", limits: limits).read(&source) { item in
      count += 1
      if case .row(let row) = item { _ = JSONWriter.compact(row.value) }
    }
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
