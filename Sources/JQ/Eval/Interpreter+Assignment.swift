/// Assignment (`=`, `|=`, `+=` and the rest) through the locations a path expression denotes.
extension Interpreter {
  // MARK: Assignment

  func assign(
    _ op: String, _ lhs: Filter, _ rhs: Filter, _ range: SourceRange, _ input: Value, _ frame: Frame, _ emit: Emit
  ) throws {
    // `|=` finds its paths first; `=` and the arithmetic updates evaluate the right side first
    // (jq defines `a op= b` as `b as $x | a |= . op $x`), so a right side with no outputs
    // never looks at the paths (`"s" | .a *= empty` is empty, not an error).
    var found: [[Value]]?
    func located() throws -> [[Value]] {
      if let found { return found }
      var locations: [[Value]] = []
      try paths(lhs, input, frame) { locations.append($0) }
      found = locations
      return locations
    }
    switch op {
    case "|=":
      let locations = try located()
      // jq 1.8: paths whose update is empty are deleted together at the end, so deleting
      // one does not shift the others.
      var result = input
      var deletions: [[Value]] = []
      for location in locations {
        var replacement: Value?
        let token = freshID()
        do {
          try rhs.run(try getpath(result, location), frame, self) { value in
            replacement = value
            throw StopSignal(token: token)
          }
        } catch let stop as StopSignal where stop.token == token {}
        if let replacement {
          try setpathInPlace(&result, location[...], replacement)
        } else {
          deletions.append(location)
        }
      }
      try emit(deletions.isEmpty ? result : try deletePaths(result, deletions))
    case "=":
      try rhs.run(input, frame, self) { value in
        var result = input
        for location in try located() { try self.setpathInPlace(&result, location[...], value) }
        try emit(result)
      }
    default:
      try rhs.run(input, frame, self) { operand in
        var result = input
        for location in try located() {
          let old = try self.getpath(result, location)
          let new: Value
          if op == "//=" {
            new = old.isTruthy ? old : operand
          } else {
            new = try self.binary(BinaryOperator(rawValue: String(op.dropLast()))!, old, operand, range)
          }
          try self.setpathInPlace(&result, location[...], new)
        }
        try emit(result)
      }
    }
  }

  func getpath(_ value: Value, _ path: [Value]) throws -> Value {
    var current = value
    for step in path {
      if case .null = current { return .null }
      current = try index(current, step, nil)
    }
    return current
  }

  /// Puts `newValue` at `path` in `value`, changing its containers in place where nothing else
  /// holds them: an assignment to each of 50,000 elements (`.[] = 1`, `.[] |= f`) is linear, not
  /// a copy of the array per element. Long paths go through ``setpath(_:_:_:)``.
  func setpathInPlace(_ value: inout Value, _ path: ArraySlice<Value>, _ newValue: Value) throws {
    guard let step = path.first else {
      value = newValue
      return
    }
    guard path.count <= 64 else {
      value = try setpath(value, path, newValue)
      return
    }
    // No tuple of (value, step) here: it would hold a second reference to the container.
    if case .number(let number) = step, case .array(var array) = value {
      let position = try arrayPosition(number, count: array.count)
      guard position < array.count else {
        value = try setpath(.array(array), path, newValue)
        return
      }
      value = .null  // the array's only holder is now `array`: changed in place
      var child = array[position]
      array[position] = .null
      defer {
        array[position] = child
        value = .array(array)
      }
      try setpathInPlace(&child, path.dropFirst(), newValue)
      return
    }
    if case .string(let key) = step, case .object(var object) = value, var child = object[key] {
      value = .null
      object[key] = .null
      defer {
        object[key] = child
        value = .object(object)
      }
      try setpathInPlace(&child, path.dropFirst(), newValue)
      return
    }
    value = try setpath(value, path, newValue)
  }

  /// `value` with `newValue` at `path`: down the path once (collecting each container), then
  /// back up, each level rebuilt around the one below. No recursion, so a path 10,000 steps long
  /// needs no stack.
  func setpath(_ value: Value, _ path: ArraySlice<Value>, _ newValue: Value) throws -> Value {
    var containers: [Value] = []
    containers.reserveCapacity(path.count)
    var current = value
    for step in path {
      containers.append(current)
      current = try childForUpdate(current, step)
    }
    var result = newValue
    for (container, step) in zip(containers, path).reversed() {
      result = try place(result, in: container, at: step)
    }
    return result
  }

