import Foundation

/// `path`, `getpath`, `setpath`, `delpaths`, `to_entries`, `from_entries`: values as locations and entries.
extension Builtins {
  static func registerPaths(_ t: inout Registry) {
    t["path/1"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.paths(arguments[0], input, env) { try emit(.array($0)) }
    }
    t["getpath/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { path in
        guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
        if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
        try emit((try? interpreter.getpath(input, steps)) ?? .null)
      }
    }
    t["setpath/2"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[1], input, env) { value in
        try interpreter.evaluate(arguments[0], input, env) { path in
          guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
          if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
          try emit(try interpreter.setpath(input, steps[...], value))
        }
      }
    }
    t["delpaths/1"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { paths in
        guard case .array(let list) = paths else { throw JQError("Paths must be specified as an array", at: range) }
        let steps = try list.map { path -> [Value] in
          guard case .array(let steps) = path else { throw JQError("Path must be specified as an array", at: range) }
          if steps.count > Value.depthLimit { throw JQError("Path too deep", at: range) }
          return steps
        }
        try emit(try interpreter.deletePaths(input, steps))
      }
    }
    t.unary("to_entries/0") { input, range in
      switch input {
      case .object(let object):
        return .array(object.map { key, value in .object(JSONObject([("key", .string(key)), ("value", value)])) })
      case .array(let items):
        return .array(
          items.enumerated().map { .object(JSONObject([("key", .number($0.offset)), ("value", $0.element)])) })
      default:
        throw JQError("\(describe(input)) has no keys", at: range)
      }
    }
    t.unary("from_entries/0") { input, range in
      var object = JSONObject()
      for entry in try array(input, "cannot be iterated over", range) {
        var key: Value = .null
        for name in ["key", "k", "name", "Name", "K", "Key"] {
          if let candidate = entry[name], candidate.isTruthy || name == "key" && candidate == .false {
            key = candidate
            break
          }
        }
        let value = entry["value"] ?? entry["v"] ?? entry["Value"] ?? entry["V"] ?? .null
        switch key {
        case .string(let text): object[text] = value
        case .number, .bool: object[JSONWriter.compact(key)] = value
        case .null: object["null"] = value
        default: throw JQError("Cannot use \(describe(key)) as object key", at: range)
        }
      }
      return .object(object)
    }
  }
}
