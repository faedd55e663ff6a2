/// Splits program text into tokens.
///
/// A newline is a token (it ends a statement) only outside brackets, `if … end` and
/// `def …;`, not right after a token that needs more (`|`, `,`, an operator, `as`, …), and not
/// before a line that starts with `|`.
struct Lexer {
  private let source: Source
  private let bytes: [UInt8]
  private var position: Int
  private let end: Int
  private var openers: [String] = []
  private var tokens: [Token] = []
  private let nested: Bool

  /// Tokenizes all of `source`.
  static func tokenize(_ source: Source) throws(Diagnostic) -> [Token] {
    var lexer = Lexer(source: source, start: 0, end: source.bytes.count, nested: false)
    return try lexer.run()
  }

  /// Whether `source` stops in the middle of a statement: an open bracket, string, `if`, or
  /// a trailing `|`. The REPL then asks for another line.
  static func needsMoreInput(_ source: Source) -> Bool {
    var lexer = Lexer(source: source, start: 0, end: source.bytes.count, nested: false)
    do {
      let tokens = try lexer.run()
      if !lexer.openers.isEmpty { return true }
      let last = tokens.last { $0.kind != .end && $0.kind != .newline }
      return last.map(Lexer.expectsMore) ?? false
    } catch {
      return error.message.hasPrefix("unterminated")
    }
  }

  private init(source: Source, start: Int, end: Int, nested: Bool) {
    self.source = source
    self.bytes = source.bytes
    self.position = start
    self.end = end
    self.nested = nested
  }

