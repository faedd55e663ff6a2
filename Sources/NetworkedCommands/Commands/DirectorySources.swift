import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// A source that emits rows fetched from the API; `fetch` calls `emit` for each value.
final class FetchSource: SourceStage {
  private let interruption: Interruption
  private let context: RunContext
  private let next: any Stage
  private let origin: Origin
  private let fetch: (_ emit: (Value) throws -> Void) throws -> Void

  init(
    run: RunContext, name: String, next: any Stage, fetch: @escaping (_ emit: (Value) throws -> Void) throws -> Void
  ) {
    self.interruption = run.interruption
    self.context = run
    self.next = next
    self.origin = Origin(source: name, line: 0)
    self.fetch = fetch
  }

  func push(_ item: Item) throws { try next.push(item) }
  func finish() throws { try next.finish() }

  func run() throws {
    var number = 0
    do {
      try fetch { value in
        if interruption.isSet { throw StopInput() }
        number += 1
        try next.push(.row(Row(value: value, number: number, origin: origin)))
      }
    } catch let error as NetworkedAPIError {
      // A refusal that stopped the run has been said (once, naming the key's source).
      if context.stop != nil { throw StopInput() }
      if error.code == .unauthorized || error.code == .forbidden {
        throw PipelineStop(
          status: .authentication, message: "nwsh: \(origin.source): the API refused the key: \(error)")
      }
      if error.cancelled { throw StopInput() }
      throw PipelineStop(status: .someFailed, message: "nwsh: \(origin.source): \(error)")
    }
    try next.finish()
  }
}

enum DirectorySources {
  /// `roles`: every role as `{tagId, name, description, type}` (and refreshes the cache `role()`
  /// and row validation use).
  static func roles(_ connection: NetworkedConnection, _ context: CommandContext) throws -> any Stage {
    FetchSource(run: context.run, name: "roles", next: context.next) { emit in
      let roles = try PacedCall.run(connection, method: "GET", path: NetworkedClient.Paths.roles) {
        client
          async throws(NetworkedAPIError) in try await client.roles()
      }
      connection.remember(roles: roles)
      for role in roles {
        var fields: [(String, Value)] = [("tagId", .string(role.tagId)), ("name", .string(role.name))]
        if let description = role.description { fields.append(("description", .string(description))) }
        if let type = role.type { fields.append(("type", .number(type))) }
        try emit(.object(JSONObject(fields)))
      }
    }
  }

  /// `members`: the community's members as sent, a page at a time (the next page is requested
  /// only when the rows of the last one have gone downstream; `take` stops the paging).
  static func members(_ connection: NetworkedConnection, _ context: CommandContext) throws -> any Stage {
    let pageSize = try context.value(of: APIFlags.pageSize) ?? 100
    guard (1...1000).contains(pageSize) else {
      throw Diagnostic(.usage, "--page-size must be from 1 to 1000", at: context.call.range)
    }
    var query: [QueryItem] = []
    if let keyword = try context.value(of: APIFlags.search) { query.append(QueryItem("keyword", keyword)) }
    if try context.value(of: APIFlags.inactive) { query.append(QueryItem("showInActive", "true")) }
    let finalQuery = query
    return FetchSource(run: context.run, name: "members", next: context.next) { emit in
      var start: Int? = 0
      while let from = start {
        let page = try PacedCall.run(connection, method: "GET", path: NetworkedClient.Paths.members) {
          client
            async throws(NetworkedAPIError) in
          try await client.membersPage(start: from, count: pageSize, query: finalQuery)
        }
        for member in page.members { try emit(Value(member.raw)) }
        start = page.nextStart
      }
    }
  }

  /// `plans`: the monetization plans as sent.
  static func plans(_ connection: NetworkedConnection, _ context: CommandContext) throws -> any Stage {
    FetchSource(run: context.run, name: "plans", next: context.next) { emit in
      let plans = try PacedCall.run(connection, method: "GET", path: NetworkedClient.Paths.plans) {
        client
          async throws(NetworkedAPIError) in try await client.plans()
      }
      for plan in plans { try emit(Value(plan.raw)) }
    }
  }

