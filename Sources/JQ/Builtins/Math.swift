import Foundation

/// Numbers: the C math library's one-argument functions, `pow`, `atan2`, `fmin`, `fmax`, infinities and NaN.
extension Builtins {
  static func registerMath(_ t: inout Registry) {
    for (name, function) in mathFunctions { t.unary("\(name)/0", mathBody(function)) }
    t["pow/2"] = ternary { _, a, b, range in
      guard let x = a.doubleValue, let y = b.doubleValue else { throw JQError("pow requires numbers", at: range) }
      return .number(Number(pow(x, y)))
    }
    t["atan2/2"] = ternary { _, a, b, range in
      guard let x = a.doubleValue, let y = b.doubleValue else { throw JQError("atan2 requires numbers", at: range) }
      return .number(Number(atan2(x, y)))
    }
    t["fmin/2"] = ternary { _, a, b, _ in .number(Number(fmin(a.doubleValue ?? .nan, b.doubleValue ?? .nan))) }
    t["fmax/2"] = ternary { _, a, b, _ in .number(Number(fmax(a.doubleValue ?? .nan, b.doubleValue ?? .nan))) }
    t.unary("infinite/0") { _, _ in .number(Number(.infinity)) }
    t.unary("nan/0") { _, _ in .number(Number(.nan)) }
    t.unary("isinfinite/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isInfinite)
    }
    t.unary("isnan/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isNaN)
    }
    t.unary("isnormal/0") { input, range in
      guard let d = input.doubleValue else { throw JQError("\(describe(input)) number required", at: range) }
      return .bool(d.isNormal)
    }
  }

  static let mathFunctions: [(String, @Sendable (Double) -> Double)] = {
    var list: [(String, @Sendable (Double) -> Double)] = []
    list.append(("floor", { Foundation.floor($0) }))
    list.append(("ceil", { Foundation.ceil($0) }))
    list.append(("round", { $0.rounded(.toNearestOrAwayFromZero) }))
    list.append(("sqrt", { Foundation.sqrt($0) }))
    list.append(("fabs", { Swift.abs($0) }))
    list.append(("log", { Foundation.log($0) }))
    list.append(("log2", { Foundation.log2($0) }))
    list.append(("log10", { Foundation.log10($0) }))
    list.append(("exp", { Foundation.exp($0) }))
    list.append(("exp2", { Foundation.exp2($0) }))
    list.append(("exp10", { Foundation.pow(10, $0) }))
    list.append(("sin", { Foundation.sin($0) }))
    list.append(("cos", { Foundation.cos($0) }))
    list.append(("tan", { Foundation.tan($0) }))
    list.append(("asin", { Foundation.asin($0) }))
    list.append(("acos", { Foundation.acos($0) }))
    list.append(("atan", { Foundation.atan($0) }))
    list.append(("sinh", { Foundation.sinh($0) }))
    list.append(("cosh", { Foundation.cosh($0) }))
    list.append(("tanh", { Foundation.tanh($0) }))
    list.append(("cbrt", { Foundation.cbrt($0) }))
    list.append(("trunc", { Foundation.trunc($0) }))
    list.append(("expm1", { Foundation.expm1($0) }))
    list.append(("log1p", { Foundation.log1p($0) }))
    list.append(("gamma", { Foundation.lgamma($0) }))
    list.append(("lgamma", { Foundation.lgamma($0) }))
    list.append(("tgamma", { Foundation.tgamma($0) }))
    list.append(("rint", { $0.rounded(.toNearestOrEven) }))
    list.append(("nearbyint", { $0.rounded(.toNearestOrEven) }))
    list.append(("logb", { $0 == 0 ? -.infinity : Foundation.floor(Foundation.log2(Swift.abs($0))) }))
    list.append(
      ("significand", { $0 == 0 ? 0 : $0 / Foundation.pow(2, Foundation.floor(Foundation.log2(Swift.abs($0)))) }))
    return list
  }()
}
