/// A level of nesting that has its own frame at run time: the session, a program, or the body
/// of a `def`. The compiler gives each variable of a level a slot.
final class Level {
  let depth: Int
  private(set) var slotCount = 0

  init(depth: Int) { self.depth = depth }

  /// A new slot in this level's frame.
  func allocate() -> Int {
    slotCount += 1
    return slotCount - 1
  }
}

/// What names mean where an expression is compiled: an immutable chain, innermost first.
final class Scope {
  enum Entry {
    /// `$name` in a slot of a level.
    case variable(String, Level, Int)
    /// A `def` (by `name/arity`), defined at a level (its body is one level deeper).
    case function(String, Function, Level)
    /// A filter parameter (`name/0`), in a slot of the function's level.
    case parameter(String, Level, Int)
    /// `label $name`, whose id is kept in a slot.
    case label(String, Level, Int)
  }

  let entry: Entry?
  let parent: Scope?

  init(_ entry: Entry?, parent: Scope?) {
    self.entry = entry
    self.parent = parent
  }

  /// Nothing defined.
  static var empty: Scope { Scope(nil, parent: nil) }

  func adding(_ entry: Entry) -> Scope { Scope(entry, parent: self) }

  /// The innermost binding of `$name`.
  func variable(_ name: String) -> (Level, Int)? {
    var scope: Scope? = self
    while let current = scope {
      if case .variable(let bound, let level, let slot)? = current.entry, bound == name { return (level, slot) }
      scope = current.parent
    }
    return nil
  }

  /// The innermost `def` or filter parameter named `key` (`name/arity`).
  func function(_ key: String) -> Entry? {
    var scope: Scope? = self
    while let current = scope {
      switch current.entry {
      case .function(let bound, _, _)? where bound == key: return current.entry
      case .parameter(let bound, _, _)? where bound == key: return current.entry
      default: break
      }
      scope = current.parent
    }
    return nil
  }

  /// The innermost `label $name`.
  func label(_ name: String) -> (Level, Int)? {
    var scope: Scope? = self
    while let current = scope {
      if case .label(let bound, let level, let slot)? = current.entry, bound == name { return (level, slot) }
      scope = current.parent
    }
    return nil
  }
}

/// A session's top-level bindings — `let` values and `def`s — and the frame that holds them at
/// run time. Expressions compiled in it can use them; it only grows (binding a name again adds
/// a new slot), so compiled expressions stay valid as the session goes on.
///
/// Threading: owned by its session; used on one thread at a time.
final class Bindings {
  let level = Level(depth: 0)
  let frame = Frame(parent: nil, size: 0)
  var scope = Scope.empty

  /// An environment with nothing bound.
  init() {}

  /// Binds `$name` to `value` (shadowing an earlier binding of the name).
  func bind(_ value: Value, to name: String) {
    let slot = level.allocate()
    frame.reserve(level.slotCount)
    frame.slots[slot] = .value(value)
    scope = scope.adding(.variable(name, level, slot))
  }

  /// Whether a `def` of `key` (`name/arity`) is in scope.
  func defines(_ key: String) -> Bool { scope.function(key) != nil }

}
