import Foundation
import TestSupport
import Testing

/// `nwsh sandbox` answers the docs' own curl commands with the docs' response shapes.
@Suite("nwsh sandbox, driven with curl")
struct SandboxCLITests {
  func curl(_ arguments: [String]) throws -> [String: Any] {
    let output = try Binary.run(["-sS"] + arguments, executable: "/usr/bin/curl")
    #expect(output.status == 0, "curl failed: \(output.stderr)")
    return try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as! [String: Any]
  }

  @Test("--rate-limits sets the sandbox's windows; its community outlives it unless --fresh")
  func rateLimitsAndMemory() throws {
    let sandbox = try SandboxProcess(["--rate-limits", "2/1h"])
    let key = "x-api-key: \(sandbox.key)"
    let path = "\(sandbox.url)/api/v1/global/tags/community"
    #expect(try curl([path, "--header", key])["error"] as? Bool == false)
    #expect(try curl([path, "--header", key])["error"] as? Bool == false)
    let third = try Binary.run(
      ["-s", "-o", "/dev/null", "-w", "%{http_code}", path, "--header", key], executable: "/usr/bin/curl")
    #expect(third.stdout == "429")
    let invite = [
      "\(sandbox.url)/api/v1/admin/community/addExternalUsers", "--header", key, "--data-urlencode",
      "email=m@example.org",
      "--data-urlencode", "name=M", "--data-urlencode", "roleId=69baa36beddb9f0012fdf101", "-d", "method=1",
    ]
    // The windows are used up; a second sandbox on the same state serves the same community.
    let again = try SandboxProcess(["--no-limits"], environment: ["XDG_STATE_HOME": sandbox.state])
    _ = try curl(
      invite.map { $0.replacingOccurrences(of: sandbox.url, with: again.url) }.map {
        $0 == key ? "x-api-key: \(again.key)" : $0
      })
    #expect(again.stop() == 0)
    let third2 = try SandboxProcess(["--no-limits"], environment: ["XDG_STATE_HOME": sandbox.state])
    let ledger = try curl(["\(third2.url)/_sandbox/ledger", "--header", "x-api-key: \(third2.key)"])
    #expect((ledger["data"] as? [Any])?.count == 1)
    #expect(third2.stop() == 0)
    let fresh = try SandboxProcess(["--fresh"], environment: ["XDG_STATE_HOME": sandbox.state])
    #expect(
      (try curl(["\(fresh.url)/_sandbox/ledger", "--header", "x-api-key: \(fresh.key)"])["data"] as? [Any])?.count == 0)
    #expect(fresh.stop() == 0)
    #expect(sandbox.stop() == 0)
  }

  @Test func docsCurlExamplesWorkVerbatim() throws {
    let sandbox = try SandboxProcess()
    defer { #expect(sandbox.stop() == 0) }
    let key = "x-api-key: \(sandbox.key)"

    // Roles List, as on the roles page.
    let roles = try curl(["--location", "\(sandbox.url)/api/v1/global/tags/community", "--header", key])
    #expect(roles["error"] as? Bool == false)
    #expect(roles["message"] as? String == "Success")
    let tags = roles["data"] as! [[String: Any]]
    #expect(Set(tags[0].keys) == ["tagId", "name", "description", "type"])
    #expect(tags.contains { $0["name"] as? String == "Architect " })

    // Send email invites: the page's request, twice; the second answer is the page's example.
    let invite = [
      "--location", "\(sandbox.url)/api/v1/admin/community/invites/emails", "--header", key,
      "--header", "Content-Type: application/json",
      "--data-raw",
      """
      {
        "users": [
          {
            "name": "Jane Doe",
            "tagId": "69baa36beddb9f0012fdf101",
            "email": "jane.doe@yopmail.com",
            "note": "We would love to have you join our community."
          }
        ],
        "monetizationPlanIds": []
      }
      """,
    ]
    let first = try curl(invite)
    #expect(first["message"] as? String == "Operation completed successfully")
    let success = ((first["data"] as! [String: Any])["success"] as! [[String: Any]])[0]
    #expect(success["email"] as? String == "jane.doe@yopmail.com")
    let created = success["data"] as! [String: Any]
    #expect(Set(created.keys) == ["inviteId", "email", "timeStamp", "user"])
    #expect(
      Set((created["user"] as! [String: Any]).keys) == ["userId", "name", "image", "location", "title", "industries"])
    let second = try curl(invite)
    let data = second["data"] as! [String: Any]
    #expect((data["success"] as! [Any]).isEmpty)
    #expect(((data["failure"] as! [[String: Any]])[0]["email"] as? String) == "jane.doe@yopmail.com")

    // Add New Users to Community, exactly as the page's curl (it sends a password with method 1).
    let added = try curl([
      "--location", "\(sandbox.url)/api/v1/admin/community/addExternalUsers", "--header", key,
      "--data-urlencode", "email=example9@yopmail.com", "--data-urlencode", "name=Example User 9",
      "--data-urlencode", "password=Aa1235678@", "--data-urlencode", "roleId=69baa36beddb9f0012fdf102",
      "--data-urlencode", "method=1",
    ])
    #expect(added["error"] as? Bool == false)
    #expect(Set((added["data"] as! [String: Any]).keys) == ["email", "inviteId", "timeStamp"])

    // Without the key: 401 with the envelope.
    let denied = try Binary.run(
      ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "\(sandbox.url)/api/v1/global/tags/community"],
      executable: "/usr/bin/curl")
    #expect(denied.stdout == "401")

    // The ledger shows exactly the two accepted operations, without the password.
    let ledger = try curl(["\(sandbox.url)/_sandbox/ledger", "--header", key])["data"] as! [[String: Any]]
    #expect(ledger.map { $0["email"] as? String } == ["jane.doe@yopmail.com", "example9@yopmail.com"])
    #expect(!String(describing: ledger).contains("Aa1235678@"))
  }
}
