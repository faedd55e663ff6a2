import Foundation
import NetworkedAPI
import NetworkedSimulator
import TestSupport
import Testing

@Suite("Endpoints against the simulator")
struct EndpointTests {
  @Test func rolesListHasTheDocumentedRolesIncludingTheTrailingSpace() async throws {
    try await Sandbox.run { sandbox in
      let roles = try await sandbox.client.roles()
      #expect(roles.map(\.name) == ["Admin", "Moderator", "Contributor", "Viewer", "Architect ", "Member", "Alumni"])
      #expect(roles[0].tagId == "67959032bc6bea0012fdc675")
      #expect(roles[0].type == 0)
    }
  }

  @Test func invitesMapEveryEmailToItsOwnOutcome() async throws {
    try await Sandbox.run { sandbox in
      _ = try await sandbox.client.invite([Invitee(name: "Early", email: "early@example.com", tagId: Roles.admin)])
      let users = [
        Invitee(name: "Jane Doe", email: "jane@example.com", tagId: Roles.contributor, note: "Welcome!"),
        Invitee(name: "Bad", email: "jane@", tagId: Roles.contributor),
        Invitee(name: "  ", email: "noname@example.com", tagId: Roles.contributor),
        Invitee(name: "Who", email: "who@example.com", tagId: "000000000000000000000000"),
        Invitee(name: "Grace", email: "GRACE@example.com", tagId: Roles.contributor),
        Invitee(name: "Early again", email: "early@example.com", tagId: Roles.contributor),
        Invitee(name: "Blank", email: "", tagId: Roles.contributor),
        Invitee(name: "Ann", email: "ann@example.com", tagId: Roles.admin),
      ]
      let result = try await sandbox.client.invite(users)
      #expect(result.outcomes.count == users.count)
      func reasonCode(_ outcome: InviteOutcome) -> String? {
        if case .failed(let reason) = outcome { return reason["code"]?.stringValue }
        return nil
      }
      guard case .invited(let jane) = result.outcomes[0] else {
        Issue.record("jane not invited: \(result.outcomes[0])")
        return
      }
      #expect(jane.email == "jane@example.com")
      #expect(jane.inviteId?.count == 24)
      #expect(jane.userId?.count == 24)
      #expect(jane.timeStamp == sandbox.clock.now)
      #expect(reasonCode(result.outcomes[1]) == "invalid_email")
      #expect(reasonCode(result.outcomes[2]) == "invalid_name")
      #expect(reasonCode(result.outcomes[3]) == "unknown_tag")
      #expect(reasonCode(result.outcomes[4]) == "already_member")
      #expect(reasonCode(result.outcomes[5]) == "already_invited")
      #expect(result.outcomes[6] == .missing)  // the server skips rows without a usable email
      if case .invited = result.outcomes[7] {} else { Issue.record("ann: \(result.outcomes[7])") }
      #expect(result.unexpectedEmails.isEmpty)
      // The ledger holds exactly the two accepted invites of this call, after the first one.
      #expect(sandbox.simulator.ledger.map(\.email) == ["early@example.com", "jane@example.com", "ann@example.com"])
      #expect(sandbox.simulator.ledger[1].note == "Welcome!")
    }
  }

  @Test func inviteJSONOmitsOptionalKeysAndCarriesPlans() async throws {
    try await Sandbox.run { sandbox in
      _ = try await sandbox.client.invite([Invitee(name: "A", email: "a@example.com", tagId: Roles.admin)])
      _ = try await sandbox.client.invite(
        [Invitee(name: "B", email: "b@example.com", tagId: Roles.admin, note: "hi")],
        planIds: ["6801f0c2a1b2c3d4e5f60001"])
      let sent = sandbox.simulator.receivedRequests
      #expect(sent.count == 2)
      let first = try JSONSerialization.jsonObject(with: Data(sent[0].body)) as! [String: Any]
      #expect(Set(first.keys) == ["users"])
      let firstUser = (first["users"] as! [[String: Any]])[0]
      #expect(Set(firstUser.keys) == ["name", "email", "tagId"])
      let second = try JSONSerialization.jsonObject(with: Data(sent[1].body)) as! [String: Any]
      #expect(second["monetizationPlanIds"] as? [String] == ["6801f0c2a1b2c3d4e5f60001"])
      #expect(((second["users"] as! [[String: Any]])[0]["note"] as? String) == "hi")
      #expect(sent[0].headers["content-type"] == "application/json")
      #expect(sent[0].headers["x-api-key"] == "<redacted>")
      #expect(sent[0].headers["user-agent"] == "nwsh/\(NetworkedClient.version)")
      #expect(sandbox.simulator.ledger[1].planIds == ["6801f0c2a1b2c3d4e5f60001"])
    }
  }

