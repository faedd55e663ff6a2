import Foundation
import JQ
import NetworkedAPI
import ShellCore

extension Value {
  /// The client's `JSONValue` as a pipeline value (objects keep sorted keys for stable output).
  init(_ json: JSONValue) {
    switch json {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .number(let n): self = .number(n)
    case .string(let s): self = .string(s)
    case .array(let items): self = .array(items.map(Value.init))
    case .object(let members):
      self = .object(JSONObject(members.sorted { $0.key < $1.key }.map { ($0.key, Value($0.value)) }))
    }
  }

  /// The value with every string and key scrubbed of the secrets `redactor` knows.
  func scrubbed(by redactor: Redactor) -> Value {
    guard !redactor.isEmpty else { return self }
    switch self {
    case .string(let text): return .string(redactor.scrub(text))
    case .array(let items): return .array(items.map { $0.scrubbed(by: redactor) })
    case .object(let object):
      return .object(JSONObject(object.map { (redactor.scrub($0.0), $0.1.scrubbed(by: redactor)) }))
    case .null, .bool, .number: return self
    }
  }

  /// A trimmed, non-empty string field.
  func text(_ key: String) -> String? {
    guard case .string(let s)? = self[key] else { return nil }
    let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty ? nil : trimmed
  }
}
