import Foundation
import NetworkedCommands
import NetworkedSimulator
import NetworkedTesting
import ShellCore
import Testing

/// `api` reaches any endpoint, but not the two that email or add people: those go through the
/// sender and its journal, so nobody is reached twice by a request nobody recorded.
@Suite("api and the sending endpoints")
struct ApiRefusalTests {
  @Test("api POST to invites/emails or addExternalUsers, however spelled, is refused (64) and nothing is sent")
  func sendingEndpointsRefused() async throws {
    let spellings = [
      ("/api/v1/admin/community/invites/emails", "invite"),
      ("/API/V1/admin/community/invites/emails/", "invite"),
      ("//api/v1/admin/./community//invites/emails?x=1", "invite"),
      ("/api/v1/admin/community/members/../invites/%65mails", "invite"),
      ("/api/v1/admin/community/invites/emails;x=1", "invite"),
      ("/api/v1/admin/community/invites/emails.json", "invite"),
      ("/api/v1/admin/community\\invites\\emails", "invite"),
      ("/api/v1/admin/community/invites/emails. ", "invite"),
      ("/%ff/../api/v1/admin/community/invites/%65mails", "invite or add"),
      ("/api/v1/admin/community/invites/%2565mails", "invite or add"),
      ("/api/v1/admin/community/addExternalUsers", "add-users"),
      ("/api/v1/admin/community/addexternalusers#top", "add-users"),
      ("/api/v1/admin/community/addExternalUser", "add-users"),
    ]
    try await Harness.run { h in
      for (path, command) in spellings {
        for method in ["POST", "PUT", "patch"] {
          // The path as a quoted word of the program (its backslashes escaped).
          let quoted = path.replacingOccurrences(of: "\\", with: "\\\\")
          let outcome = try await h.run(#"api \#(method) "\#(quoted)" --body {emails: ["a@example.org"]}"#)
          #expect(outcome.status == .usage, "\(method) \(path)")
          #expect(
            outcome.stderr.contains("outside the journal: use \(command)"), "\(method) \(path): \(outcome.stderr)")
        }
      }
      #expect(h.simulator.receivedRequests.isEmpty)
      // Other endpoints are still the api command's, POST included.
      let other = try await h.run(#"api POST /api/v1/admin/community/users --body {}"#)
      #expect(!other.stderr.contains("outside the journal"))
      #expect(h.simulator.receivedRequests.count == 1)
    }
  }
}