  @Test func addUserEncodesTheFormExactly() async throws {
    try await Sandbox.run { sandbox in
      let name = "Zoë Ñúñez & Co = 1+1"
      let result = try await sandbox.client.addUser(
        AddUserRequest(email: "zoe+tag@example.com", name: name, roleId: Roles.contributor, method: .invite))
      guard case .invited(let email, let inviteId, let timeStamp) = result else {
        Issue.record("not invited: \(result)")
        return
      }
      #expect(email == "zoe+tag@example.com")
      #expect(inviteId?.count == 24)
      #expect(timeStamp == sandbox.clock.now)
      let request = try #require(sandbox.simulator.receivedRequests.last)
      #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
      #expect(
        request.bodyText
          == "email=zoe%2Btag%40example.com&name=Zo%C3%AB+%C3%91%C3%BA%C3%B1ez+%26+Co+%3D+1%2B1&roleId=\(Roles.contributor)&method=1"
      )
      #expect(sandbox.simulator.ledger.last?.name == name)
      #expect(sandbox.simulator.ledger.last?.method == 1)
    }
  }

  @Test func passwordIsSentOnlyWithDirectAdd() async throws {
    try await Sandbox.run { sandbox in
      _ = try await sandbox.client.addUser(
        AddUserRequest(email: "i@example.com", name: "I", roleId: Roles.admin, password: "s3cret!", method: .invite))
      #expect(sandbox.simulator.receivedRequests.last?.bodyText.contains("password") == false)
      let direct = try await sandbox.client.addUser(
        AddUserRequest(
          email: "d@example.com", name: "D", roleId: Roles.admin, planId: "6801f0c2a1b2c3d4e5f60002", password: "p w",
          method: .direct))
      #expect(direct == .added)
      #expect(sandbox.simulator.receivedRequests.last?.bodyText.contains("&password=p+w&") == true)
      let entry = try #require(sandbox.simulator.ledger.last)
      #expect(entry.passwordSet && entry.method == 2 && entry.planIds == ["6801f0c2a1b2c3d4e5f60002"])
      // A direct add makes a member, so inviting them now fails as already_member.
      let again = try await sandbox.client.invite([Invitee(name: "D", email: "d@example.com", tagId: Roles.admin)])
      if case .failed(let reason) = again.outcomes[0] {
        #expect(reason["code"]?.stringValue == "already_member")
      } else {
        Issue.record("expected failure, got \(again.outcomes[0])")
      }
    }
  }

  @Test func addUserValidationErrorsAreTyped() async throws {
    try await Sandbox.run { sandbox in
      await #expect(throws: NetworkedAPIError.self) {
        try await sandbox.client.addUser(
          AddUserRequest(email: "x@example.com", name: "X", roleId: "nope", method: .invite))
      }
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.addUser(
          AddUserRequest(email: "grace@example.com", name: "G", roleId: Roles.admin, method: .invite))
        Issue.record("expected a conflict")
      } catch {
        #expect(error.code == .conflict)
        #expect(error.status == 409)
        #expect(error.message.contains("already a member"))
      }
    }
  }

  @Test func membersArePagedLazily() async throws {
    try await Sandbox.run(configure: { $0.rateWindows = [] }) { sandbox in
      for index in 0..<7 {
        _ = try await sandbox.client.addUser(
          AddUserRequest(email: "m\(index)@example.com", name: "M \(index)", roleId: Roles.contributor, method: .direct)
        )
      }
      let before = sandbox.simulator.requestCount
      var emails: [String] = []
      for try await member in sandbox.client.members(pageSize: 3) { emails.append(member.email ?? "?") }
      #expect(emails.count == 11)  // 4 seeded + 7 added
      #expect(emails.last == "m6@example.com")
      #expect(sandbox.simulator.requestCount - before == 4)  // pages of 3: 3+3+3+2
      let targets = sandbox.simulator.receivedRequests.suffix(4).map(\.target)
      #expect(targets.first == "/api/v1/admin/community/users?start=0&count=3")
      #expect(targets.last == "/api/v1/admin/community/users?start=9&count=3")
      // Stopping early fetches no more pages.
      let start = sandbox.simulator.requestCount
      for try await _ in sandbox.client.members(pageSize: 3) { break }
      #expect(sandbox.simulator.requestCount - start == 1)
    }
  }

  @Test func plansAreDecodedLenientlyAndKeptWhole() async throws {
    try await Sandbox.run { sandbox in
      let plans = try await sandbox.client.plans()
      #expect(plans.map(\.id) == ["6801f0c2a1b2c3d4e5f60001", "6801f0c2a1b2c3d4e5f60002"])
      #expect(plans[0].raw["amount"] == .number(900))
    }
  }

  @Test func missingOrWrongKeyIsUnauthorized() async throws {
    try await Sandbox.run { sandbox in
      let wrong = try sandbox.client(key: "not-the-key")
      do throws(NetworkedAPIError) {
        _ = try await wrong.roles()
        Issue.record("expected 401")
      } catch {
        #expect(error.code == .unauthorized)
        #expect(error.status == 401)
      }
      let raw = try await rawRequest(
        sandbox.simulator.port, "GET /api/v1/global/tags/community HTTP/1.1\r\nHost: x\r\n\r\n")
      #expect(raw.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
      #expect(raw.hasSuffix("{\"error\":true,\"message\":\"Unauthorized: a valid x-api-key header is required\"}"))
    }
  }

  @Test func restrictedKeyIsForbiddenOnAdminEndpoints() async throws {
    try await Sandbox.run(configure: { $0.restrictedKeys = ["viewer-key"] }) { sandbox in
      let restricted = try sandbox.client(key: "viewer-key")
      let roles = try await restricted.roles()
      #expect(roles.count == 7)
      await #expect { try await restricted.members(pageSize: 5).first { _ in true } } throws: { error in
        (error as? NetworkedAPIError)?.code == .forbidden
      }
    }
  }

  @Test func unknownPathIsNotFound() async throws {
    try await Sandbox.run { sandbox in
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.send(HTTPRequest(method: .get, path: "/api/v1/nothing"))
        Issue.record("expected 404")
      } catch {
        #expect(error.code == .notFound)
      }
    }
  }
}
