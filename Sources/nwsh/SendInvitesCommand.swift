import ArgumentParser
import Foundation
import NetworkedAPI
import NetworkedSimulator

/// `nwsh send-invites FILE`: invites a JSON-lines file in batches, one JSON result per row.
///
/// Interim: the job the pipeline language will express as `open FILE | … | batch N | invite`.
struct SendInvites: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send-invites",
    abstract: "Invite the rows of a JSON-lines file in batches (one JSON result per row).",
    discussion: """
      Each line is an object with "name", "email", and either "tagId" or "role" (a role name,
      matched case-insensitively and trimmed), and optionally "note". Results go to stdout in
      input order; a summary goes to stderr. The key comes from NETWORKED_API_KEY.
      """)

  @Argument(help: "A JSON-lines file, or - for standard input.")
  var file: String

  @Option(help: "Rows per request.")
  var batchSize = 100

  @Option(help: "API base URL (default: $NETWORKED_BASE_URL or https://backend.networked.co).")
  var baseURL: String?

  @Flag(help: "Run against an in-process simulator with the demo key.")
  var sandbox = false

  func validate() throws {
    guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…1000") }
  }

  func run() async throws {
    let text: String
    do {
      text = file == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        : try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw ValidationError("cannot read \(file): \(error.localizedDescription)")
    }
    if sandbox {
      let simulator = NetworkedSimulator(SimulatorConfiguration(apiKey: NetworkedSimulator.demoKey))
      try simulator.start()
      defer { simulator.shutdown() }
      try await invite(text, baseURL: try BaseURL(simulator.baseURL), key: APIKey(NetworkedSimulator.demoKey)!)
    } else {
      guard let key = ProcessInfo.processInfo.environment["NETWORKED_API_KEY"].flatMap(APIKey.init) else {
        throw ValidationError("set NETWORKED_API_KEY (or use --sandbox)")
      }
      let url = baseURL ?? ProcessInfo.processInfo.environment["NETWORKED_BASE_URL"]
      try await invite(text, baseURL: url.map { try BaseURL($0) } ?? .production, key: key)
    }
  }

  private func invite(_ text: String, baseURL: BaseURL, key: APIKey) async throws {
    let client = NetworkedClient(baseURL: baseURL, key: key)
    let roles = try await client.roles()
    var pending: [(row: Int, invitee: Invitee)] = []
    var counts: [String: Int] = [:]
    var batchNumber = 0

    func emit(_ fields: [(String, JSONValue)]) {
      if case .string(let status)? = fields.first(where: { $0.0 == "status" })?.1 { counts[status, default: 0] += 1 }
      print(ResultLine.render(fields))
    }
    func flush() async {
      guard !pending.isEmpty else { return }
      batchNumber += 1
      let batch = pending
      pending = []
      let outcome = await sendWithRetry(client, batch.map(\.invitee))
      for (index, item) in batch.enumerated() {
        var fields: [(String, JSONValue)] = [("row", .number(Double(item.row))), ("op", .string("invite"))]
        switch outcome {
        case .success(let result):
          fields += ResultLine.fields(for: result.outcomes[index], email: item.invitee.email)
        case .failure(let error):
          let doubt = error.requestWasSent && (error.code == .transport || error.code == .serverError || error.code == .decoding)
          fields += [
            ("status", .string(doubt ? "unknown" : "failed")), ("email", .string(item.invitee.email)),
            ("error", .object(["code": .string(doubt ? "in_doubt" : "api_error"), "message": .string(error.description)])),
          ]
        }
        fields.append(("batch", .number(Double(batchNumber))))
        emit(fields)
      }
    }

    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let row = index + 1
      if line.allSatisfy(\.isWhitespace) { continue }
      switch InputRow.parse(line, roles: roles) {
      case .success(let invitee):
        pending.append((row, invitee))
        if pending.count == batchSize { await flush() }
      case .failure(let problem):
        emit([
          ("row", .number(Double(row))), ("op", .string("invite")), ("status", .string("invalid")),
          ("error", .object(["code": .string(problem.code), "message": .string(problem.message)])),
        ])
      }
    }
    await flush()
    let summary = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    FileHandle.standardError.write(Data("nwsh: \(summary.isEmpty ? "no rows" : summary) in \(batchNumber) request(s)\n".utf8))
    if counts.keys.contains(where: { $0 != "invited" }) { throw ExitCode(1) }
  }

  /// Sends one batch; waits and retries only when the server said 429 (the request was refused).
  private func sendWithRetry(_ client: NetworkedClient, _ users: [Invitee]) async -> Result<InviteBatchResult, NetworkedAPIError> {
    var attempt = 0
    while true {
      attempt += 1
      do {
        return .success(try await client.invite(users))
      } catch where error.code == .rateLimited && attempt < 5 {
        let wait = error.retryAfter?.delay(fromEpochSeconds: Date().timeIntervalSince1970) ?? 60
        FileHandle.standardError.write(Data("nwsh: rate limited; waiting \(Int(wait))s\n".utf8))
        try? await Task.sleep(for: .seconds(wait))
      } catch {
        return .failure(error)
      }
    }
  }
}

