import Foundation

/// `empty`, `not`, `error`, `halt`, `halt_error`: what stops or fails a program.
extension Builtins {
  static func registerControl(_ t: inout Registry) {
    t["empty/0"] = { _, _, _, _, _, _ in }
    t.unary("not/0") { input, _ in .bool(!input.isTruthy) }
    t["error/0"] = { _, _, input, _, range, _ in throw JQError(value: input, at: range) }
    t["error/1"] = { interpreter, arguments, input, env, range, _ in
      try interpreter.evaluate(arguments[0], input, env) { throw JQError(value: $0, at: range) }
    }
    t["halt/0"] = { _, _, _, _, _, _ in throw JQHalt(status: 0, message: nil) }
    t["halt_error/1"] = { interpreter, arguments, input, env, _, _ in
      try interpreter.evaluate(arguments[0], input, env) { code in
        throw JQHalt(status: Int32(code.doubleValue ?? 5), message: input)
      }
    }
  }
}
