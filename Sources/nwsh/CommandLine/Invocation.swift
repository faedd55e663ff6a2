import JQ
import ShellCore

/// A command line, read: which subcommand, the options given, and the other words.
///
/// One reader for every form: `nwsh -c PROGRAM`, `nwsh SCRIPT ARGS…`, `nwsh COMMAND …`. An
/// option is recognised wherever it stands before `--` (before or after a script name, before
/// or after a subcommand) and must apply to the subcommand; everything after `--` (or after
/// `--complete INDEX`) is a word.
/// Nothing here has side effects: reading files (`--rawfile`) and starting servers happen later.
struct Invocation: Sendable {
  /// The subcommand (`run` unless a word names another).
  var subcommand: Subcommand
  /// The options, in the order given.
  var options: ParsedOptions
  /// The words that are not options or their values, after the subcommand's name: for `run`,
  /// the script and its arguments; for `help`, the names; for `state`, `check`.
  var words: [Word]
  /// The process's world, read once in `main`.
  var environment = HostEnvironment()

  /// A word and how jq's `--args` / `--jsonargs` (whichever came last before it) say to read it.
  struct Word: Sendable, Equatable {
    /// As given.
    var text: String
    /// nil before any `--args`/`--jsonargs`.
    var mode: Option?
    /// Given after `--` (or after `--complete INDEX`): never an option, never a subcommand.
    var literal = false
  }

