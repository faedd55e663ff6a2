import Dispatch
import Foundation
import JQ
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
  /// The location and the database password, if any. A location that does not parse is a
  /// usage error naming the problem (never the password), and nothing is created.
  static func resolve(argument: String?, environment: HostEnvironment, profile: String?) throws -> (
    location: StateLocation, password: String?
  ) {
    let given: (text: String, origin: String)? =
      argument.map { ($0, "--state") } ?? environment.variable("NWSH_STATE").flatMap {
        $0.isEmpty ? nil : ($0, "NWSH_STATE")
      }
      ?? profile.map { ($0, "the profile's state") }
    guard let given else {
      return (.file(StateLocation.defaultPath(environment: environment)), nil)
    }
    let location: StateLocation
    do {
      location = try StateLocation(parsing: given.text, home: environment.home)
    } catch {
      throw UsageError("\(given.origin): \(error.message)")
    }
    guard case .postgres(let address) = location.kind else { return (location, nil) }
    if argument != nil, address.password != nil {
      throw UsageError(
        "--state: a password on the command line is visible to every user of this machine; "
          + "put it in PGPASSWORD, or the whole URL in NWSH_STATE")
    }
    return (location, address.password ?? environment.variable("PGPASSWORD"))
  }

  /// The opener for an environment: SQLite files, and PostgreSQL with `password` (as `$USER`
  /// when the address names no user).
  static func opener(password: String?, environment: HostEnvironment) -> StateOpener {
    let user = environment.variable("USER")
    return
      { location, interruption in
        switch location.kind {
        case .sqlite: return try StateStore.open(location)
        case .postgres(let address):
          return try PostgresStore.open(
            address, password: password, user: user, lease: location.lease, interruption: interruption)
        }
      }
  }
}

/// `nwsh state check`: where the state lives, whether it can be reached, its schema version.
enum StateCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    guard invocation.words.map(\.text) == ["check"] else {
      throw UsageError(
        "nwsh state takes one word, check" + (invocation.words.isEmpty ? "" : " (got \(invocation.words[0].text))"),
        hint: "nwsh state check [--state PATH-OR-URL]")
    }
    // Opening the state needs no simulator: the sandbox is not started.
    let wiring = try Wiring.make(try invocation.connectionOptions())
    for notice in wiring.notices { FileHandle.standardError.write(Data((notice + "\n").utf8)) }
    let configuration = wiring.configuration
    let location = configuration.state ?? .file(StateLocation.defaultPath(environment: invocation.environment))
    let redactor = Redactor(secrets: wiring.secrets)
    let started = DispatchTime.now().uptimeNanoseconds
    var fields: [(String, Value)] = [("state", .string(location.description))]
    do {
      let store = try configuration.openState(location, nil)
      let (schema, server) = try store.check()
      let kind = location.path == nil ? "postgresql" : "sqlite"
      fields += [("kind", .string(kind)), ("schema", .number(Double(schema))), ("server", .string(server))]
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
      fields.append(("ms", .number((elapsed * 10).rounded() / 10)))
      print(redactor.scrub(JSONWriter.compact(.object(JSONObject(fields)))))
      return 0
    } catch {
      fields.append(("error", .string("\(error)")))
      print(redactor.scrub(JSONWriter.compact(.object(JSONObject(fields)))))
      return 69
    }
  }
}
