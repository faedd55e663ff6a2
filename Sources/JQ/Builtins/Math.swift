import Foundation

/// Numbers: the C math library's functions of one, two and three numbers (every one jq 1.8 has),
/// `frexp`, `modf`, `lgamma_r`, infinities and NaN.
extension Builtins {
  static func registerMath(_ t: inout Registry) {
    for (name, function) in mathFunctions { t.unary("\(name)/0", mathBody(function)) }
    for (name, function) in mathFunctions2 {
      t["\(name)/2"] = ternary { _, a, b, range in
        .number(Number(function(try number(a, range), try number(b, range))))
      }
    }
    t["fma/3"] = { interpreter, arguments, input, env, range, emit in
      try interpreter.withArguments(arguments, input, env) { values in
        let (x, y, z) = (try number(values[0], range), try number(values[1], range), try number(values[2], range))
        try emit(.number(Number(Foundation.fma(x, y, z))))
      }
    }
    t.unary("frexp/0") { input, range in
      var exponent: Int32 = 0
      let mantissa = Foundation.frexp(try number(input, range), &exponent)
      return .array([.number(Number(mantissa)), .number(Number(Double(exponent)))])
    }
    t.unary("modf/0") { input, range in
      var whole = 0.0
      let fraction = Foundation.modf(try number(input, range), &whole)
      return .array([.number(Number(fraction)), .number(Number(whole))])
    }
    t.unary("lgamma_r/0") { input, range in
      var sign: Int32 = 0
      let value = Foundation.lgamma_r(try number(input, range), &sign)
      return .array([.number(Number(value)), .number(Number(Double(sign)))])
    }
    t.unary("infinite/0") { _, _ in .number(Number(.infinity)) }
    t.unary("nan/0") { _, _ in .number(Number(.nan)) }
    // jq 1.8: false for anything but a number, never an error.
    t.unary("isinfinite/0") { input, _ in .bool(input.doubleValue?.isInfinite ?? false) }
    t.unary("isnan/0") { input, _ in .bool(input.doubleValue?.isNaN ?? false) }
    t.unary("isnormal/0") { input, _ in .bool(input.doubleValue?.isNormal ?? false) }
    t.unary("isfinite/0") { input, _ in .bool(input.doubleValue.map { !$0.isInfinite } ?? false) }
  }

  /// The number `value` holds, or jq's "… number required".
  static func number(_ value: Value, _ range: SourceRange) throws -> Double {
    guard case .number(let number) = value else { throw JQError("\(describe(value)) number required", at: range) }
    return number.double
  }

  /// A double as C converts it to an `int` (or a `long`) on the machines jq runs on: out of
  /// range or NaN is the type's smallest value.
  static func cInteger<T: FixedWidthInteger>(_ value: Double, as: T.Type) -> T {
    guard value.isFinite, let converted = T(exactly: value.rounded(.towardZero)) else { return T.min }
    return converted
  }

  /// `scalb(x; e)`: NaN unless `e` is a whole number (or infinite), as the C library has it.
  static func scalb(_ x: Double, _ e: Double) -> Double {
    if e.isNaN || (e.isFinite && e != e.rounded(.towardZero)) { return .nan }
    if e.isInfinite { return e > 0 ? x * .infinity : x * 0 }
    return Foundation.scalbn(x, Int(cInteger(e, as: Int32.self)))
  }

  /// The C library's functions of two numbers, as jq 1.8 defines them.
  static let mathFunctions2: [(String, @Sendable (Double, Double) -> Double)] = {
    var list: [(String, @Sendable (Double, Double) -> Double)] = []
    list.append(("pow", { Foundation.pow($0, $1) }))
    list.append(("atan2", { Foundation.atan2($0, $1) }))
    list.append(("fmin", { Foundation.fmin($0, $1) }))
    list.append(("fmax", { Foundation.fmax($0, $1) }))
    list.append(("copysign", { Foundation.copysign($0, $1) }))
    list.append(("drem", { Foundation.remainder($0, $1) }))
    list.append(("remainder", { Foundation.remainder($0, $1) }))
    list.append(("fdim", { Foundation.fdim($0, $1) }))
    list.append(("fmod", { Foundation.fmod($0, $1) }))
    list.append(("hypot", { Foundation.hypot($0, $1) }))
    list.append(("nextafter", { Foundation.nextafter($0, $1) }))
    list.append(("nexttoward", { Foundation.nextafter($0, $1) }))
    list.append(("ldexp", { Foundation.scalbn($0, Int(cInteger($1, as: Int32.self))) }))
    list.append(("scalb", { scalb($0, $1) }))
    list.append(("scalbln", { Foundation.scalbn($0, cInteger($1, as: Int.self)) }))
    list.append(("jn", { Foundation.jn(cInteger($0, as: Int32.self), $1) }))
    list.append(("yn", { Foundation.yn(cInteger($0, as: Int32.self), $1) }))
    return list
  }()

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
    list.append(("exp10", { Builtins.exp10($0) }))
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
    list.append(("logb", { Foundation.logb($0) }))
    list.append(("significand", { Foundation.significand($0) }))
    list.append(("acosh", { Foundation.acosh($0) }))
    list.append(("asinh", { Foundation.asinh($0) }))
    list.append(("atanh", { Foundation.atanh($0) }))
    list.append(("erf", { Foundation.erf($0) }))
    list.append(("erfc", { Foundation.erfc($0) }))
    list.append(("j0", { Foundation.j0($0) }))
    list.append(("j1", { Foundation.j1($0) }))
    list.append(("y0", { Foundation.y0($0) }))
    list.append(("y1", { Foundation.y1($0) }))
    return list
  }()

  /// The C library's `exp10` (a GNU extension Swift's Glibc module leaves out; jq calls it),
  /// found at run time; `pow(10, x)`, a last digit less exact, where there is none.
  static func exp10(_ x: Double) -> Double {
    guard let exp10 = cExp10 else { return Foundation.pow(10, x) }
    return exp10(x)
  }

  private static let cExp10: (@convention(c) (Double) -> Double)? = {
    #if canImport(Glibc)
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "exp10") else { return nil }
      return unsafeBitCast(symbol, to: (@convention(c) (Double) -> Double).self)
    #else
      return nil
    #endif
  }()
}
