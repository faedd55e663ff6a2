/// A community role (`GET /api/v1/global/tags/community`).
public struct Role: Sendable, Hashable, Decodable {
  /// The id that `tagId` and `roleId` take.
  public var tagId: String
  /// The name exactly as stored; may carry trailing spaces (the docs show `"Architect "`).
  public var name: String
  /// A description, often empty.
  public var description: String?
  /// 0 Admin, 1 Moderator, 2 Contributor, 3 Viewer; custom roles have others.
  public var type: Int?
}

/// A community member (`GET /api/v1/admin/community/users`).
public struct Member: Sendable, Hashable {
  /// The user's id.
  public var userId: String?
  /// The display name.
  public var name: String?
  /// The email.
  public var email: String?
  /// Whether the account is active.
  public var isActive: Bool?
  /// The role's `tagId` (`affiliatedTag.id`).
  public var roleId: String?
  /// The whole record as sent.
  public var raw: JSONValue

  init(raw: JSONValue) {
    self.raw = raw
    userId = raw["userId"]?.stringValue
    name = raw["name"]?.stringValue
    email = raw["email"]?.stringValue
    if case .bool(let active)? = raw["isActive"] { isActive = active }
    roleId = raw["affiliatedTag"]?["id"]?.stringValue
  }
}

/// One page of the members list.
public struct MembersPage: Sendable, Hashable {
  /// The members on this page.
  public var members: [Member]
  /// `totalUsers`, when sent.
  public var total: Int?
  /// Where the next page starts, or nil when this is the last page.
  public var nextStart: Int?
}

/// A monetization plan. The response shape is undocumented: the id and name are looked for
/// under common keys and the whole record is kept.
public struct Plan: Sendable, Hashable {
  /// `planId`, `_id` or `id`, whichever is present.
  public var id: String?
  /// `name` or `title`.
  public var name: String?
  /// The whole record as sent.
  public var raw: JSONValue

  init(raw: JSONValue) {
    self.raw = raw
    id = raw["planId"]?.stringValue ?? raw["_id"]?.stringValue ?? raw["id"]?.stringValue
    name = raw["name"]?.stringValue ?? raw["title"]?.stringValue
  }
}
