import Foundation
import ShellCore

/// jq's variable options, taken out of the command line before it is parsed:
/// `--arg NAME VALUE`, `--argjson NAME JSON`, `--rawfile NAME FILE`, `--slurpfile NAME FILE`,
/// `--args` / `--jsonargs` (every later argument is a positional string / JSON value), and the
/// output switches `-r`/`--raw-output`, `-j`/`--join-output`. They may stand anywhere before a
/// `--`, as in jq; each binds `$NAME`, and all appear in `$ARGS.named` / `$ARGS.positional`.
struct JQArguments {
  /// `--arg` and friends, in order.
  var named: [(String, Value)] = []
  /// After `--args` / `--jsonargs`.
  var positional: [Value]?
  /// `-r`.
  var raw = false
  /// `-j` (raw, and no newline after each value).
  var join = false
  /// What is left for the argument parser.
  var remaining: [String] = []

  /// The variables a run binds from these: set once in `main`, before anything else runs.
  nonisolated(unsafe) static var current = JQArguments()

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Takes the jq options out of `arguments` (without the program name).
  static func extract(_ arguments: [String]) throws -> JQArguments {
    var result = JQArguments()
    var index = 0
    var positionalMode: String?
    func value(_ option: String, _ count: Int) throws -> [String] {
      guard index + count < arguments.count else {
        throw Failure(description: "\(option) needs \(count == 2 ? "a name and a value" : "a value")")
      }
      defer { index += count }
      return Array(arguments[(index + 1)...(index + count)])
    }
    while index < arguments.count {
      let argument = arguments[index]
      if let mode = positionalMode, argument != "--args", argument != "--jsonargs" {
        if mode == "--args" {
          result.positional!.append(.string(argument))
        } else {
          do {
            result.positional!.append(try JSONParser.parse(argument))
          } catch {
            throw Failure(description: "--jsonargs: \(argument) is not JSON: \(error)")
          }
        }
        index += 1
        continue
      }
      switch argument {
      case "--":
        result.remaining += arguments[index...]
        return result
      case "--arg":
        let pair = try value(argument, 2)
        result.named.append((pair[0], .string(pair[1])))
      case "--argjson":
        let pair = try value(argument, 2)
        do {
          result.named.append((pair[0], try JSONParser.parse(pair[1])))
        } catch {
          throw Failure(description: "--argjson \(pair[0]): the value is not JSON: \(error)")
        }
      case "--rawfile", "--slurpfile":
        let pair = try value(argument, 2)
        guard let data = FileManager.default.contents(atPath: pair[1]) else {
          throw Failure(description: "\(argument) \(pair[0]): cannot read \(pair[1])")
        }
        if argument == "--rawfile" {
          result.named.append((pair[0], .string(String(decoding: data, as: UTF8.self))))
        } else {
          var values: [Value] = []
          var source = BytesSource(Array(data))
          try JSONRowReader(sourceName: pair[1]).read(&source) { item in
            switch item {
            case .row(let row): values.append(row.value)
            case .report(let report):
              throw Failure(
                description: "--slurpfile \(pair[0]): \(pair[1]): \(JSONWriter.compact(report["error"] ?? .null))")
            }
          }
          result.named.append((pair[0], .array(values)))
        }
      case "--args", "--jsonargs":
        positionalMode = argument
        if result.positional == nil { result.positional = [] }
      case "-r", "--raw-output":
        result.raw = true
      case "-j", "--join-output":
        result.raw = true
        result.join = true
      default:
        result.remaining.append(argument)
      }
      index += 1
    }
    return result
  }
}
