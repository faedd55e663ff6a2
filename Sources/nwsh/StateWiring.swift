import ArgumentParser
import Dispatch
import Foundation
import NetworkedAPI
import NetworkedCommands
import NetworkedSimulator
import PostgresState
import ShellCore

/// Where the rate budget and the journal live: `--state`, else `NWSH_STATE`, else the
/// profile's `state`, else the SQLite file under `$XDG_STATE_HOME/nwsh`. A PostgreSQL URL
/// shares them between machines; its password comes from `NWSH_STATE` or the profile (never
/// from the command line, where every user of the machine could read it) or `PGPASSWORD`.
enum StateWiring {
  /// The location and the database password, if any.
  static func resolve(argument: String?, variables: [String: String], profile: String?) throws -> (
    location: StateLocation, password: String?
  ) {
    if let argument, case .postgres(let url) = StateLocation(argument), url.password != nil {
      throw ValidationError(
        "--state: a password on the command line is visible to every user of this machine; "
          + "put it in PGPASSWORD, or the whole URL in NWSH_STATE")
    }
    let text = argument ?? variables["NWSH_STATE"].flatMap { $0.isEmpty ? nil : $0 } ?? profile
    guard let text else {
      return (.file(SQLiteStateStore.defaultPath(environment: variables)), nil)
    }
    let location = StateLocation(text)
    guard case .postgres(let url) = location else { return (location, nil) }
    return (location, url.password ?? variables["PGPASSWORD"])
  }

  /// The opener for an environment: SQLite files, and PostgreSQL with `password`.
  static func opener(password: String?) -> @Sendable (StateLocation) throws -> any StateStore {
    { location in
      switch location {
      case .file: return try SQLiteStateStore.openStore(location)
      case .postgres(let url): return try PostgresStateStore(url: url, password: password)
      }
    }
  }
}

/// `nwsh state check`: where the state lives, whether it can be reached, its schema version.
struct StateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state", abstract: "Check where the rate budget and the journal are kept.",
    subcommands: [Check.self])

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Open the state (creating or migrating its schema) and print one JSON line about it.",
      discussion: """
        {"state":"postgres://nwsh@db.internal:5432/nwsh","kind":"postgresql","schema":1,"server":"PostgreSQL 15…","ms":4.1}
        Exit 0 when it is usable; 69 with {"error":…} when it cannot be reached or is newer than this nwsh.
        """)

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
      let wiring = try Wiring.make(connection.settings)
      defer { wiring.simulator?.shutdown() }
      let environment = wiring.environment
      let redactor = Redactor(secrets: wiring.secrets)
      let started = DispatchTime.now().uptimeNanoseconds
      var fields: [(String, Value)] = [("state", .string(environment.state.description))]
      do {
        let store = try environment.openState(environment.state)
        switch store {
        case let postgres as PostgresStateStore:
          let (schema, server) = try postgres.check()
          fields += [("kind", .string("postgresql")), ("schema", .number(Double(schema))), ("server", .string(server))]
        default:
          fields += [("kind", .string("sqlite"))]
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        fields.append(("ms", .number((elapsed * 10).rounded() / 10)))
        print(JSONWriter.compact(.object(JSONObject(fields))))
      } catch {
        fields.append(("error", .string(redactor.scrub("\(error)"))))
        print(JSONWriter.compact(.object(JSONObject(fields))))
        throw ExitCode(69)
      }
    }
  }
}
