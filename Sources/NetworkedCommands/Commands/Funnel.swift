import Foundation
import JQ
import NetworkedAPI
import ShellCore

/// The invitation funnel: everyone this key's journal has invited (on any host sharing the
/// state), checked against the members list now — who joined, who is still pending.
///
/// The members list is fetched once, every page, and hashed by email: linear in both sizes.
/// The API's members carry no join date, so a person's join is when nwsh first saw them a
/// member (`pending` and `funnel` record it in the journal): days to join are as close as the
/// checks are frequent.
struct Funnel {
  /// One invited person.
  struct Person {
    var email: String
    /// The latest invite's operation (name, role, plans).
    var operation: JournalOperation
    var firstInvited: Double
    var lastInvited: Double
    var invites: Int
    /// The run of the first invite.
    var run: String
    /// When they were first seen a member, if they have been.
    var joined: Double?
    /// The journal entries of their invites.
    var entries: [Int64]

    /// Whether they are a member now.
    var isMember = false
  }

  let people: [Person]
  let now: Double

  /// The people `connection`'s journal invited, with who of them is a member now (the members
  /// list, fetched in full); records the first sight of each new member in the journal.
  static func load(_ connection: NetworkedConnection) throws -> Funnel {
    let (store, scope) = try connection.journal()
    let now = connection.configuration.clock.now
    var byEmail: [String: Person] = [:]
    var order: [String] = []
    // An answer journalled on an entry of its own (journal_conflict) is a second account of an
    // invitation another entry records: not an invitation of its own.
    for entry in try store.journalEntries(scope: scope, states: [.invited], now: now)
    where entry.error != .journalConflict {
      let key = entry.email.lowercased()
      let sent = entry.timeStamp.map { Double($0) / 1000 } ?? entry.created
      if var person = byEmail[key] {
        person.invites += 1
        if sent >= person.lastInvited {
          person.lastInvited = sent
          person.operation = entry.operation
        }
        if sent < person.firstInvited {
          person.firstInvited = sent
          person.run = entry.run
        }
        person.joined = [person.joined, entry.joined].compactMap { $0 }.min()
        person.entries.append(entry.id)
        byEmail[key] = person
      } else {
        order.append(key)
        byEmail[key] = Person(
          email: entry.email, operation: entry.operation, firstInvited: sent, lastInvited: sent, invites: 1,
          run: entry.run, joined: entry.joined, entries: [entry.id])
      }
    }
    var people = order.map { byEmail[$0]! }
    if !people.isEmpty {
      let members = try memberEmails(connection)
      var newlyJoined: [Int64] = []
      for index in people.indices where members.contains(people[index].email.lowercased()) {
        people[index].isMember = true
        if people[index].joined == nil {
          people[index].joined = now
          newlyJoined += people[index].entries
        }
      }
      try store.markJoined(newlyJoined, now: now)
    }
    return Funnel(people: people, now: now)
  }

  /// Every member's email, lower-cased, from every page of the members list.
  static func memberEmails(_ connection: NetworkedConnection) throws -> Set<String> {
    let cache = MembersCache(connection)
    if let emails = cache.read() { return emails }
    var emails: Set<String> = []
    var start: Int? = 0
    while let from = start {
      if connection.interruption.isSet { throw Interrupted() }
      let page = try PacedCall.run(connection, method: "GET", path: NetworkedClient.Paths.members) {
        client
          async throws(NetworkedAPIError) in
        try await client.membersPage(start: from, count: 100, query: [QueryItem("showInActive", "true")])
      }
      if from == 0, let total = page.total, total > 100 {
        // Say what the list will cost before it is spent: a page per request, under the windows.
        let pages = (total + 99) / 100
        connection.runInProgress?.diagnose(
          "nwsh: the members list: \(total) members, \(pages) pages (\(pages) requests, paced); kept for "
            + "\(Int(MembersCache.lifetime / 60)) minutes")
      }
      for member in page.members { if let email = member.email { emails.insert(email.lowercased()) } }
      start = page.nextStart
    }
    cache.write(emails)
    return emails
  }

  /// Those not members now whose latest invite is at least `olderThan` seconds old, as rows
  /// `{email, name, tagId, role, planIds, invitedAt, lastInvitedAt, days, invites, run}`:
  /// ready for `invite --reinvite`.
  func pending(olderThan: Double, roles: [NetworkedAPIRole]?) -> [Value] {
    people.filter { !$0.isMember && now - $0.lastInvited >= olderThan }.map { person in
      var fields: [(String, Value)] = [("email", .string(person.email))]
      fields += person.operation.resultFields(roles: roles).filter { $0.0 != "note" }
      if person.operation.planIds == nil { fields.append(("planIds", .array([]))) }
      fields += [
        ("invitedAt", .string(ISO8601.format(person.firstInvited))),
        ("lastInvitedAt", .string(ISO8601.format(person.lastInvited))),
        ("days", .number(Number(((now - person.lastInvited) / 86_400 * 10).rounded(.down) / 10))),
        ("invites", .number(person.invites)), ("run", .string(person.run)),
      ]
      return .object(JSONObject(fields))
    }
  }