  /// What is at `step` in `value`, as an update sees it (missing is null), or jq's error for
  /// a step that cannot be taken there.
  private func childForUpdate(_ value: Value, _ step: Value) throws -> Value {
    switch (value, step) {
    case (.object(let object), .string(let key)): return object[key] ?? .null
    case (.null, .string), (.null, .number), (.null, .object): return .null
    case (.array(let array), .number(let number)):
      let position = try arrayPosition(number, count: array.count)
      return position < array.count ? array[position] : .null
    case (.array, .object(let bounds)), (.string, .object(let bounds)):
      // jq reads the slice first (its errors first), then refuses to update a string's.
      let child = try slice(value, bounds["start"], bounds["end"], nil, key: step)
      if case .string = value { throw JQError("Cannot update string slices") }
      return child
    case (.array, .array):
      throw JQError("Cannot update field at array index of array")
    default:
      _ = try index(value, step, nil)  // produces jq's error for the mismatch
      throw JQError("Cannot index \(value.typeName) with \(step.typeName)")
    }
  }

  /// An array index for an update: negative counts from the end; too far before the start or
  /// absurdly far after it is an error.
  private func arrayPosition(_ number: Number, count: Int) throws -> Int {
    if number.double.isNaN { throw JQError("Cannot set array element at NaN index") }
    var position = Int(max(-1e9, min(1e9, number.double.rounded(.towardZero))))
    if position < 0 {
      position += count
      if position < 0 { throw JQError("Out of bounds negative array index") }
    }
    if position > 100_000_000 { throw JQError("Array index too large") }
    return position
  }

  /// `container` with `child` put at `step` (the step was checked on the way down).
  private func place(_ child: Value, in container: Value, at step: Value) throws -> Value {
    switch (container, step) {
    case (.object(var object), .string(let key)):
      object[key] = child
      return .object(object)
    case (.null, .string(let key)):
      return .object(JSONObject([(key, child)]))
    case (.array, .number(let number)), (.null, .number(let number)):
      var array: [Value]
      if case .array(let existing) = container { array = existing } else { array = [] }
      let position = try arrayPosition(number, count: array.count)
      if position >= array.count { array += Array(repeating: .null, count: position - array.count + 1) }
      array[position] = child
      return .array(array)
    case (.array, .object(let bounds)), (.null, .object(let bounds)):
      var existing: [Value] = []
      if case .array(let items) = container { existing = items }
      // As jq's `jv_set`: the slice is read first, then what is put there checked.
      let (start, end) = try sliceBounds(existing.count, bounds["start"], bounds["end"])
      guard case .array(let items) = child else {
        throw JQError("A slice of an array can only be assigned another array")
      }
      existing.replaceSubrange(start..<end, with: items)
      return .array(existing)
    default:
      _ = try index(container, step, nil)
      throw JQError("Cannot index \(container.typeName) with \(step.typeName)")
    }
  }

  /// Deletes every path; later (deeper, higher-index) paths first so earlier ones stay valid.
  func deletePaths(_ value: Value, _ paths: [[Value]]) throws -> Value {
    var result = value
    // Resolve negative indices and slices against the value first, so sorting puts every
    // path after the ones it would shift.
    // A slice deleted whole is its positions, so that it and the other deletions from the same
    // array all count from the array as it was (jq deletes them in one pass).
    // A path under another one written the same way goes with it (jq groups the paths by their
    // keys as written, and does not look inside a key it deletes whole).
    var written = paths
    if Set(written.map(\.count)).count > 1 {
      let all = Set(written.map { Value.array($0) })
      written = written.filter { path in !(0..<path.count).contains { all.contains(.array(Array(path[..<$0]))) } }
    }
    let resolved = written.flatMap { canonical(value, $0[...]) }
    // Many deletions from one array or object (`del(.[] | select(…))`) in one pass each.
    if let grouped = try deleteGrouped(result, resolved.map { $0[...] }) { return grouped }
    for path in resolved.sorted(by: { Value.compare(.array($0), .array($1)) > 0 }) {
      result = try deletePath(result, path[...])
    }
    return result
  }

