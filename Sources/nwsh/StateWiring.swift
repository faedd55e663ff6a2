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
  /// The kinds of database the state can be in besides SQLite files. A third backend is a
  /// target of its own, added here (and as a dependency of this target in Package.swift).
  static let backends: [any StateBackend] = [PostgresBackend()]

  /// The location and the database password, if any (for the redactor). A location that does
  /// not parse is a usage error naming the problem (never the password), and nothing is created.
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
      location = try StateLocation(parsing: given.text, home: environment.home, backends: backends)
    } catch {
      throw UsageError("\(given.origin): \(error.message)")
    }
    guard case .database(_, let backend) = location.kind else { return (location, nil) }
    if argument != nil, location.urlPassword != nil {
      throw UsageError(
        "--state: a password on the command line is visible to every user of this machine; put it in "
          + (backend.passwordVariable.map { "\($0), or " } ?? "") + "the whole URL in NWSH_STATE")
    }
    return (location, location.password(in: environment))
  }

  /// The opener for an environment: SQLite files, and the backends' databases with the
  /// environment's password variable (`PGPASSWORD`) and user (`$USER`).
  static func opener(environment: HostEnvironment) -> StateOpener {
    { location, interruption in try StateStore.open(location, environment: environment, interruption: interruption) }
  }
}

/// `nwsh state check`: where the state lives, whether it can be reached, its schema version.
enum StateCommand {
  static func run(_ invocation: Invocation) throws -> Int32 {
    guard invocation.words.map(\.text) == ["check"] else {
      throw UsageError(
        "nwsh state takes one word, check"
          + (invocation.words.isEmpty ? "" : " (got \(invocation.words.map(\.text).joined(separator: " ")))"),
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
      fields += [
        ("kind", .string(location.kindName)), ("schema", .number(Double(schema))), ("server", .string(server)),
      ]
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