  /// The journalled command that stands for `path` when it may reach an endpoint that emails
  /// or adds people (`invite`, `add`), however it is spelled. It fails closed: the path is read
  /// as the most lenient server would (case, percent-escapes, `\\` for `/`, repeated or trailing
  /// slashes, `.` and `..`, `;params`, trailing dots and spaces, a query or fragment), anything
  /// under `…/community/invites` or naming `addExternalUser…` counts, and a path whose escapes do
  /// not decode, or decode to another escape, counts too. Nil for any other path.
  static func sendingCommand(for path: String) -> String? {
    let bare = String(path.prefix { $0 != "?" && $0 != "#" })
    guard let decoded = bare.removingPercentEncoding, !decoded.contains("%") else { return "invite or add" }
    var segments: [Substring] = []
    for raw in decoded.lowercased().replacingOccurrences(of: "\\", with: "/").split(separator: "/") {
      var segment = raw.prefix { $0 != ";" }
      while let last = segment.last, last == "." || last == " " || last == "\t", segment != "." && segment != ".." {
        segment = segment.dropLast()
      }
      switch segment {
      case "", ".": continue
      case "..": _ = segments.popLast()
      default: segments.append(segment)
      }
    }
    let normalized = "/" + segments.joined(separator: "/")
    if normalized.contains("/community/invites") { return "invite" }
    if normalized.contains("addexternaluser") { return "add-users" }
    return nil
  }

  /// `api METHOD PATH [--query EXPR] [--body EXPR] [--form]`: any documented endpoint, paced and
  /// authenticated like the rest; the response's JSON body is the one row.
  static func api(_ connection: NetworkedConnection, _ context: CommandContext) throws -> any Stage {
    guard let methodName = context.word(0), let method = HTTPMethod(rawValue: methodName.uppercased()) else {
      throw Diagnostic(
        .usage, "api needs a method: one of \(HTTPMethod.allCases.map(\.rawValue).joined(separator: ", "))",
        at: context.range(ofArgument: 0))
    }
    guard let path = context.word(1), path.hasPrefix("/") else {
      throw Diagnostic(
        .usage, "api needs a path starting with /, e.g. /api/v1/global/tags/community", at: context.range(ofArgument: 1)
      )
    }
    if method != .get, let command = sendingCommand(for: path) {
      // The two endpoints that email or add people go through the sender and its journal only:
      // a request here would reach people nobody recorded, so a re-run could reach them again.
      throw Diagnostic(
        .usage, "api \(method.rawValue) \(path) would reach people outside the journal: use \(command)",
        at: context.range(ofArgument: 1),
        hint: "read people.csv | \(command == "add-users" ? "add-users --method direct" : "invite")"
          + "   (each person once, recorded, paced, retried safely)")
    }
    if method != .get && context.run.value(of: NetworkedSettings.dryRun) {
      throw Diagnostic(.usage, "api \(method.rawValue) is not sent in a dry run", at: context.call.range)
    }
    func single(_ flag: CommandFlag<ShellCore.Expression?>) throws -> Value? {
      guard let expr = try context.value(of: flag) else { return nil }
      let values = try context.evaluate(expr)
      guard values.count == 1 else {
        throw Diagnostic(
          .usage, "--\(flag.name) must give exactly one value, got \(values.count)", at: context.range(of: flag))
      }
      return values[0]
    }
    var query: [QueryItem] = []
    if let value = try single(APIFlags.query) {
      guard case .object(let object) = value else {
        throw Diagnostic(.usage, "--query must be an object, e.g. {start: 0, count: 30}", at: context.call.range)
      }
      for (key, item) in object {
        query.append(QueryItem(key, item.stringValue ?? JSONWriter.compact(item)))
      }
    }
    var headers = HTTPHeaders()
    var body: [UInt8]?
    if let value = try single(APIFlags.body) {
      if try context.value(of: APIFlags.form) {
        guard case .object(let object) = value else {
          throw Diagnostic(.usage, "--form needs --body to be an object", at: context.call.range)
        }
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = Array(FormEncoding.encode(object.map { ($0.0, $0.1.stringValue ?? JSONWriter.compact($0.1)) }).utf8)
      } else {
        headers["Content-Type"] = "application/json"
        body = Array(JSONWriter.compact(value).utf8)
      }
    }
    let request = HTTPRequest(method: method, path: path, query: query, headers: headers, body: body)
    return FetchSource(run: context.run, name: "api", next: context.next) { emit in
      let client = try connection.client()
      let response = try PacedCall.run(connection, method: request.method.rawValue, path: request.path) {
        client
          async throws(NetworkedAPIError) in try await client.send(request)
      }
      if response.body.isEmpty { return try emit(.null) }
      do {
        // The body's bytes were scrubbed; a key spelled with \u escapes shows only once parsed.
        try emit(try JSONParser.parse(String(decoding: response.body, as: UTF8.self)).scrubbed(by: client.redactor))
      } catch let error as JSONParser.SyntaxError {
        throw PipelineStop(
          status: .someFailed,
          message: "nwsh: api: the response is not JSON (\(error.message)): \(NetworkedAPIError.excerpt(response.body))"
        )
      }
    }
  }
}
