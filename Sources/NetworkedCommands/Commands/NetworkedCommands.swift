import Foundation
import JQ
import NetworkedAPI
public import ShellCore

/// The Networked commands — `invite`, `add-users`, `roles`, `members`, `plans`, `api`,
/// `journal`, `reconcile`, `report`, `pending`, `funnel` — the `role("Name")` and
/// `plan("Name")` functions, and their settings, added to a ShellCore `Session`.
///
/// ```swift
/// let session = Session()
/// let connection = NetworkedCommands.register(
///   in: session, configuration: NetworkedConfiguration(baseURL: .production, key: key))
/// session.run("open people.csv | map {name, email, tagId: role(\"Member\")} | invite", name: "<cli>")
/// ```
public enum NetworkedCommands {
  /// Rows per invites call when neither `batch N` nor `--batch-size` says otherwise.
  public static let defaultBatchSize = 100

  /// Registers the commands, settings and functions; returns the connection they share.
  @discardableResult
  public static func register(in session: Session, configuration: NetworkedConfiguration) -> NetworkedConnection {
    let connection = NetworkedConnection(configuration: configuration, session: session)
    for setting in NetworkedSettings.all { session.define(setting) }
    // `now` reads the clock the commands pace and journal by (a sandbox's, moved on, or a test's).
    let clock = configuration.clock
    session.interpreter.clock = { clock.now }
    session.register(commands(connection), group: "The Networked API")
    session.register(
      JournalCommands.definitions(connection) + FunnelCommands.definitions(connection)
        + [ReportStage.definition(connection)], group: "Journal, results and the funnel")
    session.alias("add", to: "add-users")
    defineRoleFunction(session, connection)
    definePlanFunction(session, connection)
    session.document(
      function: "role",
      "role(name): the tagId of the community's role with that name (trimmed, any case), for tagId or roleId; fetched once per session; an unknown name is an error listing the names"
    )
    session.document(
      function: "plan",
      "plan(name): the id of the monetization plan with that name (trimmed, any case), for invite --plans or planId; fetched once per session; an unknown name is an error listing the names"
    )
    session.atEndOfEveryRun { [weak connection] run, status in
      guard let connection else { return }
      // However the run ended (Ctrl-C included), no live progress line is left for the next
      // statement's results to run into.
      connection.progress.clear()
      connection.releaseClaims(of: run)
      // Results that could not be written are in the journal: say where.
      if status == .outputFailed || status == .outputClosed, connection.hasJournal(run) {
        run.diagnose(
          "nwsh: every request this run sent is in the journal: nwsh journal --run \(connection.runID(of: run)) "
            + "--results prints its results")
      }
    }
    return connection
  }