  /// `value` without the elements at `paths` (canonical: array positions not negative),
  /// each container rebuilt once: nested deletions first, then the members removed at this
  /// level in one pass. Nil when a path takes a step this does not handle (a slice, a step
  /// that does not fit the value): the one-by-one way then does it, with jq's errors.
  private func deleteGrouped(_ value: Value, _ paths: [ArraySlice<Value>]) throws -> Value? {
    guard paths.count > 1 else { return nil }
    if paths.contains(where: \.isEmpty) { return .null }
    switch value {
    case .null: return .null
    case .array(var array):
      var removed = Set<Int>()
      var nested: [Int: [ArraySlice<Value>]] = [:]
      for path in paths {
        guard case .number(let number) = path.first!, number.double >= 0 else { return nil }
        let position = Int(min(1e9, number.double.rounded(.towardZero)))
        guard position < array.count else { continue }
        if path.count == 1 { removed.insert(position) } else { nested[position, default: []].append(path.dropFirst()) }
      }
      // jq walks into a path under an element it also deletes (and reports what it finds
      // there): the one-by-one way does that.
      if nested.keys.contains(where: removed.contains) { return nil }
      for (position, rests) in nested {
        if rests.count == 1 {
          array[position] = try deletePath(array[position], rests[0])
        } else if let child = try deleteGrouped(array[position], rests) {
          array[position] = child
        } else {
          return nil
        }
      }
      if !removed.isEmpty {
        var kept: [Value] = []
        kept.reserveCapacity(array.count - removed.count)
        for (position, item) in array.enumerated() where !removed.contains(position) { kept.append(item) }
        array = kept
      }
      return .array(array)
    case .object(var object):
      var removed = Set<String>()
      var nested: [String: [ArraySlice<Value>]] = [:]
      var order: [String] = []
      for path in paths {
        guard case .string(let key) = path.first! else { return nil }
        guard object[key] != nil else { continue }
        if path.count == 1 {
          removed.insert(key)
        } else {
          if nested[key] == nil { order.append(key) }
          nested[key, default: []].append(path.dropFirst())
        }
      }
      for key in order where !removed.contains(key) {
        let rests = nested[key]!
        if rests.count == 1 {
          object[key] = try deletePath(object[key]!, rests[0])
        } else if let child = try deleteGrouped(object[key]!, rests) {
          object[key] = child
        } else {
          return nil
        }
      }
      if !removed.isEmpty {
        object = JSONObject(object.filter { !removed.contains($0.0) })
      }
      return .object(object)
    default:
      return nil
    }
  }

  /// `path` with negative array indices made positive (none when it points before an array),
  /// and a slice at its end as the positions it takes.
  private func canonical(_ value: Value, _ path: ArraySlice<Value>) -> [[Value]] {
    guard let step = path.first else { return [[]] }
    let rest = path.dropFirst()
    switch (value, step) {
    case (.array(let array), .number(let number)):
      var position = Int(max(-1e9, min(1e9, number.double.rounded(.towardZero))))
      if position < 0 { position += array.count }
      if position < 0 { return [] }
      let child = position < array.count ? array[position] : .null
      return canonical(child, rest).map { [.number(position)] + $0 }
    case (.array(let array), .object(let bounds)):
      // A slice jq refuses is left for the deletion to refuse, with jq's message.
      guard let (start, end) = try? sliceBounds(array.count, bounds["start"], bounds["end"]) else {
        return [[step] + rest]
      }
      if rest.isEmpty { return (start..<end).map { [.number($0)] } }
      let key = Value.object(JSONObject([("start", .number(start)), ("end", .number(end))]))
      return canonical(.array(Array(array[start..<end])), rest).map { [key] + $0 }
    case (.object(let object), .string(let key)):
      return canonical(object[key] ?? .null, rest).map { [step] + $0 }
    default:
      return [[step] + rest]
    }
  }

  private func deletePath(_ value: Value, _ path: ArraySlice<Value>) throws -> Value {
    guard let step = path.first else { return .null }
    let rest = path.dropFirst()
    switch (value, step) {
    case (.null, _): return .null
    case (.object(var object), .string(let key)):
      guard let child = object[key] else { return value }
      if rest.isEmpty { object[key] = nil } else { object[key] = try deletePath(child, rest) }
      return .object(object)
    case (.array(var array), .number(let number)):
      var position = Int(max(-1e9, min(1e9, number.double.rounded(.towardZero))))
      if position < 0 { position += array.count }
      guard position >= 0 && position < array.count else {
        if position < 0 { throw JQError("Out of bounds negative array index") }
        return value
      }
      if rest.isEmpty { array.remove(at: position) } else { array[position] = try deletePath(array[position], rest) }
      return .array(array)
    case (.array(var array), .object(let bounds)):
      let (start, end) = try sliceBounds(array.count, bounds["start"], bounds["end"])
      if rest.isEmpty {
        array.removeSubrange(start..<end)
        return .array(array)
      }
      let inner = try deletePath(.array(Array(array[start..<end])), rest)
      guard case .array(let items) = inner else { return value }
      array.replaceSubrange(start..<end, with: items)
      return .array(array)
    default:
      // What jq's `jv_dels` says of a key it cannot delete, or `jv_get` of a step it cannot take.
      guard rest.isEmpty else {
        _ = try index(value, step, nil)
        throw JQError("Cannot delete field at \(step.typeName) index of \(value.typeName)")
      }
      switch value {
      case .array: throw JQError("Cannot delete \(step.typeName) element of array")
      case .object: throw JQError("Cannot delete \(step.typeName) field of object")
      default: throw JQError("Cannot delete fields from \(value.typeName)")
      }
    }
  }
}
