import Testing

@testable import NetworkedCommands

/// Where the state lives, read from text: files, URLs, and the mistakes people make with them.
@Suite("state locations: paths, URLs and attempts at URLs")
struct StateLocationTests {
  @Test("an IPv6 host is bracketed in the URL only: [::1] is ::1, shown as [::1] once")
  func ipv6() throws {
    let location = try StateLocation(parsing: "postgres://nwsh@[::1]:5433/state")
    guard case .postgres(let address) = location.kind else {
      Issue.record("not PostgreSQL: \(location)")
      return
    }
    #expect(address.host == "::1")
    #expect(location.description == "postgres://nwsh@[::1]:5433/state")
  }

  @Test("a leading ~/ is the home directory; ~user is refused")
  func home() throws {
    #expect(try StateLocation(parsing: "~/state.sqlite", home: "/home/ada").path == "/home/ada/state.sqlite")
    #expect(try StateLocation(parsing: "~", home: "/home/ada").path == "/home/ada")
    #expect(throws: StateLocationError.self) { try StateLocation(parsing: "~bob/state.sqlite", home: "/home/ada") }
    #expect(try StateLocation(parsing: "./~/state.sqlite", home: "/home/ada").path == "./~/state.sqlite")
  }

  @Test(
    "text that looks like an attempt at a URL is refused, never a file; its password never shown",
    arguments: [
      "postgres//nwsh:PW@db:5432/x", "postgres:/nwsh:PW@db/x", "postgresq:nwsh:PW@db/x", "postgress//nwsh:PW@db/x",
      "nwsh:PW@db:5432/x", "file:/tmp/x", "sqlite:/tmp/x", "sqlit://x", "postgres//nwsh:P/W:PW@db/x",
      "postgres:/nwsh:P:PW@db/x", "postgres//nwsh/PW@db/x", "postgres;//nwsh:PW@db/x", "postgres.//nwsh@db/x",
      "nwsh@db.internal/nwsh", "db.internal:5432/nwsh", "localhost:5432/nwsh", "postgres/db/nwsh",
      "postgres\u{FF1A}//x", "//nwsh@db.internal/nwsh", "state.sqlite?lease=2", "postgres//nwsh:PW",
      "postgres:nwsh:PW",
      // URLs whose password a careless parser would show.
      "postgres://nwsh:PW/nwsh", "postgres://nwsh:PW", "postgres://nwsh:PW:host/db", "postgres://nwsh%3APW@host/db",
      "postgres://u@host:99999999999999999999/db", "postgres://u@host:/db", "postgres://u@h/db#sslmode=require",
      "postgres://u:PW@::1:5432/db",
    ])
  func attempts(_ text: String) {
    #expect(throws: StateLocationError.self) { try StateLocation(parsing: text) }
    do {
      _ = try StateLocation(parsing: text)
    } catch {
      #expect(!error.message.contains("PW"), "\(error.message)")
    }
    #expect(!StateLocation.masked(text).contains("PW"), "\(StateLocation.masked(text))")
  }

  @Test(
    "ordinary paths stay paths",
    arguments: ["state.sqlite", "/var/lib/nwsh/state.sqlite", "./postgres", "file", "./a@b", "../postgres//x"])
  func paths(_ text: String) throws {
    #expect(try StateLocation(parsing: text).path == text)
  }

  @Test("a % in a password must start an escape", arguments: ["pw%", "pw%z", "pw%2", "%g0pw"])
  func barePercent(_ password: String) {
    #expect(throws: StateLocationError.self) { try StateLocation(parsing: "postgres://nwsh:\(password)@db/x") }
  }

  @Test("an encoded % is a %")
  func encodedPercent() throws {
    guard case .postgres(let address) = try StateLocation(parsing: "postgres://nwsh:p%25w@db/x").kind else {
      Issue.record("not PostgreSQL")
      return
    }
    #expect(address.password == "p%w")
  }
}
