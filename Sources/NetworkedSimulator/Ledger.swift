/// One invite or add the simulator accepted. Passwords are never kept, only whether one was set.
public struct LedgerEntry: Sendable, Hashable, Codable {
  /// Position in the ledger, from 1.
  public var seq: Int
  /// `invite` (the invites endpoint) or `add` (addExternalUsers).
  public var op: String
  /// The email as sent.
  public var email: String
  /// The name as sent.
  public var name: String
  /// The role's id (`tagId` for invites, `roleId` for adds).
  public var roleId: String
  /// The invite's note, if one was sent.
  public var note: String?
  /// `monetizationPlanIds` of an invite, or the `planId` of an add.
  public var planIds: [String]
  /// `addExternalUsers` method: 1 invite, 2 direct; nil for the invites endpoint.
  public var method: Int?
  /// Whether a password came with an add.
  public var passwordSet: Bool
  /// The invite created, if any.
  public var inviteId: String?
  /// The user created or attached.
  public var userId: String?
  /// When it was accepted, epoch milliseconds.
  public var timeStamp: Int64

  var json: [String: Any] {
    var object: [String: Any] = [
      "seq": seq, "op": op, "email": email, "name": name, "roleId": roleId, "planIds": planIds,
      "passwordSet": passwordSet, "timeStamp": timeStamp,
    ]
    if let note { object["note"] = note }
    if let method { object["method"] = method }
    if let inviteId { object["inviteId"] = inviteId }
    if let userId { object["userId"] = userId }
    return object
  }
}
