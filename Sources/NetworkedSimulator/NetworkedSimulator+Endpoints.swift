import Foundation
import Synchronization

/// The endpoints the simulator answers, as the documentation and the live API describe them.
extension NetworkedSimulator {
  // MARK: Endpoints

  func invite(_ request: WireRequest, now: Int64) -> WireResponse {
    guard request.headers["content-type"]?.lowercased().hasPrefix("application/json") == true else {
      return Self.error(415, "Content-Type must be application/json")
    }
    guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
      return Self.error(400, "Body must be a JSON object")
    }
    guard let users = body["users"] as? [Any] else { return Self.error(400, "users must be an array") }
    if users.count > configuration.maxUsersPerInvite {
      return Self.error(413, "Too many users in one request (at most \(configuration.maxUsersPerInvite))")
    }
    var planIds: [String] = []
    if let plans = body["monetizationPlanIds"], !(plans is NSNull) {
      guard let list = plans as? [Any], list.allSatisfy({ $0 is String }) else {
        return Self.error(400, "monetizationPlanIds must be an array of strings")
      }
      planIds = list as! [String]
    }
    return state.withLock { state in
      for id in planIds where !state.community.hasPlan(id) {
        return Self.error(400, "Unknown monetization plan \(id)")
      }
      var success: [[String: Any]] = []
      var failure: [[String: Any]] = []
      for case let user as [String: Any] in users {
        // Rows without a usable email are skipped: they appear in neither list (as documented).
        guard let email = user["email"] as? String, !email.trimmingCharacters(in: .whitespaces).isEmpty else {
          continue
        }
        func fail(_ code: String, _ message: String) {
          failure.append(["email": email, "error": ["code": code, "message": message]])
        }
        let name = (user["name"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let tagId = user["tagId"] as? String ?? ""
        if !Community.isValidEmail(email) {
          fail("invalid_email", "Invalid email address")
        } else if name.isEmpty {
          fail("invalid_name", "Name is required")
        } else if tagId.isEmpty {
          fail("missing_tag", "tagId is required")
        } else if state.community.role(tagId) == nil {
          fail("unknown_tag", "No role with tagId \(tagId)")
        } else if let note = user["note"], !(note is String || note is NSNull) {
          fail("invalid_note", "note must be a string")
        } else if state.community.member(email) != nil {
          fail("already_member", "User is already a member of this community")
        } else if let earlier = state.community.invites[email.lowercased()], !configuration.acceptsDuplicates,
          now < (earlier.lastSent ?? earlier.timeStamp) + configuration.reminderAfter
        {
          fail("already_invited", "An invite was already sent to this email")
        } else {
          let earlier = state.community.invites[email.lowercased()]
          var invite = Community.Invite(
            inviteId: state.community.nextId(now: now), email: email, name: user["name"] as! String,
            roleId: tagId, timeStamp: now, userId: state.community.nextId(now: now))
          if let earlier, !configuration.acceptsDuplicates {
            // A reminder: the same invitee, first invited then.
            invite.timeStamp = earlier.timeStamp
            invite.userId = earlier.userId
            invite.lastSent = now
          }
          state.community.setInvite(invite)
          state.community.appendLedger(
            LedgerEntry(
              seq: 0, op: "invite", email: email, name: invite.name, roleId: tagId, note: user["note"] as? String,
              planIds: planIds, method: nil, passwordSet: false, inviteId: invite.inviteId, userId: invite.userId,
              timeStamp: now))
          success.append([
            "email": email,
            "data": [
              "inviteId": invite.inviteId, "email": email, "timeStamp": now,
              "user": [
                "userId": invite.userId, "name": invite.name, "image": "", "location": "", "title": "",
                "industries": [Any](),
              ] as [String: Any],
            ] as [String: Any],
          ])
        }
      }
      return Self.ok(["success": success, "failure": failure], message: "Operation completed successfully")
    }
  }

  func addUser(_ request: WireRequest, now: Int64) -> WireResponse {
    guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    else { return Self.error(415, "Content-Type must be application/x-www-form-urlencoded") }
    guard let pairs = FormDecoding.decode(String(decoding: request.body, as: UTF8.self)) else {
      return Self.error(400, "Malformed form body")
    }
    var fields: [String: String] = [:]
    for (name, value) in pairs where fields[name] == nil { fields[name] = value }
    let email = fields["email"] ?? ""
    let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    let roleId = fields["roleId"] ?? ""
    guard Community.isValidEmail(email) else { return Self.error(400, "Invalid email address") }
    guard !name.isEmpty else { return Self.error(400, "name is required") }
    guard let method = fields["method"], method == "1" || method == "2" else {
      return Self.error(400, "method must be 1 (invite) or 2 (direct)")
    }
    // The docs' own example sends a password with method 1 and succeeds: it is ignored there.
    // With method 2 an empty password is refused.
    if method == "2", let password = fields["password"], password.isEmpty {
      return Self.error(400, "password, when given, must not be empty")
    }
    return state.withLock { state in
      guard let role = state.community.role(roleId) else { return Self.error(400, "Unknown roleId \(roleId)") }
      if let planId = fields["planId"], !planId.isEmpty, !state.community.hasPlan(planId) {
        return Self.error(400, "Unknown planId \(planId)")
      }
      if state.community.member(email) != nil {
        return Self.error(409, "User is already a member of this community")
      }
      var entry = LedgerEntry(
        seq: 0, op: "add", email: email, name: fields["name"]!, roleId: role.tagId, note: nil,
        planIds: fields["planId"].map { $0.isEmpty ? [] : [$0] } ?? [], method: Int(method)!,
        passwordSet: method == "2" && fields["password"] != nil, inviteId: nil, userId: nil, timeStamp: now)
      if method == "1" {
        if state.community.invites[email.lowercased()] != nil && !configuration.acceptsDuplicates {
          return Self.error(409, "An invite was already sent to this email")
        }
        let invite = Community.Invite(
          inviteId: state.community.nextId(now: now), email: email, name: fields["name"]!, roleId: role.tagId,
          timeStamp: now, userId: state.community.nextId(now: now))
        state.community.setInvite(invite)
        entry.inviteId = invite.inviteId
        entry.userId = invite.userId
        state.community.appendLedger(entry)
        return Self.ok(
          ["email": email, "inviteId": invite.inviteId, "timeStamp": now], message: "Operation completed successfully")
      }
      let userId = state.community.nextId(now: now)
      state.community.removeInvite(email: email)
      state.community.addMember(.init(userId: userId, name: fields["name"]!, email: email, roleId: role.tagId))
      entry.userId = userId
      state.community.appendLedger(entry)
      return Self.json(200, ["error": false, "message": "Operation completed successfully"])
    }
  }

  func roles() -> WireResponse {
    state.withLock { state in
      Self.ok(
        state.community.roles.map { ["tagId": $0.tagId, "name": $0.name, "description": "", "type": $0.type] },
        message: "Success")
    }
  }

  func members(_ request: WireRequest) -> WireResponse {
    var query: [String: String] = [:]
    for (name, value) in request.query where query[name] == nil { query[name] = value }
    guard let start = Int(query["start"] ?? "0"), start >= 0, let count = Int(query["count"] ?? "30"), count > 0
    else { return Self.error(400, "start and count must be non-negative integers (count > 0)") }
    let keyword = query["keyword"]?.lowercased() ?? ""
    return state.withLock { state in
      let matching = state.community.members.filter {
        keyword.isEmpty || $0.name.lowercased().contains(keyword) || $0.email.lowercased().contains(keyword)
      }
      let page = matching.dropFirst(start).prefix(min(count, configuration.maxPageSize))
      let content: [[String: Any]] = page.map { member in
        [
          "name": member.name, "email": member.email, "image": "", "userId": member.userId,
          "industries": [Any](), "isActive": true,
          "affiliatedTag": ["id": member.roleId, "name": state.community.role(member.roleId)?.name ?? ""],
        ]
      }
      return Self.ok(
        [
          "totalUsers": matching.count, "start": start, "count": content.count,
          "nextStart": start + content.count < matching.count, "content": content,
        ], message: "Success")
    }
  }

  func plans() -> WireResponse {
    state.withLock { Self.ok($0.community.plans, message: "Success") }
  }
}
