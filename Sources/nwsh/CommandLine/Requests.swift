import Foundation
import JQ
import NetworkedSimulator
import ShellCore

/// Where the API is, which key to use, and where the state lives: the options every command
/// that talks to the API shares.
struct ConnectionOptions: Sendable {
  var sandbox = false
  var baseURL: String?
  var profile: String?
  var apiKeyFile: String?
  var trace = false
  var state: String?
  /// `--accept-rate`, `--accept-after`: who joins the sandbox's community by themselves.
  var acceptance: Acceptance?
  /// The process's world: where the key, the state and the profiles are looked for.
  var environment = HostEnvironment()

  init() {}

  init(_ options: ParsedOptions, environment: HostEnvironment) throws(UsageError) {
    self.environment = environment
    sandbox = options.has(.sandbox)
    baseURL = options.value(.baseURL)
    profile = options.value(.profile)
    apiKeyFile = options.value(.apiKeyFile)
    trace = options.has(.trace)
    state = options.value(.state)
    acceptance = try Self.acceptance(options)
  }

  /// The sandbox's acceptance rule from `--accept-rate R` and `--accept-after DURATION`, if given.
  static func acceptance(_ options: ParsedOptions) throws(UsageError) -> Acceptance? {
    let rateText = options.value(.acceptRate)
    let afterText = options.value(.acceptAfter)
    guard rateText != nil || afterText != nil else { return nil }
    guard let rateText else { throw UsageError("--accept-after needs --accept-rate (the share who join, 0 to 1)") }
    guard let rate = Double(rateText), (0...1).contains(rate) else {
      throw UsageError("--accept-rate must be a number from 0 to 1 (got \(rateText))")
    }
    var after = 0.0
    if let afterText {
      guard let seconds = TimeSpan.seconds(afterText) else {
        throw UsageError("--accept-after must be a length of time such as 2d, 36h or 90m (got \(afterText))")
      }
      after = seconds
    }
    return Acceptance(rate: rate, after: Int64(after * 1000))
  }
}

/// jq's variable, input and output options: `--arg`, `--argjson`, `--rawfile`, `--slurpfile`,
/// `--args`/`--jsonargs` (their words are `$ARGS.positional`), `-R`, `-s`, `--stream`, `-r`,
/// `-j`, `--raw-output0`, `-e`, `-S`, `-a`, `--tab`, `--indent N`, `--seq`, `--compact-output`.
struct JQCommandLine: Sendable {
  /// `$NAME` bindings, in order; all appear in `$ARGS.named`.
  var named: [(String, Value)] = []
  /// `-r`.
  var raw = false
  /// `-j` (raw, and no newline after each value).
  var join = false
  /// `--raw-output0` (raw, a NUL after each value).
  var nul = false
  /// `-e`.
  var exitStatus = false
  /// `-S`.
  var sortKeys = false
  /// `-a`.
  var ascii = false
  /// `--tab`.
  var tab = false
  /// `--indent N`.
  var indent: Int?
  /// `--seq`.
  var seq = false
  /// `--compact-output`.
  var compact = false
  /// How `read` reads (`-R`, `-s`, `--stream`; the files are added by ``RunRequest``).
  var input = ReadInput()
  /// `-L DIR`…, made absolute as jq makes them; nil: jq's default library directories.
  var libraryPaths: [String]?
  /// `-n`: start on null even when there is input (a program that is a jq expression alone
  /// otherwise runs once for each input value, as in jq).
  var nullInput = false

  init() {}

