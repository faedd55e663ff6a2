import Foundation
import JQ
import NetworkedAPI
import ShellCore

extension JournalOperation {
  /// What was sent (or would be) for the person, as a result's fields after `email`: `name`,
  /// `tagId` (an invite) or `roleId` (an add), `role` (the role's name, when the roles are
  /// known), `note`, `planIds` or `planId`. Never a password. A result line is so a valid row
  /// for `invite` or `add-users` again, and `journal` shows the same.
  func resultFields(roles: [NetworkedAPIRole]?) -> [(String, Value)] {
    var fields: [(String, Value)] = [("name", .string(name)), (kind == .invite ? "tagId" : "roleId", .string(roleId))]
    if let role = roles?.name(of: roleId) { fields.append(("role", .string(role))) }
    if let note { fields.append(("note", .string(note))) }
    if let planIds { fields.append(("planIds", .array(planIds.map(Value.string)))) }
    if let planId { fields.append(("planId", .string(planId))) }
    return fields
  }
}

extension NetworkedAPIRole {
  /// The name as people write it: without the spaces around it (the docs show `"Architect "`).
  var shownName: String { name.trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension [NetworkedAPIRole] {
  /// The shown name of the role with id `tagId`, if it is one of these.
  func name(of tagId: String) -> String? { first { $0.tagId == tagId }?.shownName }
}
