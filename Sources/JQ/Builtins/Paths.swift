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
        // As jq 1.8: a null on the way is null; anything else that cannot be indexed so is
        // the error indexing raises.
        let value: Value
        do {
          value = try interpreter.getpath(input, steps)
        } catch var error as JQError {
          if error.range == nil { error.range = range }
          throw error
        }
        try emit(value)
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
          guard case .array(let steps) = path else {
            throw JQError("Path must be specified as array, not \(path.typeName)", at: range)
          }
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
    // As jq 1.8 defines it: the key is the first truthy of key, Key, name and Name (else Name's
    // value), and must be a string; the value is value if the entry has it, else Value.
    t.unary("from_entries/0") { input, range in
      var object = JSONObject()
      let entries: [Value]
      switch input {
      case .array(let items): entries = items
      case .object(let members): entries = members.orderedValues
      default: throw JQError("Cannot iterate over \(describe(input))", at: range)
      }
      for entry in entries {
        var key: Value = .null
        for name in ["key", "Key", "name", "Name"] {
          key = try field(of: entry, name, range)
          if key.isTruthy { break }
        }
        guard case .string(let text) = key else {
          throw JQError("Cannot use \(describe(key)) as object key", at: range)
        }
        guard case .object(let fields) = entry else {
          throw JQError("Cannot check whether \(entry.typeName) has a string key", at: range)
        }
        object[text] = fields["value"] ?? fields["Value"] ?? .null
      }
      return .object(object)
    }
  }

  /// `entry.name`, as jq indexes it (null on null; an error on anything but an object).
  private static func field(of entry: Value, _ name: String, _ range: SourceRange) throws -> Value {
    switch entry {
    case .object(let fields): return fields[name] ?? .null
    case .null: return .null
    default: throw JQError("Cannot index \(entry.typeName) with string (\"\(name)\")", at: range)
    }
  }
}
