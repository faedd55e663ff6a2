/// Path mode's builtins, assignment, and the value surgery behind them (`getpath`, `setpath`,
/// deleting paths). Each compiled filter evaluates itself as locations (``Filter/paths``); a
/// nil path marks a value that is not a location, an error as soon as something uses it as one.
extension Interpreter {
  /// Path mode of the Swift builtins that denote locations: nil for the others (their outputs
  /// are values, not locations).
  func nativePaths(
    _ key: String, _ arguments: [Filter], _ range: SourceRange, _ input: Value, _ path: [Value]?, _ frame: Frame,
    _ emit: EmitPath
  ) throws -> Void? {
    switch key {
    case "empty/0":
      return ()
    case "getpath/1":
      return try arguments[0].run(input, frame, self) { wanted in
        guard case .array(let steps) = wanted else { throw JQError("Path must be specified as an array", at: range) }
        // jq gets the value too, so a path that cannot be taken is an error here as well.
        let value = try self.getpath(input, steps)
        try emit(path.map { $0 + steps }, value)
      }
    case "first/1":
      let token = freshID()
      do {
        try arguments[0].paths(input, path, frame, self) { p, v in
          try emit(p, v)
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
      return ()
    case "last/1":
      var last: ([Value]?, Value)?
      try arguments[0].paths(input, path, frame, self) { last = ($0, $1) }
      if let (p, v) = last { try emit(p, v) }
      return ()
    case "limit/2":
      return try arguments[0].run(input, frame, self) { countValue in
        let count = Int(countValue.doubleValue ?? 0)
        guard count > 0 else { return }
        var seen = 0
        let token = self.freshID()
        do {
          try arguments[1].paths(input, path, frame, self) { p, v in
            seen += 1
            try emit(p, v)
            if seen >= count { throw StopSignal(token: token) }
          }
        } catch let stop as StopSignal where stop.token == token {}
      }
    case "recurse/0":
      return try recursePaths(input, path, emit)
    case "recurse/1":
      func walk(_ value: Value, _ at: [Value]?) throws {
        try emit(at, value)
        try arguments[0].paths(value, at, frame, self) { p, v in try walk(v, p) }
      }
      return try walk(input, path)
    default:
      return nil
    }
  }

  /// Every location `filter` denotes in `input`; an error if it yields something that is not one.
  func paths(_ filter: Filter, _ input: Value, _ frame: Frame, _ body: ([Value]) throws -> Void) throws {
    try filter.paths(input, [], frame, self) { path, value in
      guard let path else { throw JQError("Invalid path expression with result \(errorText(value))") }
      try body(path)
    }
  }
}
