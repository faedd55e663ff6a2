import Foundation
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

  init() {}

  init(_ options: ParsedOptions) throws(UsageError) {
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

/// jq's variable and output options: `--arg`, `--argjson`, `--rawfile`, `--slurpfile`,
/// `--args`/`--jsonargs` (their words are `$ARGS.positional`), `-r`, `-j`.
struct JQOptions: Sendable {
  /// `$NAME` bindings, in order; all appear in `$ARGS.named`.
  var named: [(String, Value)] = []
  /// `-r`.
  var raw = false
  /// `-j` (raw, and no newline after each value).
  var join = false

  init() {}

  /// Reads the values (and the files `--rawfile` and `--slurpfile` name).
  init(_ options: ParsedOptions) throws(UsageError) {
    raw = options.has(.rawOutput) || options.has(.joinOutput)
    join = options.has(.joinOutput)
    for (option, values) in options.occurrences {
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
          throw UsageError("\(option.rawValue) \(values[0]): cannot read \(values[1])")
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
    var values: [Value] = []
    var source = BytesSource(Array(data))
    do {
      try JSONRowReader(sourceName: path).read(&source) { item in
        switch item {
        case .row(let row): values.append(row.value)
        case .report(let report):
          throw UsageError("\(option.rawValue) \(name): \(path): \(JSONWriter.compact(report["error"] ?? .null))")
        }
      }
    } catch let error as UsageError {
      throw error
    } catch {
      throw UsageError("\(option.rawValue) \(name): \(path): \(error)")
    }
    return values
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
  var strict = false
  var color: ColorChoice = .auto
  var connection = ConnectionOptions()
  var dryRun = false
  var norc = false
  var script: String?
  /// `$ARGS.positional`: the script's arguments, or the words after `--args`/`--jsonargs`.
  var positional: [Value] = []
  var jq = JQOptions()

  /// The request an invocation of `run` makes.
  init(_ invocation: Invocation) throws(UsageError) {
    let options = invocation.options
    program = options.value(.program)
    strict = options.has(.strict)
    dryRun = options.has(.dryRun)
    norc = options.has(.norc)
    if let text = options.value(.color) {
      guard let choice = ColorChoice(rawValue: text) else {
        throw UsageError("--color must be auto, always or never (got \(text))")
      }
      color = choice
    }
    connection = try ConnectionOptions(options)
    jq = try JQOptions(options)
    var words = invocation.words
    if program != nil {
      if let stray = words.first(where: { $0.mode == nil && !$0.literal }) {
        throw UsageError(
          "give either -c PROGRAM or a script file, not both (got \(stray.text))",
          hint: "to give the program arguments, write them after --args or --")
      }
    } else if let first = words.first {
      script = first.text
      words.removeFirst()
    }
    positional = try JQOptions.positional(words)
  }
}
