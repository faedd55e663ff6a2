import Foundation

/// Finds, reads and links jq modules, as jq does: `import "a" as foo;` finds `a.jq`,
/// `a/jq/main.jq` or `a/a.jq` in the search path and makes its functions `foo::name`;
/// `include "a";` makes them plain `name`; `import "data" as $d;` reads `data.json` into `$d`
/// and `$d::d`.
///
/// A module sees only the builtins, its own definitions and what it imports. Its definitions
/// are given names no program can write (`name@3`), and the importer gets `foo::name` (or
/// `name`) as a definition that calls that one, so nothing else of the module leaks into the
/// importer's scope. Each module file is read once per program, however often it is imported.
///
/// The search path of a directive is its metadata's `search` (a string or an array), then `.`
/// (the importing file's directory; for a program, where it was started), then the library
/// directories (`-L`, else jq's `~/.jq`, `$ORIGIN/../lib/jq`, `$ORIGIN/../lib`).
final class ModuleLoader {
  /// jq's library directories when no `-L` is given.
  static let defaultLibraryPaths = ["~/.jq", "$ORIGIN/../lib/jq", "$ORIGIN/../lib"]

  /// Directories given with `-L`, in order; nil: ``defaultLibraryPaths``.
  var libraryPaths: [String]?
  /// The home directory `~/` stands for.
  let home: String?
  /// The directory of the program being run (a script's, else the working directory): what `.`
  /// means in a program's directives, and `get_prog_origin`.
  var programOrigin: String
  /// The directory of the running executable: `$ORIGIN`, and `get_jq_origin` (looked up when
  /// first needed, not at start-up).
  lazy var executableDirectory: String = {
    let path =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return (path as NSString).deletingLastPathComponent
  }()
  private var nextID = 0
  /// The embedder's loader (``JQOptions/moduleLoader``), used instead of the file system.
  var custom: (any JQModuleLoader)?

  /// What linking a program's directives gives it, in order.
  enum Item: Sendable {
    /// A definition to make.
    case function(FunctionDefinition)
    /// A variable to bind (`$name`, without the `$`).
    case value(String, Value)
  }

  /// A loader with jq's default library directories, starting from `directory`.
  init(directory: String, home: String?) {
    programOrigin = directory
    self.home = home
  }

  /// The library directories, expanded: what `get_search_list` gives.
  var searchList: [String] { searchList(from: programOrigin) }

  /// What `directives` (at the top of a program in `origin`, by default ``programOrigin``) bring
  /// into it.
  func link(_ directives: [ModuleDirective], from origin: String? = nil) throws(Diagnostic) -> [Item] {
    let origin = origin ?? (custom == nil ? programOrigin : "")
    var linking = Linking(loader: self)
    for directive in directives {
      switch directive.kind {
      case .data(let alias):
        let value = try linking.data(directive, from: origin)
        linking.items.append(.value(alias, value))
        linking.items.append(.value("\(alias)::\(alias)", value))
      case .module(let alias):
        for (key, hidden) in try linking.module(directive, from: origin) {
          linking.items.append(.function(Self.forwarding("\(alias)::", key, to: hidden, at: directive.range)))
        }
      case .include:
        for (key, hidden) in try linking.module(directive, from: origin) {
          linking.items.append(.function(Self.forwarding("", key, to: hidden, at: directive.range)))
        }
      }
    }
    return linking.items
  }

  /// `body` inside what `items` define and bind (for a program compiled on its own).
  static func wrap(_ items: [Item], around body: Expr) -> Expr {
    items.reversed().reduce(body) { rest, item in
      switch item {
      case .function(let definition): .functionDefinition(definition, rest)
      case .value(let name, let value): .bind(.literal(value), [.variable(name)], rest)
      }
    }
  }

  /// `modulemeta`: the module's metadata with its `deps` (its directives) and `defs`.
  func metadata(of path: String) throws -> Value {
    let directive = ModuleDirective(
      kind: .include, path: path, metadata: nil, range: SourceRange(Source(name: "<modulemeta>", text: ""), 0, 0))
    let (file, text) =
      custom == nil
      ? (try find(directive, suffix: ".jq", from: programOrigin, defaultsOnly: true), nil)
      : try locate(directive, from: "")
    let module = try Self.parse(file, given: text)
    var object = module.header.metadata ?? JSONObject()
    object["deps"] = .array(module.header.directives.map(\.description))
    object["defs"] = .array(module.definitions.map { .string($0.key) })
    return .object(object)
  }

