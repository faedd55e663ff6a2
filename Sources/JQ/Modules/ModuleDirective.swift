/// `import "path" as name;`, `import "path" as $name;` or `include "path";`, with its optional
/// constant metadata (`{search: "./lib"}`), as jq writes them.
struct ModuleDirective: Sendable {
  /// What the directive brings in.
  enum Kind: Sendable, Equatable {
    /// `import "path" as name;`: the module's functions, as `name::f`.
    case module(alias: String)
    /// `import "path" as $name;`: the JSON file's values (an array), as `$name` and `$name::name`.
    case data(alias: String)
    /// `include "path";`: the module's functions under their own names.
    case include
  }

  /// What the directive brings in.
  var kind: Kind
  /// The module's relative path, without `.jq` or `.json`.
  var path: String
  /// The constant metadata object after the path (`search` says where to look), or nil.
  var metadata: JSONObject?
  /// Where the directive is written.
  var range: SourceRange

  /// A directive as written at `range`.
  init(kind: Kind, path: String, metadata: JSONObject?, range: SourceRange) {
    self.kind = kind
    self.path = path
    self.metadata = metadata
    self.range = range
  }

  /// The directive as `modulemeta` lists it: its metadata, then `as`, `is_data`, `relpath`.
  var description: Value {
    var object = metadata ?? JSONObject()
    switch kind {
    case .module(let alias): object["as"] = .string(alias)
    case .data(let alias): object["as"] = .string(alias)
    case .include: break
    }
    if case .data = kind { object["is_data"] = .true } else { object["is_data"] = .false }
    object["relpath"] = .string(path)
    return .object(object)
  }
}

/// A jq program as written at the top of a file or a `-c`: `module` metadata, directives, and
/// what follows them.
struct ModuleHeader: Sendable {
  /// `module {…};`: the module's own metadata.
  var metadata: JSONObject?
  /// The `import` and `include` directives, in order.
  var directives: [ModuleDirective] = []
}

extension Parser {
  /// Reads `module {…};` (when `allowModule`) and the `import`/`include` directives that start
  /// a program or a module file.
  mutating func parseModuleHeader(allowModule: Bool) throws(Diagnostic) -> ModuleHeader {
    var header = ModuleHeader()
    skipSeparators()
    if allowModule, current.isWord("module"), case .symbol = nextToken.kind {
      let start = advance().range
      let expr = try parsePipe(allowCommandStages: false)
      header.metadata = try metadataObject(expr, at: start.through(tokens[index - 1].range))
      try expect(";", "after the module's metadata")
      skipSeparators()
    }
    while atModuleDirective {
      header.directives.append(try parseModuleDirective(statement: false))
      skipSeparators()
    }
    return header
  }

  /// Whether the next tokens are `import "…"` or `include "…"`.
  var atModuleDirective: Bool {
    guard current.isWord("import") || current.isWord("include") else { return false }
    if case .string = nextToken.kind { return true }
    return false
  }

  private mutating func skipSeparators() {
    while current.kind == .newline { index += 1 }
  }

  /// `import "path" as name [meta];`, `import "path" as $name [meta];` or `include "path" [meta];`.
  /// As a `statement`, the `;` (or the end of the line) is left to end the statement.
  mutating func parseModuleDirective(statement: Bool) throws(Diagnostic) -> ModuleDirective {
    let keyword = advance()
    let pathToken = current
    let pathExpr = try parseStringLiteral(format: nil)
    guard case .literal(.string(let path)) = pathExpr else {
      throw Diagnostic(.syntax, "Import path must be constant", at: pathToken.range)
    }
    var kind = ModuleDirective.Kind.include
    if keyword.isWord("import") {
      try expectWord("as", "after the path in 'import \"\(path)\"'")
      switch current.kind {
      case .identifier(let alias) where !Parser.keywords.contains(alias) && !alias.contains("::"):
        kind = .module(alias: alias)
      case .variable(let alias) where !alias.contains("::"):
        kind = .data(alias: alias)
      default:
        throw unexpected("expected a name or a $name after 'as'", hint: "import \"\(path)\" as name;")
      }
      index += 1
    }
    var metadata: JSONObject?
    if !current.is(";") && !(statement && (current.kind == .newline || current.kind == .end)) {
      let start = current.range
      let expr = try parsePipe(allowCommandStages: false)
      metadata = try metadataObject(expr, at: start.through(tokens[index - 1].range))
    }
    let range = keyword.range.through(tokens[index - 1].range)
    if !statement { try expect(";", "to end '\(keyword.range.text) \"\(path)\"'") }
    return ModuleDirective(kind: kind, path: path, metadata: metadata, range: range)
  }

  func metadataObject(_ expr: Expr, at range: SourceRange) throws(Diagnostic) -> JSONObject {
    guard let value = Parser.constant(expr) else {
      throw Diagnostic(.syntax, "Module metadata must be constant", at: range)
    }
    guard case .object(let object) = value else {
      throw Diagnostic(.syntax, "Module metadata must be an object", at: range)
    }
    return object
  }

  /// The value of an expression made only of constants (`{search: "./"}`), or nil.
  static func constant(_ expr: Expr) -> Value? {
    switch expr {
    case .literal(let value): return value
    case .string(let segments, nil):
      var text = ""
      for segment in segments {
        guard case .text(let part) = segment else { return nil }
        text += part
      }
      return .string(text)
    case .array(nil): return .array([])
    case .array(let inner?):
      var items: [Value] = []
      var pending = [inner]
      while let next = pending.popLast() {
        if case .comma(let a, let b) = next {
          pending.append(b)
          pending.append(a)
        } else {
          guard let item = constant(next) else { return nil }
          items.append(item)
        }
      }
      return .array(items)
    case .object(let entries):
      var object = JSONObject()
      for entry in entries {
        guard case .string(let key)? = constant(entry.key), let value = constant(entry.value) else { return nil }
        object[key] = value
      }
      return .object(object)
    case .negate(let inner, _):
      guard case .number(let number)? = constant(inner) else { return nil }
      return .number(Number(-number.double))
    default: return nil
    }
  }
}
