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
    session.jq.clock = { clock.now }
    session.register(commands(connection).map { refreshing($0, connection) }, group: "The Networked API")
    session.register(
      (JournalCommands.definitions(connection) + FunnelCommands.definitions(connection)
        + [ReportStage.definition(connection)]).map { refreshing($0, connection) },
      group: "Journal, results and the funnel")
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
    return connection
  }

  static func commands(_ connection: NetworkedConnection) -> [CommandDefinition] {
    [
      CommandDefinition(
        CommandSignature(
          "invite",
          summary: "Invite rows {name, email, tagId, note?} by email, many per request, paced by the rate windows.",
          flags: [
            APIFlags.batchSize.declaration, APIFlags.plans.declaration, APIFlags.note.declaration,
            APIFlags.dryRun.declaration, APIFlags.reinvite.declaration,
          ],
          examples: [
            "open people.csv | map {name, email, tagId: role(\"Member\")} | invite",
            "read | batch 50 | invite --note \"See you at the summit\"",
            "read | invite --dry-run",
          ]),
        role: .filter
      ) { context in
        let batchSize = try context.value(of: APIFlags.batchSize) ?? context.run.value(of: NetworkedSettings.batchSize)
        guard (1...1000).contains(batchSize) else {
          throw Diagnostic(
            .usage, "--batch-size must be from 1 to 1000",
            at: context.range(of: APIFlags.batchSize))
        }
        var planIds: [String]?
        if let expr = try context.value(of: APIFlags.plans) {
          let values = try context.evaluate(expr)
          planIds = try values.flatMap { value -> [String] in
            switch value {
            case .string(let id): return [id]
            case .array(let items) where items.allSatisfy({ $0.stringValue != nil }):
              return items.compactMap(\.stringValue)
            default:
              throw Diagnostic(
                .usage, "--plans must be plan ids (strings)",
                at: context.range(of: APIFlags.plans))
            }
          }
          // Checked before anything is sent, once the plans are known (plan("…") fetches them).
          if let plans = connection.knownPlans,
            let unknown = planIds?.first(where: { id in !plans.contains { $0.id == id } })
          {
            let known = plans.map { "\($0.name ?? "?") (\($0.id ?? "?"))" }.joined(separator: ", ")
            throw Diagnostic(
              .usage, "--plans: no plan has id \(unknown); the plans are: \(known)",
              at: context.range(of: APIFlags.plans))
          }
        }
        let note = try context.value(of: APIFlags.note).map {
          try context.rowEvaluator($0, op: "invite")
        }
        return InviteStage(
          run: context.run, connection: connection, next: context.next, batchSize: batchSize, planIds: planIds,
          note: note, dryRun: try context.run.value(of: NetworkedSettings.dryRun) || context.value(of: APIFlags.dryRun),
          reinvite: try context.run.value(of: NetworkedSettings.reinvite) || context.value(of: APIFlags.reinvite))
      },
      CommandDefinition(
        CommandSignature(
          "add-users",
          summary: "Add rows {name, email, roleId, planId?, password?} one request each: invite (default) or direct.",
          flags: [
            APIFlags.method.declaration, APIFlags.dryRun.declaration, APIFlags.addAgain.declaration,
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
        let method: AddMethod
        switch try context.value(of: APIFlags.method)?.lowercased() {
        case nil, "invite", "1": method = .invite
        case "direct", "2": method = .direct
        case let other?:
          throw Diagnostic(
            .usage, "--method must be invite or direct, got \(other)",
            at: context.range(of: APIFlags.method))
        }
        return AddStage(
          run: context.run, connection: connection, next: context.next, method: method,
          dryRun: try context.run.value(of: NetworkedSettings.dryRun) || context.value(of: APIFlags.dryRun),
          reinvite: try context.run.value(of: NetworkedSettings.reinvite) || context.value(of: APIFlags.addAgain))
      },
      CommandDefinition(
        CommandSignature(
          "roles", summary: "The community's roles as rows {tagId, name, description, type}.",
          examples: ["roles", "roles | .name"]),
        role: .source
      ) { context in
        return try DirectorySources.roles(connection, context)
      },
      CommandDefinition(
        CommandSignature(
          "members", summary: "The community's members as rows, fetched a page at a time.",
          flags: [
            APIFlags.pageSize.declaration, APIFlags.search.declaration, APIFlags.inactive.declaration,
          ],
          examples: ["members | .email", "members --search grace | take 1"]),
        role: .source
      ) { context in
        return try DirectorySources.members(connection, context)
      },
      CommandDefinition(
        CommandSignature("plans", summary: "The community's monetization plans as rows.", examples: ["plans"]),
        role: .source
      ) { context in
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
            APIFlags.query.declaration, APIFlags.body.declaration, APIFlags.form.declaration,
          ],
          examples: [
            "api GET /api/v1/global/tags/community | .data[]",
            "api GET /api/v1/admin/community/users --query {start: 0, count: 5}",
          ]),
        role: .source
      ) { context in
        return try DirectorySources.api(connection, context)
      },
    ]
  }

  /// `definition`, joining the run to the connection as its stage is made (the run's settings
  /// applied, its end handled: ``NetworkedConnection/enter(_:)``): the one place every command
  /// that may call the API does so.
  private static func refreshing(_ definition: CommandDefinition, _ connection: NetworkedConnection)
    -> CommandDefinition
  {
    var definition = definition
    let make = definition.make
    definition.make = { context in
      connection.enter(context.run)
      return try make(context)
    }
    return definition
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
        // Once per run, not per row: a stage made later applies settings changed meanwhile.
        if let run = connection.runInProgress, !run[NetworkedConnection.RunState.self].joined { connection.enter(run) }
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

/// The flags of the API commands, each declared once: the signatures list them, the commands
/// read their values through them.
enum APIFlags {
  static let batchSize = CommandFlag.integer(
    "batch-size", "invitees per request (default: the batch-size setting, \(NetworkedCommands.defaultBatchSize))")
  static let plans = CommandFlag.expression(
    "plans", "monetization plan ids for every invitee: a string or an array")
  static let note = CommandFlag.expression("note", "a note for rows that have none, e.g. \"Welcome, \\(.name)!\"")
  static let dryRun = CommandFlag.toggle("dry-run", "plan the requests without sending them")
  static let reinvite = CommandFlag.toggle("reinvite", "send even to emails already invited in an earlier run")
  static let addAgain = CommandFlag.toggle(
    "reinvite", "send even to emails already invited or added in an earlier run")
  static let method = CommandFlag.word("method", "invite (1, the default) or direct (2: needs password)")
  static let pageSize = CommandFlag.integer("page-size", "members per request (default 100)")
  static let search = CommandFlag.word("search", "only members whose name or email contains this")
  static let inactive = CommandFlag.toggle("inactive", "include inactive members")
  static let query = CommandFlag.expression("query", "query parameters as an object")
  static let body = CommandFlag.expression("body", "the request body (sent as JSON)")
  static let form = CommandFlag.toggle("form", "send --body form-encoded instead of JSON")
}
