/// A JSON value as nwsh's language sees it: jq's data model.
///
/// Objects keep their keys in insertion order (as jq prints them); numbers remember the text
/// they were read from, so a value passed through unchanged prints exactly as it came in.
public enum Value: Sendable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number, with its source text when that text is not what printing the double would give.
  case number(Number)
  /// A string.
  case string(String)
  /// An array.
  case array([Value])
  /// An object.
  case object(JSONObject)

  /// `true`.
  public static let `true` = Value.bool(true)
  /// `false`.
  public static let `false` = Value.bool(false)

  /// A number value from a double.
  public static func number(_ double: Double) -> Value { .number(Number(double)) }
  /// A number value from an integer.
  public static func number(_ int: Int) -> Value { .number(Number(Double(int))) }

  /// jq's truthiness: everything but `null` and `false` is true.
  public var isTruthy: Bool {
    switch self {
    case .null, .bool(false): return false
    default: return true
    }
  }

  /// jq's type name: `null`, `boolean`, `number`, `string`, `array` or `object`.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }

  /// The member `key` when this is an object.
  public subscript(key: String) -> Value? {
    if case .object(let object) = self { return object[key] }
    return nil
  }

  /// Whether this is an object.
  public var isObject: Bool {
    if case .object = self { return true }
    return false
  }

  /// Whether this is an array.
  public var isArray: Bool {
    if case .array = self { return true }
    return false
  }

  /// The string, when this is one.
  public var stringValue: String? {
    if case .string(let string) = self { return string }
    return nil
  }

  /// The double, when this is a number.
  public var doubleValue: Double? {
    if case .number(let number) = self { return number.double }
    return nil
  }
}

/// A JSON number: an IEEE double plus, when it was read from text that the double would not
/// print back the same way (`1.0`, `1e2`, 20-digit ids), that text.
public struct Number: Sendable {
  /// The value used for arithmetic and comparison.
  public var double: Double
  /// The source text, kept for printing an unchanged number; nil for computed numbers.
  public var literal: String?

  /// A computed number.
  public init(_ double: Double) {
    self.double = double
    self.literal = nil
  }

  /// A number read from `literal`.
  public init(_ double: Double, literal: String?) {
    self.double = double
    self.literal = literal
  }

  /// The number as an exact integer, when it is one that a double holds exactly.
  public var exactInt: Int? {
    guard double.rounded(.towardZero) == double, abs(double) < 9.007_199_254_740_992e15 else { return nil }
    return Int(double)
  }
}

/// An object with keys in insertion order.
///
/// Small objects (rows, with their ten-odd keys) are one flat array of members searched
/// linearly, which beats hashing at that size; one array, so an object is one allocation and
/// copying it one retain. Past `hashThreshold` keys a hash index from key to position is kept
/// beside it, so building or reading a 100,000-key object stays linear. Keys compare as bytes,
/// as in jq ("é" composed and decomposed are different keys).
public struct JSONObject: Sendable, Sequence {
  /// One member.
  struct Member: Sendable {
    var key: String
    var value: Value
  }
  /// The members in insertion order.
  private(set) var members: [Member]
  /// Position of each key, kept only past `hashThreshold` keys.
  private var table: [ByteKey: Int]?

  /// How many keys an object holds before it keeps a hash index.
  static let hashThreshold = 16

  /// An empty object.
  public init() {
    members = []
  }

  /// An object with room for `capacity` members.
  public init(capacity: Int) {
    members = []
    members.reserveCapacity(capacity)
  }

  /// An object from pairs; a later duplicate key replaces the earlier value in its place.
  public init(_ pairs: [(String, Value)]) {
    self.init(capacity: pairs.count)
    for (key, value) in pairs { self[key] = value }
  }

  /// The number of members.
  public var count: Int { members.count }
  /// Whether it has no members.
  public var isEmpty: Bool { members.isEmpty }

  func index(of key: String) -> Int? {
    if let table { return table[ByteKey(key)] }
    // Byte comparison: jq keys are byte strings, and "é" composed ≠ decomposed.
    // Bytes that are equal make Swift's `==` true, and `==` is a word compare for short
    // strings and a memcmp for ASCII ones; only its rare canonical-equivalence matches need
    // the byte check.
    for index in members.indices where members[index].key == key {
      if sameBytes(members[index].key, key) { return index }
    }
    return nil
  }

  /// The value for `key`; setting nil removes it; setting a new key appends it.
  public subscript(key: String) -> Value? {
    get { index(of: key).map { members[$0].value } }
    set {
      if let index = index(of: key) {
        if let newValue {
          members[index].value = newValue
        } else {
          members.remove(at: index)
          rebuildTable()
        }
      } else if let newValue {
        appendUnchecked(key, newValue)
      }
    }
  }

  @inline(__always) private func sameBytes(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    var a = a
    var b = b
    return a.withUTF8 { x in b.withUTF8 { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
  }

  /// Adds a member read from JSON text: appended when new, replacing the earlier value when the
  /// key repeats (the last duplicate wins, as in jq).
  @inline(__always) mutating func insertParsed(_ key: String, _ value: Value) {
    if index(of: key) != nil {
      self[key] = value
    } else {
      appendUnchecked(key, value)
    }
  }

  /// Appends a member known not to be present (the parser checks duplicates itself).
  mutating func appendUnchecked(_ key: String, _ value: Value) {
    members.append(Member(key: key, value: value))
    if table != nil {
      table![ByteKey(key)] = members.count - 1
    } else if members.count > Self.hashThreshold {
      rebuildTable()
    }
  }

  private mutating func rebuildTable() {
    guard members.count > Self.hashThreshold else {
      table = nil
      return
    }
    var built = [ByteKey: Int](minimumCapacity: members.count * 2)
    for (position, member) in members.enumerated() { built[ByteKey(member.key)] = position }
    table = built
  }

  /// The keys in insertion order.
  public var orderedKeys: [String] { members.map(\.key) }
  /// The values in insertion order.
  public var orderedValues: [Value] { members.map(\.value) }
  /// The key of the member at `index` (0-based, insertion order).
  func key(at index: Int) -> String { members[index].key }
  /// The value of the member at `index`.
  func value(at index: Int) -> Value { members[index].value }

  /// Iterates `(key, value)` in insertion order.
  public func makeIterator() -> some IteratorProtocol<(String, Value)> {
    members.lazy.map { ($0.key, $0.value) }.makeIterator()
  }
}

/// A string hashed and compared by its UTF-8 bytes (Swift's own `String` equality is Unicode
/// canonical equivalence, which jq's keys do not follow).
struct ByteKey: Hashable, Sendable {
  let string: String
  init(_ string: String) { self.string = string }

  static func == (lhs: ByteKey, rhs: ByteKey) -> Bool {
    lhs.string.utf8.count == rhs.string.utf8.count && lhs.string.utf8.elementsEqual(rhs.string.utf8)
  }

  func hash(into hasher: inout Hasher) {
    var copy = string
    copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