  /// Reads the values (and the files `--rawfile` and `--slurpfile` name).
  init(_ options: ParsedOptions) throws(UsageError) {
    raw = options.has(.rawOutput) || options.has(.joinOutput) || options.has(.rawOutput0)
    join = options.has(.joinOutput)
    nul = options.has(.rawOutput0)
    exitStatus = options.has(.exitStatus)
    sortKeys = options.has(.sortKeys)
    ascii = options.has(.asciiOutput)
    tab = options.has(.tab)
    seq = options.has(.seq)
    compact = options.has(.compactOutput)
    nullInput = options.has(.nullInput)
    if let text = options.value(.indent) {
      guard let n = Int(text), (0...7).contains(n) else { throw UsageError("--indent takes 0 to 7 (got \(text))") }
      indent = n
    }
    input.raw = options.has(.rawInput)
    input.slurp = options.has(.slurp)
    input.stream = options.has(.stream)
    input.seq = seq
    if input.raw && input.stream { throw UsageError("-R and --stream do not go together: --stream reads JSON") }
    let directories = options.occurrences.filter { $0.option == .libraryPath }.map(\.values[0])
    if !directories.isEmpty {
      libraryPaths = directories.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
    for (option, values) in options.occurrences {
      // As jq: the first value given a name is the one it keeps (a later one is not read).
      if [.arg, .argjson, .rawfile, .slurpfile].contains(option), named.contains(where: { $0.0 == values[0] }) {
        continue
      }
      switch option {
      case .arg: named.append((values[0], .string(values[1])))
      case .argjson:
        do {
          named.append((values[0], try JSONParser.parse(values[1])))
        } catch {
          throw UsageError("--argjson \(values[0]): the value is not JSON: \(error)")
        }
      case .rawfile, .slurpfile:
        guard let data = FileManager.default.contents(atPath: values[1]) else {
          throw UsageError("\(option.rawValue) \(values[0]): " + FileProblem.message("cannot read", values[1]))
        }
        if option == .rawfile {
          named.append((values[0], .string(String(decoding: data, as: UTF8.self))))
        } else {
          named.append((values[0], .array(try Self.values(in: data, option: option, name: values[0], path: values[1]))))
        }
      default: break
      }
    }
  }

  private static func values(in data: Data, option: Option, name: String, path: String) throws(UsageError) -> [Value] {
    do {
      return try JSONRowReader.values(in: Array(data), sourceName: path)
    } catch let malformed as JSONRowReader.MalformedValue {
      throw UsageError("\(option.rawValue) \(name): \(path): \(JSONWriter.compact(malformed.error))")
    } catch {
      throw UsageError("\(option.rawValue) \(name): \(path): \(error)")
    }
  }

  /// `words` as `$ARGS.positional`: JSON after `--jsonargs`, strings otherwise.
  static func positional(_ words: [Invocation.Word]) throws(UsageError) -> [Value] {
    var values: [Value] = []
    for word in words {
      guard word.mode == .jsonargs else {
        values.append(.string(word.text))
        continue
      }
      do {
        values.append(try JSONParser.parse(word.text))
      } catch {
        throw UsageError("--jsonargs: \(word.text) is not JSON: \(error)")
      }
    }
    return values
  }
}

/// What `nwsh [-c PROGRAM | SCRIPT [ARGS…]]` was asked to do, as plain values.
struct RunRequest: Sendable {
  enum ColorChoice: String, CaseIterable, Sendable { case auto, always, never }

  var program: String?
  /// Where the program came from, for messages (`<command line>`, or `-f`'s file).
  var programName = "<command line>"
  var strict = false
  var color: ColorChoice = .auto
  var connection = ConnectionOptions()
  var dryRun = false
  var norc = false
  /// `--no-pager`: the shell prints long results straight to the terminal.
  var noPager = false
  var script: String?
  /// `$ARGS.positional`: the script's arguments, or the words after `--args`/`--jsonargs`.
  var positional: [Value] = []
  var jq = JQCommandLine()

  /// The request an invocation of `run` makes.
  init(_ invocation: Invocation) throws(UsageError) {
    let options = invocation.options
    program = options.value(.program)
    if let file = options.value(.fromFile) {
      if program != nil { throw UsageError("give either -c PROGRAM or -f FILE, not both") }
      guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
        throw UsageError("-f: " + FileProblem.message("cannot read", file))
      }
      program = Script.strippingShebang(text)
      programName = file
    }
    strict = options.has(.strict)
    dryRun = options.has(.dryRun)
    norc = options.has(.norc)
    noPager = options.has(.noPager)
    if let text = options.value(.color) {
      guard let choice = ColorChoice(rawValue: text) else {
        throw UsageError("--color must be auto, always or never (got \(text))")
      }
      color = choice
    }
    if options.has(.colorOutput) && options.has(.monochrome) { throw UsageError("give either -C or -M, not both") }
    if options.has(.colorOutput) { color = .always }
    if options.has(.monochrome) { color = .never }
    connection = try invocation.connectionOptions()
    jq = try JQCommandLine(options)
    var words = invocation.words
    if program != nil {
      // As in jq: the words after the program (before --args, --jsonargs or --) are input files.
      jq.input.files = words.filter { $0.mode == nil && !$0.literal }.map(\.text)
      // `-` is standard input, as in jq.
      for file in jq.input.files where file != "-" && !FileManager.default.isReadableFile(atPath: file) {
        throw UsageError(
          FileProblem.message("cannot read", file) + " (the words after -c PROGRAM are input files for read)",
          hint: "to give the program arguments instead, write them after --args or --")
      }
      words.removeAll { $0.mode == nil && !$0.literal }
    } else if let first = words.first {
      script = first.text
      words.removeFirst()
    }
    positional = try JQCommandLine.positional(words)
  }
}