  // MARK: Finding

  /// The module a directive names: its file, or its name and text from the embedder's loader.
  func locate(_ directive: ModuleDirective, from origin: String) throws(Diagnostic) -> (String, String?) {
    guard let custom else { return (try find(directive, suffix: ".jq", from: origin), nil) }
    let found: (name: String, text: String)?
    do {
      found = try custom.module(directive.path, from: origin.isEmpty ? nil : origin)
    } catch {
      throw Diagnostic(.usage, "cannot load the module \(directive.path): \(error)", at: directive.range)
    }
    guard let found else { throw Diagnostic(.usage, "module not found: \(directive.path)", at: directive.range) }
    return (found.name, found.text)
  }

  /// The file a directive names, from a module (or program) in `origin`.
  func find(_ directive: ModuleDirective, suffix: String, from origin: String, defaultsOnly: Bool = false)
    throws(Diagnostic) -> String
  {
    let path = directive.path
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    if path.contains("\\") {
      throw Diagnostic(
        .usage, "Modules must be named by relative paths using '/', not '\\' (\(path))", at: directive.range)
    }
    if components.contains("..") {
      throw Diagnostic(
        .usage, "Relative paths to modules may not traverse to parent directories (\(path))", at: directive.range)
    }
    if zip(components, components.dropFirst()).contains(where: { $0 == $1 && !$0.isEmpty }) {
      throw Diagnostic(
        .usage, "module names must not have equal consecutive components: \(path)", at: directive.range)
    }
    var search: [String] = []
    if !defaultsOnly {
      switch directive.metadata?["search"] {
      case .string(let one)?: search.append(one)
      case .array(let many)?: search += many.compactMap(\.stringValue)
      default: break
      }
      search.append(".")
    }
    let directories = search.compactMap { expand($0, from: origin) } + searchList(from: origin)
    let base = components.last.map(String.init) ?? path
    for directory in directories {
      for candidate in ["\(path)\(suffix)", "\(path)/jq/main\(suffix)", "\(path)/\(base)\(suffix)"] {
        let file = (directory as NSString).appendingPathComponent(candidate)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue {
          return (file as NSString).standardizingPath
        }
      }
    }
    throw Diagnostic(
      .usage, "module not found: \(path)", at: directive.range,
      hint:
        "looked for \(path)\(suffix) in \(directories.isEmpty ? "no directory" : directories.joined(separator: ", "))"
        + (libraryPaths == nil ? "; add a directory with -L DIR" : ""))
  }

  /// The library directories as a module in `origin` sees them (relative ones start there).
  private func searchList(from origin: String) -> [String] {
    (libraryPaths ?? Self.defaultLibraryPaths).compactMap { expand($0, from: origin) }
  }

  /// A search path entry as a directory: `~/` is home, `$ORIGIN/` the executable's directory,
  /// `.` and other relative paths start from `origin`. Nil when `~` has no home.
  func expand(_ entry: String, from origin: String) -> String? {
    if entry == "~" || entry.hasPrefix("~/") {
      guard let home else { return nil }
      return home + entry.dropFirst()
    }
    if entry.hasPrefix("$ORIGIN/") { return executableDirectory + "/" + entry.dropFirst("$ORIGIN/".count) }
    if entry == "." { return origin }
    if entry.hasPrefix("/") { return entry }
    return (origin as NSString).appendingPathComponent(entry)
  }

  // MARK: Reading

  /// A module file, parsed: its header and definitions.
  struct ParsedModule {
    var header: ModuleHeader
    var definitions: [FunctionDefinition]
  }

  static func parse(_ file: String, given: String? = nil) throws(Diagnostic) -> ParsedModule {
    if let given { return try parse(file, text: given) }
    let text: String
    do {
      text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw Diagnostic(.usage, "cannot read the module \(file): \(error.localizedDescription)", at: nil)
    }
    return try parse(file, text: text)
  }

  /// The module `text`, named `file`, parsed.
  static func parse(_ file: String, text: String) throws(Diagnostic) -> ParsedModule {
    var parser = try Parser(Source(name: file, text: text))
    parser.moduleFile = file
    let header = try parser.parseModuleHeader(allowModule: true)
    var definitions: [FunctionDefinition] = []
    while true {
      while parser.current.kind == .newline || parser.current.is(";") { parser.index += 1 }
      guard parser.current.isWord("def") else { break }
      definitions.append(try parser.parseFunctionDefinition())
    }
    guard parser.current.kind == .end else {
      throw parser.unexpected(
        "a module holds only definitions (def name: …;)", hint: "a module cannot have a main expression")
    }
    return ParsedModule(header: header, definitions: definitions)
  }

