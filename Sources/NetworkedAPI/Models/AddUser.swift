/// How `addExternalUsers` brings a user in.
public enum AddMethod: Int, Sendable, Hashable, CaseIterable {
  /// `1`: an invite is emailed to the user.
  case invite = 1
  /// `2`: the user is added at once and emailed credentials.
  case direct = 2
}

/// One call of `POST /api/v1/admin/community/addExternalUsers`.
public struct AddUserRequest: Sendable, Hashable {
  /// The user's email.
  public var email: String
  /// The user's name.
  public var name: String
  /// The role's `tagId`.
  public var roleId: String
  /// A plan to attach, when the community has plans.
  public var planId: String?
  /// A password to set; sent only with ``AddMethod/direct``, as the docs define it.
  public var password: String?
  /// Invite or direct add.
  public var method: AddMethod

  /// Creates a request.
  public init(
    email: String, name: String, roleId: String, planId: String? = nil, password: String? = nil,
    method: AddMethod
  ) {
    self.email = email
    self.name = name
    self.roleId = roleId
    self.planId = planId
    self.password = password
    self.method = method
  }

  /// The form fields in wire order; `password` only with `method = 2`, `planId` only when set.
  public var formFields: [(String, String)] {
    var fields = [("email", email), ("name", name)]
    if method == .direct, let password { fields.append(("password", password)) }
    fields.append(("roleId", roleId))
    if let planId { fields.append(("planId", planId)) }
    fields.append(("method", String(method.rawValue)))
    return fields
  }
}

/// What `addExternalUsers` answered (its two documented shapes, and a success that says the
/// work was already done).
public enum AddUserResult: Sendable, Hashable {
  /// `method = 1`: the invite that was created.
  case invited(email: String, inviteId: String?, timeStamp: Int64?)
  /// `method = 2`: the user was added (the response carries no data).
  case added
  /// A success (`"error": false`) whose message says nothing new happened: the user was
  /// already invited or a member (`"User already exists"`): a duplicate, not a new invitation.
  case alreadyDone(message: String)

  /// Whether a success `message` says the work was already done (it mentions "already").
  public static func saysAlreadyDone(_ message: String?) -> Bool {
    message?.lowercased().contains("already") == true
  }
}