  static func commands(_ connection: NetworkedConnection) -> [CommandDefinition] {
    [
      CommandDefinition(
        CommandSignature(
          "invite",
          summary: "Invite rows {name, email, tagId, note?} by email, many per request, paced by the rate windows.",
          flags: [
            .init(
              "batch-size", .integer, "invitees per request (default: the batch-size setting, \(defaultBatchSize))"),
            .init("plans", .expression, "monetization plan ids for every invitee: a string or an array"),
            .init("note", .expression, "a note for rows that have none, e.g. \"Welcome, \\(.name)!\""),
            .init("dry-run", nil, "plan the requests without sending them"),
            .init("reinvite", nil, "send even to emails already invited in an earlier run"),
          ],
          examples: [
            "open people.csv | map {name, email, tagId: role(\"Member\")} | invite",
            "read | batch 50 | invite --note \"See you at the summit\"",
            "read | invite --dry-run",
          ]),
        role: .filter
      ) { context in
        connection.refreshSettings(context.run)
        let batchSize = try context.flagInteger("batch-size") ?? context.run.value(of: NetworkedSettings.batchSize)
        guard (1...1000).contains(batchSize) else {
          throw Diagnostic(
            .usage, "--batch-size must be from 1 to 1000",
            at: context.call.flags["batch-size"]?.range ?? context.call.range)
        }
        var planIds: [String]?
        if let expr = context.flagExpression("plans") {
          let values = try context.evaluate(expr)
          planIds = try values.flatMap { value -> [String] in
            switch value {
            case .string(let id): return [id]
            case .array(let items) where items.allSatisfy({ $0.stringValue != nil }):
              return items.compactMap(\.stringValue)
            default:
              throw Diagnostic(
                .usage, "--plans must be plan ids (strings)",
                at: context.call.flags["plans"]?.range ?? context.call.range)
            }
          }
          // Checked before anything is sent, once the plans are known (plan("…") fetches them).
          if let plans = connection.knownPlans,
            let unknown = planIds?.first(where: { id in !plans.contains { $0.id == id } })
          {
            let known = plans.map { "\($0.name ?? "?") (\($0.id ?? "?"))" }.joined(separator: ", ")
            throw Diagnostic(
              .usage, "--plans: no plan has id \(unknown); the plans are: \(known)",
              at: context.call.flags["plans"]?.range ?? context.call.range)
          }
        }
        let note = try context.flagExpression("note").map {
          try context.rowEvaluator($0, op: "invite")
        }
        return InviteStage(
          run: context.run, connection: connection, next: context.next, batchSize: batchSize, planIds: planIds,
          note: note, dryRun: context.run.value(of: NetworkedSettings.dryRun) || context.flag("dry-run"),
          reinvite: context.run.value(of: NetworkedSettings.reinvite) || context.flag("reinvite"))
      },
      CommandDefinition(
        CommandSignature(
          "add-users",
          summary: "Add rows {name, email, roleId, planId?, password?} one request each: invite (default) or direct.",
          flags: [
            .init("method", .word, "invite (1, the default) or direct (2: needs password)"),
            .init("dry-run", nil, "plan the requests without sending them"),
            .init("reinvite", nil, "send even to emails already invited or added in an earlier run"),
          ],
          examples: [
            "open staff.csv | map {name, email, roleId: role(\"Moderator\")} | add-users",
            "read | add-users --method direct",
          ],
          discussion: """
            Named add-users because `add` is jq's: `… | add` sums, as in jq, and never calls the API. \
            Written with a flag (`add --method direct`), add still means this command.
            """),
        role: .filter
      ) { context in
        connection.refreshSettings(context.run)
        let method: AddMethod
        switch context.flagWord("method")?.lowercased() {
        case nil, "invite", "1": method = .invite
        case "direct", "2": method = .direct
        case let other?:
          throw Diagnostic(
            .usage, "--method must be invite or direct, got \(other)",
            at: context.call.flags["method"]?.range ?? context.call.range)
        }
        return AddStage(
          run: context.run, connection: connection, next: context.next, method: method,
          dryRun: context.run.value(of: NetworkedSettings.dryRun) || context.flag("dry-run"),
          reinvite: context.run.value(of: NetworkedSettings.reinvite) || context.flag("reinvite"))
      },
      CommandDefinition(
        CommandSignature(
          "roles", summary: "The community's roles as rows {tagId, name, description, type}.",
          examples: ["roles", "roles | .name"]),
        role: .source
      ) { context in
        connection.refreshSettings(context.run)
        return try DirectorySources.roles(connection, context)
      },
      CommandDefinition(
        CommandSignature(
          "members", summary: "The community's members as rows, fetched a page at a time.",
          flags: [
            .init("page-size", .integer, "members per request (default 100)"),
            .init("search", .word, "only members whose name or email contains this"),
            .init("inactive", nil, "include inactive members"),
          ],
          examples: ["members | .email", "members --search grace | take 1"]),
        role: .source
      ) { context in
        connection.refreshSettings(context.run)
        return try DirectorySources.members(connection, context)
      },
      CommandDefinition(
        CommandSignature("plans", summary: "The community's monetization plans as rows.", examples: ["plans"]),
        role: .source
      ) { context in
        connection.refreshSettings(context.run)
        return try DirectorySources.plans(connection, context)
      },
      CommandDefinition(
        CommandSignature(
          "api", summary: "Call any endpoint with the same key and pacing; the JSON response is the row.",
          parameters: [
            .init("METHOD", .word, "GET, POST, PUT, PATCH or DELETE"),
            .init("PATH", .word, "e.g. /api/v1/global/tags/community"),
          ],
          flags: [
            .init("query", .expression, "query parameters as an object"),
            .init("body", .expression, "the request body (sent as JSON)"),
            .init("form", nil, "send --body form-encoded instead of JSON"),
          ],
          examples: [
            "api GET /api/v1/global/tags/community | .data[]",
            "api GET /api/v1/admin/community/users --query {start: 0, count: 5}",
          ]),
        role: .source
      ) { context in
        connection.refreshSettings(context.run)
        return try DirectorySources.api(connection, context)
      },
    ]
  }

  /// `plan("Supporter (monthly)")`: the id of the plan with that name, matched trimmed and
  /// without case; the plans are fetched once per session. An unknown name is an error naming
  /// those that exist; once fetched, `invite --plans` and `planId` are checked against them.
  static func definePlanFunction(_ session: Session, _ connection: NetworkedConnection) {
    defineNameLookup(session, connection, function: "plan", plural: "plans") {
      try connection.plans().compactMap { plan in plan.id.map { (plan.name ?? "", $0) } }
    }
  }

  /// `role("Member")`: the `tagId` of the role with that name, matched trimmed and without case;
  /// the roles are fetched once per session. An unknown name is an error naming those that exist.
  static func defineRoleFunction(_ session: Session, _ connection: NetworkedConnection) {
    defineNameLookup(session, connection, function: "role", plural: "roles") {
      try connection.roles().map { ($0.name, $0.tagId) }
    }
  }

  /// Defines `function(name)`: the id of the entry `fetch` lists under that name, compared
  /// trimmed and without case (the docs show a role named `"Architect "`). A failed fetch or an
  /// unknown name is an error at the call — but a refused key, or an API that cannot be reached,
  /// stops the run (``Stops``): the row gets the run's stop result, not an error of its own.
  private static func defineNameLookup(
    _ session: Session, _ connection: NetworkedConnection, function: String, plural: String,
    fetch: @escaping @Sendable () throws -> [(name: String, id: String)]
  ) {
    @Sendable func normalized(_ name: String) -> String {
      name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
    session.define(
      JQFunction(function, arity: 1) { _, arguments in
        guard case .string(let text) = arguments[0] else {
          throw JQError("\(function)(name) needs a string, got \(arguments[0].typeName)")
        }
        let entries: [(name: String, id: String)]
        do {
          entries = try fetch()
        } catch let error as NetworkedAPIError {
          if connection.sendingForbidden { throw EvaluationInterrupted() }
          throw JQError("\(function)(\"\(text)\"): could not fetch the \(plural): \(error)")
        }
        let wanted = normalized(text)
        guard let entry = entries.first(where: { normalized($0.name) == wanted }) else {
          let names = entries.map { "\"\($0.name.trimmingCharacters(in: .whitespacesAndNewlines))\"" }
          let listed = names.isEmpty ? "(none)" : names.joined(separator: ", ")
          throw JQError("no \(function) named \"\(text)\"; the \(plural) are: \(listed)")
        }
        return .string(entry.id)
      })
  }
}