  fileprivate func newID() -> Int {
    nextID += 1
    return nextID
  }

  /// A definition named `prefix` + the name in `key` (`name/arity`) that calls `hidden`.
  static func forwarding(_ prefix: String, _ key: String, to hidden: String, at range: SourceRange)
    -> FunctionDefinition
  {
    let slash = key.lastIndex(of: "/")!
    let name = String(key[..<slash])
    let parameters = (0..<(Int(key[key.index(after: slash)...]) ?? 0)).map { "p\($0)" }
    return FunctionDefinition(
      name: prefix + name, parameters: parameters,
      body: .call(hidden, parameters.map { .call($0, [], range) }, range), range: range)
  }
}

/// The state of one program's linking: the items made so far, and each module file read, by
/// path, with what it exports (`name/arity` → its hidden name).
private struct Linking {
  let loader: ModuleLoader
  var items: [ModuleLoader.Item] = []
  var modules: [String: [(key: String, hidden: String)]] = [:]
  var loading: [String] = []

  init(loader: ModuleLoader) { self.loader = loader }

  /// `import "path" as $name;`: every JSON value of the file, as an array.
  func data(_ directive: ModuleDirective, from origin: String) throws(Diagnostic) -> Value {
    if let custom = loader.custom {
      let found: [Value]?
      do {
        found = try custom.data(directive.path, from: origin.isEmpty ? nil : origin)
      } catch {
        throw Diagnostic(.usage, "error loading data file \(directive.path): \(error)", at: directive.range)
      }
      guard let found else { throw Diagnostic(.usage, "data file not found: \(directive.path)", at: directive.range) }
      return .array(found)
    }
    let file = try loader.find(directive, suffix: ".json", from: origin)
    guard let bytes = FileManager.default.contents(atPath: file) else {
      throw Diagnostic(.usage, "error loading data file \(file): cannot read it", at: directive.range)
    }
    do throws(JSONParser.SyntaxError) {
      return .array(try JSONParser.values(in: Array(bytes)))
    } catch {
      throw Diagnostic(.usage, "error loading data file \(file): \(error.message)", at: directive.range)
    }
  }

  /// Reads (once) the module a directive names and everything it needs; returns what it exports.
  mutating func module(_ directive: ModuleDirective, from origin: String) throws(Diagnostic) -> [(
    key: String, hidden: String
  )] {
    let (file, text) = try loader.locate(directive, from: origin)
    if let exports = modules[file] { return exports }
    if loading.contains(file) {
      throw Diagnostic(
        .usage, "circular import: \((loading + [file]).joined(separator: " imports "))", at: directive.range)
    }
    loading.append(file)
    defer { loading.removeLast() }
    let parsed = try ModuleLoader.parse(file, given: text)
    let directory = loader.custom == nil ? (file as NSString).deletingLastPathComponent : file
    let id = loader.newID()
    var renaming = Renaming(functions: [:], variables: [:])
    var exports: [(key: String, hidden: String)] = []
    func export(_ key: String, _ hidden: String) {
      exports.removeAll { $0.key == key }
      exports.append((key, hidden))
    }
    for dependency in parsed.header.directives {
      switch dependency.kind {
      case .data(let alias):
        let hidden = "\(alias)@\(id)"
        items.append(.value(hidden, try data(dependency, from: directory)))
        renaming.variables[alias] = hidden
        renaming.variables["\(alias)::\(alias)"] = hidden
      case .module(let alias):
        for (key, hidden) in try module(dependency, from: directory) { renaming.functions["\(alias)::\(key)"] = hidden }
      case .include:
        for (key, hidden) in try module(dependency, from: directory) {
          renaming.functions[key] = hidden
          export(key, hidden)
        }
      }
    }
    for definition in parsed.definitions {
      let hidden = "\(definition.name)@\(id)"
      renaming.functions[definition.key] = hidden
      var renamed = renaming.applyBody(of: definition)
      renamed.name = hidden
      items.append(.function(renamed))
      export(definition.key, hidden)
    }
    modules[file] = exports
    return exports
  }
}