  /// Reads `arguments` (without the program's name).
  static func read(_ arguments: [String], environment: HostEnvironment) throws(UsageError) -> Invocation {
    var arguments = arguments
    var options = ParsedOptions()
    var words: [Word] = []
    var mode: Option?
    var index = 0
    var literal = false
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if !literal, let meant = Self.lookalikeOption(argument) {
        throw UsageError.lookalike(argument, meant: meant)
      }
      if literal || !Self.looksLikeOption(argument) {
        words.append(Word(text: argument, mode: mode, literal: literal))
        continue
      }
      if argument == "--" {
        literal = true
        continue
      }
      if let letters = Self.bundledSwitches(argument) {
        // `-nr` is `-n -r`, as in jq (only the last may take a value: `-rf prog.jq`).
        index -= 1
        arguments.replaceSubrange(index..<(index + 1), with: letters)
        continue
      }
      var name = argument
      var inline: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inline = String(argument[argument.index(after: equals)...])
      } else if argument.hasPrefix("-L"), argument.count > 2, Option.named(argument) == nil {
        // `-LDIR`, as jq writes it (and `-L=DIR`, as gojq also reads it).
        name = "-L"
        inline = String(argument.dropFirst(argument.hasPrefix("-L=") ? 3 : 2))
      }
      guard let option = Option.named(name) else {
        throw UsageError.unknown(option: name)
      }
      var values: [String] = []
      if let inline {
        guard option.valueNames.count == 1 else {
          throw UsageError(
            option.valueNames.isEmpty
              ? "\(option.rawValue) takes no value (got \(argument))"
              : "\(option.rawValue) takes \(option.valueNames.count) values: \(option.label)")
        }
        values = [inline]
      } else {
        for valueName in option.valueNames {
          guard index < arguments.count else {
            throw UsageError("\(option.rawValue) needs a value: \(option.label)", hint: "missing \(valueName)")
          }
          // An option where a value should be is almost always a value left out (an empty
          // $PROFILE in a script): taking it as the value would drop the option it is.
          if let swallowed = Self.optionNamed(by: arguments[index]) {
            throw UsageError.swallowing(
              option, written: name, value: arguments[index], option: swallowed, valueName: valueName, given: values)
          }
          values.append(arguments[index])
          index += 1
        }
      }
      if option.takesTheRest != nil, let before = words.first {
        // `--complete INDEX WORD…`: the words it completes are the ones after it, all of them.
        throw UsageError(
          "\(option.rawValue) stands alone on the command line (got \(before.text) before it)",
          hint: "nwsh \(option.label)")
      }
      try options.add(option, values)
      if option == .args || option == .jsonargs { mode = option }
      // `--complete INDEX WORD…`: the words are the command line being completed, options and all.
      if option.takesTheRest != nil { literal = true }
    }
    // The subcommand: the first word, when it names one (a script by that name is ./NAME).
    var subcommand = Subcommand.run
    if let first = words.first, !first.literal, let named = Subcommand(rawValue: first.text) {
      subcommand = named
      words.removeFirst()
    }
    if let alone = options.given.first(where: \.standsAlone),
      options.given.count > 1 || (alone.takesTheRest == nil && !words.isEmpty)
    {
      let others = options.given.filter { $0 != alone }.map(\.rawValue) + words.map(\.text)
      throw UsageError(
        "\(alone.rawValue) stands alone on the command line (got \(others.joined(separator: " ")) with it)",
        hint: "nwsh \(alone.label)")
    }
    for option in options.given where !option.subcommands.contains(subcommand) {
      throw UsageError.misplaced(option, in: subcommand)
    }
    return Invocation(subcommand: subcommand, options: options, words: words, environment: environment)
  }

  /// `-nr` as `["-n", "-r"]`: several one-letter options written together, each known; nil for
  /// anything else.
  static func bundledSwitches(_ argument: String) -> [String]? {
    guard !argument.hasPrefix("--"), argument.count > 2, Option.named(argument) == nil else { return nil }
    let letters = argument.dropFirst().map { "-\($0)" }
    guard letters.allSatisfy({ Option.named($0) != nil }),
      letters.dropLast().allSatisfy({ Option.named($0)?.valueNames.isEmpty == true })
    else { return nil }
    return letters
  }

  /// Whether `scalar` is a dash other than `-`: one Unicode calls a dash (hyphens, en and em
  /// dashes, the minus sign, their small and full-width forms, …), or one that only looks like
  /// one (heavy minus, modifier minus, hyphen bullet).
  static func isLookalikeDash(_ scalar: Unicode.Scalar) -> Bool {
    scalar != "-" && (scalar.properties.isDash || ["\u{2796}", "\u{02D7}", "\u{2043}", "\u{30FC}"].contains(scalar))
  }

  /// Whether `scalar` is invisible before a word: a format character (zero-width space, byte
  /// order mark, soft hyphen) or a space other than the ASCII one (no-break space).
  static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .format
      || (scalar.properties.generalCategory == .spaceSeparator && scalar != " ")
  }

  /// For a word that starts with a dash other than `-`, or with an invisible character before
  /// its dashes (`—dry-run`, `−−sandbox`, a no-break space then `--dry-run`), followed by a
  /// letter: the option it was most likely meant to be (nil when none is near). Such a word,
  /// pasted from a chat or a document, is never an argument by accident.
  static func lookalikeOption(_ word: String) -> String?? {
    let scalars = word.unicodeScalars
    let lead = scalars.prefix { $0 == "-" || isLookalikeDash($0) || isInvisible($0) }
    guard lead.contains(where: { $0 != "-" }), lead.contains(where: { $0 == "-" || isLookalikeDash($0) }),
      let letter = scalars.dropFirst(lead.count).first, letter.properties.isAlphabetic
    else { return nil }
    let name = String(String.UnicodeScalarView(scalars.dropFirst(lead.count))).prefix { $0 != "=" }
    if let option = Option.named("--" + name) { return .some(option.rawValue) }
    if name.count == 1, Option.named("-" + name) != nil { return .some("-" + name) }
    return .some(Diagnostic.suggestion(for: "--" + name, among: Option.spellings.filter { $0.hasPrefix("--") }))
  }

  /// The option `word` names, when it is one of nwsh's own (`--dry-run`, `--state=x`, `-n`,
  /// `-nr`), looks like a long option (`--anything`), or is one written with a lookalike dash.
  static func optionNamed(by word: String) -> String? {
    if let meant = lookalikeOption(word) { return meant ?? word }
    guard looksLikeOption(word), word != "--" else { return nil }
    let name = word.hasPrefix("--") ? String(word.prefix { $0 != "=" }) : word
    if let option = Option.named(name) { return option.rawValue }
    if bundledSwitches(word) != nil { return word }
    if word.hasPrefix("--"), word.dropFirst(2).first?.isLetter == true { return name }
    return nil
  }

  /// Whether `argument` is read as an option: it starts with `-`, and is not `-` alone (stdin)
  /// or a negative number (a script's argument).
  static func looksLikeOption(_ argument: String) -> Bool {
    guard argument.hasPrefix("-"), argument != "-" else { return false }
    return Double(argument) == nil
  }
}

/// The options of an ``Invocation``: each with the values it was given, in order.
struct ParsedOptions: Sendable {
  /// Each occurrence, in order.
  private(set) var occurrences: [(option: Option, values: [String])] = []

  /// Records one occurrence; a second of one that is not repeatable is an error unless it says
  /// the same.
  mutating func add(_ option: Option, _ values: [String]) throws(UsageError) {
    if !option.repeatable, let earlier = occurrences.first(where: { $0.option == option }) {
      guard earlier.values == values else {
        throw UsageError("\(option.rawValue) is given twice, with different values")
      }
      return
    }
    occurrences.append((option, values))
  }

