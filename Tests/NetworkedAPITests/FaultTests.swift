import NetworkedAPI
import NetworkedSimulator
import Testing

@Suite("Injected faults surface as typed errors")
struct FaultTests {
  static let jane = [Invitee(name: "Jane", email: "jane@example.com", tagId: Roles.contributor)]

  func inviteError(_ sandbox: Sandbox) async -> NetworkedAPIError? {
    do throws(NetworkedAPIError) {
      _ = try await sandbox.client.invite(Self.jane)
      return nil
    } catch {
      return error
    }
  }

  @Test(arguments: [500, 502, 504])
  func serverErrorsAreServerErrors(status: Int) async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.status(status))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .serverError)
      #expect(error.status == status)
      #expect(sandbox.simulator.ledger.isEmpty)
    }
  }

  @Test func serverErrorAfterActingStillRecordsTheInvite() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.statusAfterActing(500))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .serverError)
      #expect(sandbox.simulator.ledger.count == 1)
    }
  }

  @Test(arguments: [
    ("7", RetryAfter.seconds(7)),
    ("Sun, 06 Nov 1994 08:49:37 GMT", RetryAfter.date(epochSeconds: 784_111_777)),
  ])
  func unavailableCarriesRetryAfter(header: String, expected: RetryAfter) async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.unavailable(retryAfter: header))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .serverError)
      #expect(error.status == 503)
      #expect(error.retryAfter == expected)
    }
  }

  @Test func rateLimitedWithoutRetryAfter() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.rateLimited(retryAfter: nil))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .rateLimited)
      #expect(error.retryAfter == nil)
    }
  }

  @Test func htmlBodyIsADecodingErrorWithAnExcerpt() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.body("<html><body>Bad gateway</body></html>", contentType: "text/html"))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .decoding)
      #expect(error.status == 200)
      #expect(error.bodyExcerpt == "<html><body>Bad gateway</body></html>")
      #expect(sandbox.simulator.ledger.count == 1)  // acted on, answer unusable: in doubt
    }
  }

  @Test func selfContradictoryBodyIsReportedAsSuch() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(
        .body(
          #"{"data":{"success":[{"email":"jane@example.com","data":{"inviteId":"x"}}],"failure":[{"email":"jane@example.com","error":{}}]},"error":false,"message":"ok"}"#,
          acting: false))
      let result = try await sandbox.client.invite(
        Self.jane + [Invitee(name: "Z", email: "z@example.com", tagId: Roles.admin)])
      guard case .contradictory(let receipt, let reason) = result.outcomes[0] else {
        Issue.record("got \(result.outcomes[0])")
        return
      }
      #expect(receipt.inviteId == "x")
      #expect(reason == .object([:]))
      #expect(result.outcomes[1] == .missing)
    }
  }

  @Test func unexpectedEmailsAreListed() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(
        .body(
          #"{"data":{"success":[],"failure":[{"email":"other@example.com","error":{}}]},"error":false}"#, acting: false)
      )
      let result = try await sandbox.client.invite(Self.jane)
      #expect(result.outcomes == [.missing])
      #expect(result.unexpectedEmails == ["other@example.com"])
    }
  }

  @Test func errorTrueIn200IsRejected() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.body(#"{"error":true,"message":"Nope"}"#, acting: false))
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .rejected)
      #expect(error.message == "Nope")
    }
  }

  @Test func truncatedBodyIsATransportErrorAfterSending() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.truncatedBody)
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .transport)
      #expect(error.requestWasSent)
      #expect(sandbox.simulator.ledger.count == 1)
    }
  }

  @Test func connectionClosedAfterActingIsInDoubt() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.closeAfterActing)
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .transport)
      #expect(error.requestWasSent)
      #expect(sandbox.simulator.ledger.map(\.email) == ["jane@example.com"])
    }
  }

  @Test func connectionClosedBeforeActingIsAlsoInDoubtForTheClient() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.closeBeforeActing)
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .transport)
      #expect(error.requestWasSent)  // the client cannot know the server did nothing
      #expect(sandbox.simulator.ledger.isEmpty)
    }
  }

  @Test func hangAfterActingTimesOut() async throws {
    try await Sandbox.run(timeout: 1) { sandbox in
      sandbox.simulator.inject(.hangAfterActing)
      let error = try #require(await inviteError(sandbox))
      #expect(error.code == .transport)
      #expect(error.timedOut && error.requestWasSent)
      #expect(sandbox.simulator.ledger.count == 1)
    }
  }

  @Test func delayedAnswerStillArrives() async throws {
    try await Sandbox.run(configure: { $0.sleep = { _ in } }) { sandbox in
      sandbox.simulator.inject(.delay(milliseconds: 50), path: "/api/v1/global")
      let roles = try await sandbox.client.roles()
      let result = try await sandbox.client.invite(Self.jane)
      #expect(roles.count == 7)
      #expect(result.outcomes.count == 1)
    }
  }

  @Test func faultsMatchTheirPathAndAreUsedOnce() async throws {
    try await Sandbox.run { sandbox in
      sandbox.simulator.inject(.status(500), path: NetworkedClient.Paths.invites)
      let roles = try await sandbox.client.roles()  // not matched
      #expect(roles.count == 7)
      #expect(await inviteError(sandbox)?.status == 500)
      #expect(await inviteError(sandbox) == nil)  // used up
    }
  }

  @Test func refusedConnectionWasNotSent() async throws {
    // Bind a simulator, note its port, stop it: nothing listens there now.
    let port = try await NetworkedSimulator.with(SimulatorConfiguration(apiKey: "k")) { $0.port }
    let client = NetworkedClient(baseURL: try BaseURL("http://127.0.0.1:\(port)"), key: APIKey("k")!)
    do throws(NetworkedAPIError) {
      _ = try await client.roles()
      Issue.record("expected a transport error")
    } catch {
      #expect(error.code == .transport)
      #expect(!error.requestWasSent)
    }
  }

  @Test func tooManyUsersIsPayloadTooLarge() async throws {
    try await Sandbox.run(configure: { $0.maxUsersPerInvite = 3 }) { sandbox in
      let users = (0..<4).map { Invitee(name: "U\($0)", email: "u\($0)@example.com", tagId: Roles.admin) }
      do throws(NetworkedAPIError) {
        _ = try await sandbox.client.invite(users)
        Issue.record("expected 413")
      } catch {
        #expect(error.code == .payloadTooLarge)
      }
      let result = try await sandbox.client.invite(Array(users.prefix(3)))
      #expect(result.outcomes.count == 3)
    }
  }
}