  private static let symbols3 = ["?//", "//="]
  private static let symbols2 = ["|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "//", ".."]
  private static let symbols1 = Set(".[]{}()|,:;=<>+-*/%?".utf8)
  private static let continuing: Set<String> = [
    "|", ",", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "//", ":", "|=", "+=", "-=", "*=", "/=",
    "%=", "//=", "?//",
  ]
  private static let continuingWords: Set<String> = [
    "and", "or", "as", "then", "else", "elif", "catch", "reduce", "foreach", "label",
  ]

  static func expectsMore(_ token: Token) -> Bool {
    switch token.kind {
    case .symbol(let symbol): return continuing.contains(symbol)
    case .identifier(let word): return continuingWords.contains(word)
    default: return false
    }
  }

  private func range(_ start: Int) -> SourceRange { SourceRange(source, start, position) }

  private func error(_ message: String, at start: Int, hint: String? = nil) -> Diagnostic {
    Diagnostic(.syntax, message, at: SourceRange(source, start, max(start + 1, position)), hint: hint)
  }

  private static func isIdentStart(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
  }
  private static func isIdentPart(_ byte: UInt8) -> Bool { isIdentStart(byte) || isDigit(byte) }
  private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

  private mutating func run() throws(Diagnostic) -> [Token] {
    var spaced = true
    while true {
      // Skip blanks and comments; note newlines.
      var sawNewline = false
      while position < end {
        let byte = bytes[position]
        if byte == 0x20 || byte == 0x09 || byte == 0x0D {
          position += 1
          spaced = true
        } else if byte == 0x0A {
          sawNewline = true
          position += 1
          spaced = true
        } else if byte == UInt8(ascii: "#") {
          // To the end of the line; as in jq 1.8, a backslash before the line break continues
          // the comment on the next line, and `\\` is a backslash that does not.
          while position < end && bytes[position] != 0x0A {
            if bytes[position] == UInt8(ascii: "\\"), position + 1 < end {
              let next = bytes[position + 1]
              if next == UInt8(ascii: "\\") || next == 0x0A {
                position += 2
                continue
              }
              if next == 0x0D, position + 2 < end, bytes[position + 2] == 0x0A {
                position += 3
                continue
              }
            }
            position += 1
          }
          spaced = true
        } else {
          break
        }
      }
      // A line that starts with `|` goes on with the statement before it (the pipe at the front,
      // as many write a long pipeline).
      let continues =
        position < end && bytes[position] == UInt8(ascii: "|")
        && !(position + 1 < end && bytes[position + 1] == UInt8(ascii: "="))
      if sawNewline && !nested && openers.isEmpty && !continues, let last = tokens.last, last.kind != .newline,
        !Lexer.expectsMore(last)
      {
        tokens.append(Token(kind: .newline, range: SourceRange(source, position - 1, position), spaceBefore: true))
      }
      guard position < end else { break }
      let token = try next(spaced: spaced)
      track(token)
      tokens.append(token)
      spaced = false
    }
    tokens.append(Token(kind: .end, range: SourceRange(source, end, end), spaceBefore: true))
    return tokens
  }

  private mutating func track(_ token: Token) {
    switch token.kind {
    case .symbol("("), .symbol("["), .symbol("{"): openers.append(token.range.text)
    case .symbol(")"), .symbol("]"), .symbol("}"):
      while let last = openers.last, last == "if" || last == "def" { openers.removeLast() }
      if !openers.isEmpty { openers.removeLast() }
    case .identifier("if"), .identifier("def"): openers.append(token.range.text)
    case .identifier("end"):
      if let index = openers.lastIndex(of: "if") { openers.removeSubrange(index...) }
    case .symbol(";"):
      if openers.last == "def" { openers.removeLast() }
    default: break
    }
  }

  private mutating func next(spaced: Bool) throws(Diagnostic) -> Token {
    let start = position
    let byte = bytes[position]

    if Lexer.isIdentStart(byte) {
      scanName()
      return Token(kind: .identifier(range(start).text), range: range(start), spaceBefore: spaced)
    }
    if byte == UInt8(ascii: "$") {
      position += 1
      guard position < end, Lexer.isIdentStart(bytes[position]) else {
        throw error("expected a variable name after $", at: start)
      }
      scanName()  // `$d::d`: a module's data (`import "data" as $d;`)
      let name = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
      return Token(kind: .variable(name), range: range(start), spaceBefore: spaced)
    }
    if byte == UInt8(ascii: "@") {
      position += 1
      while position < end && Lexer.isIdentPart(bytes[position]) { position += 1 }
      let name = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
      if name.isEmpty { throw error("expected a format name after @", at: start) }
      return Token(kind: .format(name), range: range(start), spaceBefore: spaced)
    }
    if byte == UInt8(ascii: ".") && position + 1 < end && Lexer.isIdentStart(bytes[position + 1]) {
      position += 1
      while position < end && Lexer.isIdentPart(bytes[position]) { position += 1 }
      let name = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
      return Token(kind: .field(name), range: range(start), spaceBefore: spaced)
    }
    if Lexer.isDigit(byte) || (byte == UInt8(ascii: ".") && position + 1 < end && Lexer.isDigit(bytes[position + 1])) {
      return try number(start, spaced: spaced)
    }
    if byte == UInt8(ascii: "\"") { return try string(start, spaced: spaced) }
    if byte == UInt8(ascii: "-") && position + 2 < end && bytes[position + 1] == UInt8(ascii: "-")
      && Lexer.isIdentStart(bytes[position + 2]) && spaced
    {
      position += 2
      while position < end && (Lexer.isIdentPart(bytes[position]) || bytes[position] == UInt8(ascii: "-")) {
        position += 1
      }
      let name = String(decoding: bytes[(start + 2)..<position], as: UTF8.self)
      return Token(kind: .flag(name), range: range(start), spaceBefore: spaced)
    }
    for candidate in Lexer.symbols3 where matches(candidate) {
      position += 3
      return Token(kind: .symbol(candidate), range: range(start), spaceBefore: spaced)
    }
    for candidate in Lexer.symbols2 where matches(candidate) {
      position += 2
      return Token(kind: .symbol(candidate), range: range(start), spaceBefore: spaced)
    }
    if Lexer.symbols1.contains(byte) {
      position += 1
      return Token(kind: .symbol(String(UnicodeScalar(byte))), range: range(start), spaceBefore: spaced)
    }
    position += 1
    while position < end && bytes[position] & 0xC0 == 0x80 { position += 1 }
    throw error("unexpected character '\(range(start).text)'", at: start)
  }

  /// Moves past a name that starts at `position`, with `::` parts (`foo::bar`, a module's).
  private mutating func scanName() {
    position += 1
    while position < end
      && (Lexer.isIdentPart(bytes[position])
        || (bytes[position] == UInt8(ascii: ":")
          && position + 2 < end && bytes[position + 1] == UInt8(ascii: ":")
          && Lexer.isIdentStart(bytes[position + 2])))
    {
      position += bytes[position] == UInt8(ascii: ":") ? 2 : 1
    }
  }

  private func matches(_ text: String) -> Bool {
    let utf8 = Array(text.utf8)
    guard end - position >= utf8.count else { return false }
    return bytes[position..<(position + utf8.count)].elementsEqual(utf8)
  }

  private mutating func number(_ start: Int, spaced: Bool) throws(Diagnostic) -> Token {
    while position < end && Lexer.isDigit(bytes[position]) { position += 1 }
    if position < end && bytes[position] == UInt8(ascii: ".")
      && !(position + 1 < end && bytes[position + 1] == UInt8(ascii: "."))
    {
      position += 1
      while position < end && Lexer.isDigit(bytes[position]) { position += 1 }
    }
    if position < end && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
      let mark = position
      position += 1
      if position < end && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
        position += 1
      }
      if position < end && Lexer.isDigit(bytes[position]) {
        while position < end && Lexer.isDigit(bytes[position]) { position += 1 }
      } else {
        position = mark
      }
    }
    let text = range(start).text
    guard let value = Double(text.hasPrefix(".") ? "0" + text : text) else {
      throw error("invalid number \(text)", at: start)
    }
    return Token(kind: .number(value, text), range: range(start), spaceBefore: spaced)
  }

  private mutating func string(_ start: Int, spaced: Bool) throws(Diagnostic) -> Token {
    position += 1
    var parts: [Token.StringPart] = []
    var text: [UInt8] = []
    while true {
      guard position < end else { throw error("unterminated string", at: start) }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        break
      }
      if byte != UInt8(ascii: "\\") {
        text.append(byte)
        position += 1
        continue
      }
      let escapeStart = position
      position += 1
      guard position < end else { throw error("unterminated string", at: start) }
      if bytes[position] == UInt8(ascii: "(") {
        position += 1
        if !text.isEmpty {
          parts.append(.text(String(decoding: text, as: UTF8.self)))
          text = []
        }
        // Find the matching ')' and lex the inside on its own.
        let innerStart = position
        var depth = 1
        var inString = false
        while position < end {
          let c = bytes[position]
          if inString {
            if c == UInt8(ascii: "\\") { position += 1 } else if c == UInt8(ascii: "\"") { inString = false }
          } else if c == UInt8(ascii: "\"") {
            inString = true
          } else if c == UInt8(ascii: "(") {
            depth += 1
          } else if c == UInt8(ascii: ")") {
            depth -= 1
            if depth == 0 { break }
          }
          position += 1
        }
        guard position < end else { throw error("unterminated string interpolation \\(", at: escapeStart) }
        var inner = Lexer(source: source, start: innerStart, end: position, nested: true)
        let innerTokens = try inner.run()
        position += 1
        parts.append(.interpolation(innerTokens))
        continue
      }
      let problem = bytes.withUnsafeBufferPointer {
        JSONEscape.decode(UnsafeBufferPointer(rebasing: $0[..<end]), &position, into: &text)
      }
      switch problem {
      case nil: break
      case .truncated?, .invalidHex?: throw error("invalid \\u escape", at: escapeStart)
      case .invalidEscape?:
        throw error("invalid escape \\\(String(UnicodeScalar(bytes[position]))) in a string", at: escapeStart)
      }
    }
    if !text.isEmpty || parts.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
    return Token(kind: .string(parts), range: range(start), spaceBefore: spaced)
  }
}
