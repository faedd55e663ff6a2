import Foundation
import Interactive
import NetworkedCommands
import ShellCore

/// Shell completion: small bash, zsh and fish scripts that ask the binary
/// (`nwsh --complete INDEX WORD…`), so what completes is decided here, from the option table,
/// the subcommands and the pipeline commands, and is tested like the rest of the program.
enum Completion {
  /// What a script prints to ask the shell to complete file names as well.
  static let filesMarker = "__files__"

  /// The candidates for word `INDEX` (0-based, after `nwsh`) of `WORD…`, one per line.
  static func candidates(_ arguments: [String], environment: HostEnvironment) -> [String] {
    guard let first = arguments.first, let given = Int(first), given >= 0 else { return [] }
    var words = Array(arguments.dropFirst())
    // An index past the last word is the empty word after it (however large the index).
    let index = min(given, words.count)
    if words.count == index { words.append("") }
    let prefix = words[index]
    let before = Array(words[..<index])
    // After `--` every word is an argument: file names.
    if before.contains("--") { return [filesMarker] }
    // The value of an option just before?
    if let previous = before.last, let option = Option.named(previous), option.valueNames.count == 1,
      option != .program
    {
      return values(of: option, prefix: prefix, environment: environment)
    }
    // Inside the program of -c (shells keep a quoted program as one word): pipeline command
    // names, and a command's flags.
    if before.last == "-c" { return pipelineCandidates(prefix) }
    let subcommand = before.first { !$0.hasPrefix("-") }.flatMap(Subcommand.init(rawValue:))
    if prefix.hasPrefix("-") {
      // The packagers' options are not offered: nobody types them at a prompt.
      let applicable = Option.allCases.filter { $0.subcommands.contains(subcommand ?? .run) && !$0.standsAlone }
      return applicable.flatMap { [$0.rawValue] + $0.aliases }.filter { $0.hasPrefix(prefix) }.sorted()
    }
    let positional = before.enumerated().filter { position, word in
      !word.hasPrefix("-") && !(position > 0 && Option.named(before[position - 1])?.valueNames.isEmpty == false)
    }
    switch subcommand {
    case .help?:
      guard positional.count == 1 else { return [] }
      let session = Wiring.describingSession()
      let names = Set(session.helpNames + Subcommand.allCases.map(\.rawValue))
      return names.filter { $0.hasPrefix(prefix) }.sorted()
    case .state?:
      return positional.count == 1 && "check".hasPrefix(prefix) ? ["check"] : []
    case nil where positional.isEmpty:
      return Subcommand.allCases.map(\.rawValue).filter { $0.hasPrefix(prefix) } + [filesMarker]
    case nil, .run?:
      return [filesMarker]
    default:
      return []
    }
  }

  private static func values(of option: Option, prefix: String, environment: HostEnvironment) -> [String] {
    switch option.completion {
    case .none: return []
    case .file, .directory: return [filesMarker]
    case .choices(let choices): return choices.filter { $0.hasPrefix(prefix) }.sorted()
    case .journalStates: return JournalState.allCases.map(\.rawValue).filter { $0.hasPrefix(prefix) }
    case .profiles:
      let path = Credentials.defaultPath(environment: environment)
      return Credentials(path: path).profiles().keys.filter { $0.hasPrefix(prefix) }.sorted()
    }
  }

  /// Candidates inside a `-c` program being typed (`prefix`, with its opening quote): at the
  /// start of a stage, command names; after `--` in a stage that starts with a command, its
  /// flags. Each candidate is the whole word, completed.
  static func pipelineCandidates(_ prefix: String) -> [String] {
    let stage = prefix.split(separator: "|", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    let tokens = stage.split(whereSeparator: { $0 == " " || $0 == "'" || $0 == "\"" }).map(String.init)
    let endsWithSpace = prefix.isEmpty || prefix.last == " "
    let current = endsWithSpace ? "" : (tokens.last ?? "")
    // What of `prefix` stays before the completed token.
    let head = String(prefix.dropLast(current.count))
    let session = Wiring.describingSession()
    let isFirst = tokens.count <= (endsWithSpace ? 0 : 1)
    if isFirst {
      return session.commandNames.filter { $0.hasPrefix(current) }.map { head + $0 }
    }
    if current.hasPrefix("-"), let command = tokens.first, let signature = session.command(named: command)?.signature {
      return signature.flags.map { "--" + $0.name }.filter { $0.hasPrefix(current) }.map { head + $0 }
    }
    return []
  }

  /// The completion script for `shell` (bash, zsh or fish).
  static func script(for shell: String) -> String? {
    switch shell {
    case "bash":
      return """
        # nwsh completion for bash: the binary decides (nwsh --complete INDEX WORD...).
        _nwsh() {
          local IFS=$'\\n' candidate files=0
          local -a found=()
          for candidate in $(nwsh --complete "$((COMP_CWORD - 1))" "${COMP_WORDS[@]:1}" 2>/dev/null); do
            if [ "$candidate" = "\(filesMarker)" ]; then files=1; else found+=("$candidate"); fi
          done
          COMPREPLY=("${found[@]}")
          if [ "$files" = 1 ]; then COMPREPLY+=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")); fi
        }
        complete -o filenames -F _nwsh nwsh

        """
    case "zsh":
      return """
        #compdef nwsh
        # nwsh completion for zsh: the binary decides (nwsh --complete INDEX WORD...).
        _nwsh() {
          local -a found
          found=("${(@f)$(nwsh --complete $((CURRENT - 2)) "${(@)words[2,-1]}" 2>/dev/null)}")
          if (( ${found[(I)\(filesMarker)]} )); then
            found=("${(@)found:#\(filesMarker)}")
            _files
          fi
          (( ${#found} )) && compadd -- "${(@)found}"
        }
        _nwsh "$@"

        """
    case "fish":
      return """
        # nwsh completion for fish: the binary decides (nwsh --complete INDEX WORD...).
        function __nwsh_complete
          set -l words (commandline -opc) (commandline -ct)
          set -e words[1]
          for candidate in (nwsh --complete (math (count $words) - 1) $words 2>/dev/null)
            if test "$candidate" = \(filesMarker)
              __fish_complete_path (commandline -ct)
            else
              echo $candidate
            end
          end
        end
        complete -c nwsh -f -a '(__nwsh_complete)'

        """
    default: return nil
    }
  }
}
