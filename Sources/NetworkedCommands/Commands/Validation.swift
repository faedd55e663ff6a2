import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// Checks rows before any request is spent on them.
enum Validation {
  /// A reason a row cannot be sent.
  struct Problem: Error {
    var code: ErrorCode
    var message: String
  }

  /// Whether `text` is plausibly a deliverable address: one `@`, a non-empty local part
  /// without spaces or leading/trailing/double dots, a dotted domain of non-empty labels that
  /// do not start or end with `-`, 254 bytes at most. Deliberately simple: the server has the
  /// last word, this only keeps obvious typos from costing a request.
  static func isPlausibleEmail(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count <= 254, let at = bytes.firstIndex(of: UInt8(ascii: "@")),
      bytes.lastIndex(of: UInt8(ascii: "@")) == at
    else { return false }
    let local = bytes[..<at]
    let domain = bytes[(at + 1)...]
    guard !local.isEmpty, local.count <= 64, !domain.isEmpty else { return false }
    for byte in bytes where byte <= 0x20 || byte == 0x7F || "\"(),:;<>[\\]".utf8.contains(byte) { return false }
    if local.first == UInt8(ascii: ".") { return false }
    if local.last == UInt8(ascii: ".") { return false }
    if contains(local, "..") || contains(domain, "..") { return false }
    let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    guard labels.count >= 2 else { return false }
    for label in labels {
      guard !label.isEmpty, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
    }
    return true
  }

  private static func contains(_ bytes: ArraySlice<UInt8>, _ pair: String) -> Bool {
    let p = Array(pair.utf8)
    guard bytes.count >= 2 else { return false }
    var previous: UInt8?
    for byte in bytes {
      if previous == p[0] && byte == p[1] { return true }
      previous = byte
    }
    return false
  }

  /// The row's object, or the problem.
  static func object(_ row: Row) throws(Problem) -> Value {
    guard case .object = row.value else {
      throw Problem(code: .notAnObject, message: "expected an object with name and email, got \(row.value.typeName)")
    }
    return row.value
  }

  /// The trimmed `name`, without control characters (a CR or LF in a name could end up in the
  /// headers of the email the server sends).
  static func name(_ value: Value) throws(Problem) -> String {
    guard let name = value.text("name") else {
      throw Problem(
        code: .missingName, message: value["name"] == nil ? "no name field" : "name is empty or not a string")
    }
    if let bad = firstControl(in: name, allowing: []) {
      throw Problem(code: .controlCharacter, message: "the name contains a control character (\(bad)); remove it first")
    }
    return name
  }

  /// A note, if any: line breaks and tabs are fine in a message, other control characters
  /// (CR, escape sequences, NUL…) are not.
  static func note(_ text: String?) throws(Problem) -> String? {
    guard let text else { return nil }
    if let bad = firstControl(in: text, allowing: ["\n", "\t"]) {
      throw Problem(
        code: .controlCharacter,
        message: "the note contains a control character (\(bad)); only line breaks and tabs are allowed")
    }
    return text
  }

  /// The first C0/C1 control character or DEL in `text` outside `allowed`, spelled U+XXXX.
  static func firstControl(in text: String, allowing allowed: Set<Unicode.Scalar>) -> String? {
    for scalar in text.unicodeScalars where !allowed.contains(scalar) {
      let value = scalar.value
      if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
      }
    }
    return nil
  }

  /// The trimmed `email`, checked.
  static func email(_ value: Value) throws(Problem) -> String {
    guard let email = value.text("email") else {
      throw Problem(
        code: .missingEmail, message: value["email"] == nil ? "no email field" : "email is empty or not a string")
    }
    guard isPlausibleEmail(email) else {
      throw Problem(code: .invalidEmail, message: "\"\(email)\" is not an email address")
    }
    return email
  }

  /// The row's `planIds` (a plan id or an array of them), checked against the plans when they
  /// are known; nil when the row has none (null counts as none).
  static func planIds(_ value: Value, known plans: [Plan]?) throws(Problem) -> [String]? {
    let ids: [String]
    switch value["planIds"] {
    case nil, .null?: return nil
    case .string(let id)?: ids = [id]
    case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }): ids = items.compactMap(\.stringValue)
    case let other?:
      throw Problem(code: .unknownPlan, message: "planIds must be plan ids (strings), got \(other.typeName)")
    }
    if let plans, let unknown = ids.first(where: { id in !plans.contains { $0.id == id } }) {
      throw Problem(
        code: .unknownPlan,
        message: "no plan has id \(unknown); plans: "
          + plans.map { "\($0.name ?? "?") (\($0.id ?? "?"))" }.joined(separator: ", "))
    }
    return ids
  }

  /// A role id field (`tagId` for invites, `roleId` for adds; either is accepted), checked
  /// against the roles when they are known.
  static func roleId(_ value: Value, field: String, roles: [NetworkedAPIRole]?) throws(Problem) -> String {
    let other = field == "tagId" ? "roleId" : "tagId"
    guard let id = value.text(field) ?? value.text(other) else {
      throw Problem(
        code: .missingRole, message: "no \(field): give the role id, e.g. \(field): role(\"Member\")")
    }
    if let roles, !roles.contains(where: { $0.tagId == id }) {
      throw Problem(
        code: .unknownRole,
        message: "no role has id \(id); roles: "
          + roles.map { "\($0.shownName) (\($0.tagId))" }.joined(separator: ", "))
    }
    return id
  }
}

typealias NetworkedAPIRole = NetworkedAPI.Role
