import Foundation

/// What jq knows of its surroundings: `env`, `builtins`, `input`, `inputs`, `input_line_number`,
/// `input_filename`, `debug`, `stderr`, `now`, and the module system's `modulemeta`,
/// `get_search_list`, `get_prog_origin`, `get_jq_origin`.
extension Builtins {
  static func registerSystem(_ t: inout Registry) {
    t["env/0"] = { interpreter, _, _, _, _, emit in try emit(interpreter.environmentObject) }
    t.unary("builtins/0") { _, _ in builtinList }
    t["input_line_number/0"] = { interpreter, _, _, _, _, emit in
      try emit(.number(interpreter.currentOrigin.line))
    }
    // The next value of the program's input (what read would read), as jq's input/inputs.
    t["input/0"] = { interpreter, _, _, _, range, emit in
      guard let value = try interpreter.nextInput?() else { throw JQError("No more inputs", at: range) }
      try emit(value)
    }
    t["inputs/0"] = { interpreter, _, _, _, _, emit in
      while let value = try interpreter.nextInput?() { try emit(value) }
    }
    // The file the current row came from; null for standard input or rows made in the program.
    t["input_filename/0"] = { interpreter, _, _, _, _, emit in
      let source = interpreter.currentOrigin.source
      try emit(source.isEmpty || source == "<stdin>" || source.hasPrefix("<") ? .null : .string(source))
    }
    t["debug/0"] = { interpreter, _, input, _, _, emit in
      interpreter.debugOutput("[\"DEBUG:\",\(JSONWriter.compact(input))]")
      try emit(input)
    }
    t["stderr/0"] = { interpreter, _, input, _, _, emit in
      interpreter.debugOutput(JSONWriter.compact(input))
      try emit(input)
    }
    t["now/0"] = { interpreter, _, _, _, _, emit in try emit(.number(Number(interpreter.clock()))) }
    t["modulemeta/0"] = { interpreter, _, input, _, range, emit in
      guard case .string(let name) = input else {
        throw JQError("modulemeta input module name must be a string", at: range)
      }
      do {
        try emit(try interpreter.modules.metadata(of: name))
      } catch let diagnostic as Diagnostic {
        throw JQError(diagnostic.message, at: range)
      }
    }
    t["get_search_list/0"] = { interpreter, _, _, _, _, emit in
      try emit(.array(interpreter.modules.searchList.map(Value.string)))
    }
    t["get_prog_origin/0"] = { interpreter, _, _, _, _, emit in try emit(.string(interpreter.modules.programOrigin)) }
    t["get_jq_origin/0"] = { interpreter, _, _, _, _, emit in
      try emit(.string(interpreter.modules.executableDirectory))
    }
  }

  /// What `builtins` gives, made once: every builtin's `name/arity` but the private ones.
  static let builtinList: Value = .array(
    (Array(table.keys) + Array(Prelude.definitions.keys)).filter { !$0.hasPrefix("_") }.sorted().map(Value.string))
}
