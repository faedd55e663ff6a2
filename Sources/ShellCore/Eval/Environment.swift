/// A lexical scope: a chain of frames, each binding one variable, function or label.
/// Immutable once built, so scopes can be shared freely.
public final class Environment: @unchecked Sendable {
  enum Binding {
    case value(String, Value)
    /// A `def`: its closure scope is the frame itself, so it can call itself.
    case function(String, FunctionDefinition)
    /// A filter argument: `expression` runs in `scope` (the caller's).
    case closure(String, Expr, Environment)
    case label(String, Int)
  }

  let parent: Environment?
  let binding: Binding?

  init(parent: Environment?, binding: Binding?) {
    self.parent = parent
    self.binding = binding
  }

  /// The scope with nothing bound.
  public static let empty = Environment(parent: nil, binding: nil)

  /// This scope with `$name` bound to `value`.
  public func binding(value: Value, named name: String) -> Environment {
    Environment(parent: self, binding: .value(name, value))
  }

  /// The value of `$name`, if bound.
  public func lookupVariable(_ name: String) -> Value? {
    var frame: Environment? = self
    while let current = frame {
      if case .value(let bound, let value)? = current.binding, bound == name { return value }
      frame = current.parent
    }
    return nil
  }

  enum Callable {
    case function(FunctionDefinition, Environment)
    case closure(Expr, Environment)
  }

  /// Finds `name/arity`.
  func lookupFunction(_ key: String) -> Callable? {
    var frame: Environment? = self
    while let current = frame {
      switch current.binding {
      case .function(let bound, let definition)? where bound == key:
        return .function(definition, current)
      case .closure(let bound, let expr, let scope)? where bound == key:
        return .closure(expr, scope)
      default: break
      }
      frame = current.parent
    }
    return nil
  }

  func lookupLabel(_ name: String) -> Int? {
    var frame: Environment? = self
    while let current = frame {
      if case .label(let bound, let id)? = current.binding, bound == name { return id }
      frame = current.parent
    }
    return nil
  }

}