  /// The options given, each once, in order.
  var given: [Option] {
    var seen: Set<Option> = []
    return occurrences.map(\.option).filter { seen.insert($0).inserted }
  }

  /// Whether `option` was given.
  func has(_ option: Option) -> Bool { occurrences.contains { $0.option == option } }

  /// The value of a single-valued option, if given.
  func value(_ option: Option) -> String? { occurrences.first { $0.option == option }?.values.first }
}

/// A command line nwsh cannot run: exit 64 with the message and a hint.
struct UsageError: Error, Sendable, CustomStringConvertible {
  /// What is wrong.
  var message: String
  /// What to do instead.
  var hint: String?

  init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }

  var description: String { message + (hint.map { "\n  (\($0))" } ?? "") }

  /// An option nwsh does not have.
  static func unknown(option name: String) -> UsageError {
    let nearest = nearestSpelling(name)
    return UsageError(
      "unknown option \(name)" + (nearest.map { " (did you mean \($0)?)" } ?? ""),
      hint: "to pass it to a script as an argument, write it after --: nwsh SCRIPT -- \(name)")
  }

  /// A word written with a lookalike dash (`—dry-run`, pasted from a chat).
  static func lookalike(_ word: String, meant: String?) -> UsageError {
    let first = word.unicodeScalars.first { $0 != "-" } ?? " "
    let code = String(first.value, radix: 16, uppercase: true)
    let character = "U+" + String(repeating: "0", count: max(0, 4 - code.count)) + code
    let what =
      Invocation.isInvisible(first)
      ? "an invisible character (\(character)) before its dash" : "a dash that is not - (\(character))"
    return UsageError(
      "\(word) is not an option: it starts with \(what), as a word processor or a chat makes"
        + (meant.map { "; did you mean \($0)?" } ?? ""),
      hint: "retype the dashes as -; a script's argument that really starts so goes after --: nwsh SCRIPT -- \(word)")
  }

  /// A value-taking option followed by another option where its value should be (`given`:
  /// the values it took before that one).
  static func swallowing(
    _ option: Option, written: String, value: String, option swallowed: String, valueName: String, given: [String]
  ) -> UsageError {
    let what =
      Invocation.lookalikeOption(value) != nil
      ? "\(value), which starts with a dash other than - (\(swallowed == value ? "an option?" : swallowed + "?"))"
      : swallowed == value ? "the option \(value)" : "\(value) (the option \(swallowed))"
    let deliberate: String
    switch option {
    case .arg where !given.isEmpty:
      deliberate = "--argjson \(given[0]) '\"\(value)\"' (the same text, as a JSON string)"
    case .arg, .argjson, .rawfile, .slurpfile:
      deliberate = valueName == "NAME" ? "nothing: a name is a word like x or rows" : "'\"\(value)\"' (a JSON string)"
    case .fromFile, .apiKeyFile, .passwords, .state, .libraryPath:
      deliberate = "\(written) ./\(value)"
    case .program: deliberate = "-f FILE, with the program in FILE"
    default: deliberate = "\(option.rawValue)=\(value)"
    }
    return UsageError(
      "\(written) needs its \(valueName), but the next word is \(what): the \(valueName) is missing "
        + "(an empty variable in a script?); nothing was run",
      hint: "to give \(value) as the \(valueName) on purpose, write \(deliberate)")
  }

  /// An option given to a subcommand it does not apply to.
  static func misplaced(_ option: Option, in subcommand: Subcommand) -> UsageError {
    let places = Subcommand.allCases.filter { option.subcommands.contains($0) }.map {
      $0 == .run ? "nwsh [-c PROGRAM | SCRIPT]" : "nwsh \($0.rawValue)"
    }
    let name = subcommand == .run ? "running a program" : "nwsh \(subcommand.rawValue)"
    return UsageError(
      "\(option.rawValue) does not apply to \(name)",
      hint: "it is for " + places.joined(separator: ", "))
  }

  private static func nearestSpelling(_ name: String) -> String? {
    Diagnostic.suggestion(for: name, among: Option.spellings.filter { $0.hasPrefix("--") == name.hasPrefix("--") })
  }
}

extension Invocation {
  /// The connection the options ask for, in the invocation's environment.
  func connectionOptions() throws(UsageError) -> ConnectionOptions {
    try ConnectionOptions(options, environment: environment)
  }
}