/// Turns one JSON line into an invite row, or says why it cannot be one.
enum InputRow {
  struct Problem: Error {
    var code: String
    var message: String
  }

  static func parse(_ line: Substring, roles: [Role]) -> Result<Invitee, Problem> {
    guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)) else {
      return .failure(Problem(code: "bad_json", message: "not a JSON object"))
    }
    let name = object["name"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
    let email = object["email"]?.stringValue?.trimmingCharacters(in: .whitespaces) ?? ""
    guard !name.isEmpty else { return .failure(Problem(code: "missing_name", message: "name is empty")) }
    guard email.contains("@") else { return .failure(Problem(code: "invalid_email", message: "email \"\(email)\" is not an address")) }
    var tagId = object["tagId"]?.stringValue
    if tagId == nil, let roleName = object["role"]?.stringValue {
      let wanted = roleName.trimmingCharacters(in: .whitespaces).lowercased()
      tagId = roles.first { $0.name.trimmingCharacters(in: .whitespaces).lowercased() == wanted }?.tagId
      if tagId == nil {
        let names = roles.map { "\"\($0.name.trimmingCharacters(in: .whitespaces))\"" }.joined(separator: ", ")
        return .failure(Problem(code: "unknown_role", message: "no role \"\(roleName)\"; roles: \(names)"))
      }
    }
    guard let tagId else { return .failure(Problem(code: "missing_role", message: "give tagId or role")) }
    return .success(Invitee(name: name, email: email, tagId: tagId, note: object["note"]?.stringValue))
  }
}

/// One result object per input row, keys in a fixed, readable order.
enum ResultLine {
  static func fields(for outcome: InviteOutcome, email: String) -> [(String, JSONValue)] {
    switch outcome {
    case .invited(let receipt):
      var fields: [(String, JSONValue)] = [("status", .string("invited")), ("email", .string(email))]
      if let id = receipt.inviteId { fields.append(("inviteId", .string(id))) }
      if let id = receipt.userId { fields.append(("userId", .string(id))) }
      if let time = receipt.timeStamp { fields.append(("timeStamp", .number(Double(time)))) }
      return fields
    case .failed(let reason):
      return [
        ("status", .string("failed")), ("email", .string(email)),
        ("error", .object(["code": .string("api_failure"), "detail": reason])),
      ]
    case .missing:
      return [
        ("status", .string("unknown")), ("email", .string(email)),
        ("error", .object(["code": .string("in_doubt"), "message": .string("the server listed this email as neither invited nor failed")])),
      ]
    case .contradictory(_, let reason):
      return [
        ("status", .string("unknown")), ("email", .string(email)),
        ("error", .object(["code": .string("in_doubt"), "message": .string("the server listed this email as both invited and failed"), "detail": reason])),
      ]
    }
  }

  static func render(_ fields: [(String, JSONValue)]) -> String {
    "{" + fields.map { key, value in JSONValue.string(key).description + ":" + value.description }.joined(separator: ",") + "}"
  }
}
