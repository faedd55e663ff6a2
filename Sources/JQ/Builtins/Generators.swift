import Foundation

/// `range`, `first`, `last`, `limit`, `isempty`, `repeat`, `recurse`: builtins with many outputs, all iterating on the heap.
extension Builtins {
  static func registerGenerators(_ t: inout Registry) {
    t["range/1"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.evaluate(arguments[0], input, env) { upper in
        guard case .number(let end) = upper else { throw JQError("Range bounds must be numeric") }
        // `range(0; $x)`: its start is jq's literal 0, which negates to 0, not -0.
        try Builtins.count(from: Number(0, literal: "0"), to: end.double, interpreter, emit)
      }
    }
    t["range/2"] = { interpreter, arguments, input, env, _, emit in
      try interpreter.evaluate(arguments[0], input, env) { lower in
        try interpreter.evaluate(arguments[1], input, env) { upper in
          guard case .number(let start) = lower, case .number(let end) = upper else {
            throw JQError("Range bounds must be numeric")
          }
          try Builtins.count(from: start, to: end.double, interpreter, emit)
        }
      }
    }
    // jq 1.8 defines it: `if $by > 0 then $init | while(. < $upto; . + $by) elif $by < 0 then
    // $init | while(. > $upto; . + $by) else empty end`, with jq's order and `+`.
    t["range/3"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { lower in
        try interpreter.evaluate(arguments[1], input, env) { upper in
          try interpreter.evaluate(arguments[2], input, env) { step in
            let direction = Value.compare(step, .number(0))
            guard direction != 0 else { return }
            var value = lower
            while Value.compare(value, upper) * direction < 0 {
              try interpreter.checkInterrupt()
              try emit(value)
              value = try interpreter.binary(.add, value, step, range)
            }
          }
        }
      }
    }
    t["first/1"] = { interpreter, arguments, input, env, _, emit in
      let token = interpreter.freshID()
      do {
        try interpreter.evaluate(arguments[0], input, env) { value in
          try emit(value)
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
    }
    t["last/1"] = { interpreter, arguments, input, env, _, emit in
      var last: Value?
      try interpreter.evaluate(arguments[0], input, env) { last = $0 }
      if let last { try emit(last) }
    }
    t["limit/2"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.evaluate(arguments[0], input, env) { countValue in
        guard let count = countValue.doubleValue else { throw JQError("Invalid limit: not a number", at: range) }
        if count < 0 { throw JQError("limit doesn't support negative count", at: range) }
        guard count > 0 else { return }
        var seen = 0.0
        let token = interpreter.freshID()
        do {
          try interpreter.evaluate(arguments[1], input, env) { value in
            seen += 1
            try emit(value)
            if seen >= count { throw StopSignal(token: token) }
          }
        } catch let stop as StopSignal where stop.token == token {}
      }
    }
    t["isempty/1"] = { interpreter, arguments, input, env, _, emit in
      let token = interpreter.freshID()
      var empty = true
      do {
        try interpreter.evaluate(arguments[0], input, env) { _ in
          empty = false
          throw StopSignal(token: token)
        }
      } catch let stop as StopSignal where stop.token == token {}
      try emit(.bool(empty))
    }
    // jq's `def repeat(f): def _repeat: f, _repeat; _repeat;` — f on the same input, forever.
    t["repeat/1"] = { interpreter, arguments, input, env, _, emit in
      while true {
        try interpreter.checkInterrupt()
        try interpreter.evaluate(arguments[0], input, env, emit)
      }
    }
    t["recurse/0"] = { interpreter, _, input, _, _, emit in try interpreter.recurse(input, emit) }
    // Depth first, parents first, on the heap: a chain of a million steps needs no stack. A
    // value with many children (more than `buffered`: `f` may never end) has the rest walked
    // as they come, after the ones kept, as jq's lazy recursion has it.
    t["recurse/1"] = { interpreter, arguments, input, env, _, emit in
      let buffered = 64
      func walk(_ start: Value) throws {
        var pending: [Value] = [start]
        while let value = pending.popLast() {
          try interpreter.checkInterrupt()
          try emit(value)
          var children: [Value] = []
          var streaming = false
          do {
            try interpreter.evaluate(arguments[0], value, env) { child in
              if streaming { return try walk(child) }
              children.append(child)
              if children.count > buffered {
                streaming = true
                let kept = children
                children = []
                for kept in kept { try walk(kept) }
              }
            }
          } catch let error as JQError {
            // The children before the error come out first, as jq's lazy recursion has it.
            for child in children { try walk(child) }
            throw error
          }
          pending.append(contentsOf: children.reversed())
        }
      }
      try walk(input)
    }
  }

  // jq's RANGE: the start itself first, then one more each time, until the value is not
  // below the end as C compares doubles (so a NaN bound never ends it, as in jq).
  static func count(from start: Number, to end: Double, _ interpreter: Interpreter, _ emit: Interpreter.Emit) throws {
    var value = start.double
    guard !(value >= end) else { return }
    try emit(.number(start))
    value += 1
    while !(value >= end) {
      try interpreter.checkInterrupt()
      try emit(.number(Number(value)))
      value += 1
    }
  }
}