  /// The summary: `{invited, joined, pending, conversion, medianDaysToJoin, byRole, byRun}`.
  func summary(roles: [NetworkedAPIRole]?) -> Value {
    func part(_ people: [Person]) -> [(String, Value)] {
      let joined = people.filter(\.isMember)
      let days = joined.compactMap { person in person.joined.map { max(0, $0 - person.firstInvited) / 86_400 } }
        .sorted()
      let median: Value =
        days.isEmpty
        ? .null
        : .number(
          Number(
            ((days.count % 2 == 1 ? days[days.count / 2] : (days[days.count / 2 - 1] + days[days.count / 2]) / 2)
              * 10).rounded() / 10))
      return [
        ("invited", .number(people.count)), ("joined", .number(joined.count)),
        ("pending", .number(people.count - joined.count)),
        (
          "conversion",
          people.isEmpty
            ? .null : .number(Number((Double(joined.count) / Double(people.count) * 1000).rounded() / 1000))
        ),
        ("medianDaysToJoin", median),
      ]
    }
    func grouped(_ key: (Person) -> String) -> Value {
      var order: [String] = []
      var groups: [String: [Person]] = [:]
      for person in people {
        let name = key(person)
        if groups[name] == nil { order.append(name) }
        groups[name, default: []].append(person)
      }
      return .object(JSONObject(order.map { ($0, .object(JSONObject(part(groups[$0]!)))) }))
    }
    let roleName: (Person) -> String = { person in
      roles?.name(of: person.operation.roleId) ?? person.operation.roleId
    }
    return .object(JSONObject(part(people) + [("byRole", grouped(roleName)), ("byRun", grouped(\.run))]))
  }
}

/// `pending` and `funnel`: the sources that read the funnel.
enum FunnelCommands {
  static let olderThanFlag = CommandFlag.text(
    "older-than", "only those whose latest invite is at least this old: 7d, 36h, 90m")
  static let tableFlag = CommandFlag.toggle("table", "aligned text instead of one JSON object")

  static func definitions(_ connection: NetworkedConnection) -> [CommandDefinition] {
    [
      CommandDefinition(
        CommandSignature(
          "pending",
          summary: "Who this key invited and has not joined: one row each, ready for invite --reinvite.",
          flags: [olderThanFlag.declaration],
          examples: ["pending", "pending --older-than 7d | invite --reinvite", "pending | count"],
          discussion: """
            Rows {email, name, tagId, role, planIds, invitedAt, lastInvitedAt, days, invites, run}: every \
            person the journal (this key's, shared state included) holds invited who is not in the \
            members list now. days counts from the latest invite. The members list is fetched in full \
            (a request per 100 members, paced like every request).
            """),
        role: .source
      ) { context in
        var olderThan = 0.0
        if let text = try context.value(of: olderThanFlag) {
          guard let seconds = TimeSpan.seconds(text) else {
            throw Diagnostic(
              .usage, "--older-than must be a length of time such as 7d, 36h or 90m, got \(text)",
              at: context.range(of: olderThanFlag))
          }
          olderThan = seconds
        }
        return FetchSource(run: context.run, name: "pending", next: context.next) { emit in
          let funnel = try Funnel.load(connection)
          for row in funnel.pending(olderThan: olderThan, roles: try? connection.roles()) { try emit(row) }
        }
      },
      CommandDefinition(
        CommandSignature(
          "funnel",
          summary: "Invited, joined, pending and conversion, with the median days to join, by role and by run.",
          flags: [tableFlag.declaration],
          examples: ["funnel", "funnel | .byRole", "funnel --table"],
          discussion: """
            One row {invited, joined, pending, conversion, medianDaysToJoin, byRole, byRun} from the \
            journal and the members list now. A join counts from the first time pending or funnel saw \
            the person a member (the members list carries no date), so check regularly for close figures.
            """),
        role: .source
      ) { context in
        let table = try context.value(of: tableFlag)
        return FetchSource(run: context.run, name: "funnel", next: context.next) { emit in
          let funnel = try Funnel.load(connection)
          let summary = funnel.summary(roles: try? connection.roles())
          if table {
            context.run.output.emit(.string(ReportText.renderFunnel(summary)), raw: true)
          } else {
            try emit(summary)
          }
        }
      },
    ]
  }
}
