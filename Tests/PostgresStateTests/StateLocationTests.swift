import NetworkedCommands
import PostgresState
import ShellCore
import Testing

/// Where the state lives, read from text: files, URLs, and the mistakes people make with them
/// (with the PostgreSQL backend nwsh is built with: its URLs are read, and a mistake in one is
/// refused for what it is, not for an unknown scheme).
@Suite("state locations: paths, URLs and attempts at URLs")
struct StateLocationTests {
  static func parse(_ text: String, home: String? = nil) throws(StateLocationError) -> StateLocation {
    try StateLocation(parsing: text, home: home, backends: [PostgresBackend()])
  }

  @Test("a PostgreSQL URL is the backend's: its parts, its parameters, shown without the password")
  func postgres() throws {
    let location = try Self.parse("postgresql://ada:s3cret@db.internal/nwsh?sslmode=require&reconnect=5&lease=60")
    guard case .database(let address as PostgresAddress, let backend) = location.kind else {
      Issue.record("not PostgreSQL: \(location)")
      return
    }
    #expect(backend.name == "postgresql" && location.kindName == "postgresql")
    #expect(address.host == "db.internal" && address.port == 5432 && address.user == "ada")
    #expect(address.password == "s3cret" && address.database == "nwsh" && address.sslMode == .require)
    #expect(location.lease == 60 && address.reconnect == 5)
    #expect(location.description == "postgres://ada:***@db.internal:5432/nwsh?sslmode=require&reconnect=5&lease=60")
    let unknown = #expect(throws: StateLocationError.self) { try Self.parse("postgres://ada@db/x?sslmod=require") }
    #expect(unknown?.message.contains("the parameters are sslmode, sslrootcert, reconnect, lease") == true)
    // Without the backend, the scheme is unknown: nothing is taken for a file.
    let without = #expect(throws: StateLocationError.self) { try StateLocation(parsing: "postgres://ada@db/x") }
    #expect(without?.message.contains("unsupported scheme postgres://") == true)
  }

  @Test("equal locations name the same store, with the same lease and password; a name's ? stays escaped")
  func equality() throws {
    let url = "postgres://ada:pw@db/nwsh?sslmode=require"
    #expect(try Self.parse(url) == Self.parse(url))
    #expect(try Self.parse(url) != Self.parse("postgres://ada:other@db/nwsh?sslmode=require"))
    #expect(try Self.parse(url) != Self.parse(url + "&lease=60"))
    #expect(try Self.parse("postgres://u@h/x%3Fsslmode%3Ddisable") != Self.parse("postgres://u@h/x?sslmode=disable"))
    let escaped = try Self.parse("postgres://u@h/x%3Fsslmode%3Ddisable").description
    #expect(escaped.hasPrefix("postgres://u@h:5432/x%3Fsslmode") && !escaped.contains("?"), "\(escaped)")
    #expect(try Self.parse("/tmp/a.sqlite") == Self.parse("file:///tmp/a.sqlite"))
    #expect(try Self.parse("/tmp/a.sqlite") != Self.parse("postgres://u@h/a"))
    // A huge lease is shown, not a crash.
    #expect(try Self.parse("postgres://u@h/x?lease=1e19").description.hasSuffix("lease=1e+19"))
  }

  @Test("the URL's password is the location's to keep, whatever the address keeps; a parsed URL shows masked")
  func passwordKept() throws {
    let location = try Self.parse("postgres://ada:s%40cret@db/nwsh")
    #expect(location.urlPassword == "s@cret")
    #expect(location.password(in: HostEnvironment(variables: ["PGPASSWORD": "env"])) == "s@cret")
    let bare = try Self.parse("postgres://ada@db/nwsh")
    #expect(bare.urlPassword == nil && bare.password(in: HostEnvironment(variables: ["PGPASSWORD": "env"])) == "env")
    let url = try StateURL(scheme: "postgres", password: "s3cret", host: "db", shown: "postgres://ada:***@db")
    #expect("\(url)" == "postgres://ada:***@db")
  }

  @Test("a CA file that is not there is named before any connection is tried")
  func missingRootCertificate() throws {
    let location = try Self.parse("postgres://u@127.0.0.1:9/db?sslmode=require&sslrootcert=/nonexistent/ca.pem")
    #expect {
      try StateStore.open(location)
    } throws: { "\($0)".contains("sslrootcert=/nonexistent/ca.pem: no such readable file") }
  }

  @Test("an IPv6 host is bracketed in the URL only: [::1] is ::1, shown as [::1] once")
  func ipv6() throws {
    let location = try Self.parse("postgres://nwsh@[::1]:5433/state")
    guard case .database(let address as PostgresAddress, _) = location.kind else {
      Issue.record("not PostgreSQL: \(location)")
      return
    }
    #expect(address.host == "::1")
    #expect(location.description == "postgres://nwsh@[::1]:5433/state")
  }

  @Test("a leading ~/ is the home directory; ~user is refused")
  func home() throws {
    #expect(try Self.parse("~/state.sqlite", home: "/home/ada").path == "/home/ada/state.sqlite")
    #expect(try Self.parse("~", home: "/home/ada").path == "/home/ada")
    #expect(throws: StateLocationError.self) { try Self.parse("~bob/state.sqlite", home: "/home/ada") }
    #expect(try Self.parse("./~/state.sqlite", home: "/home/ada").path == "./~/state.sqlite")
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
      // A password as a parameter; copy-and-paste spaces; URL parameters (or typos of them) on a
      // path; a scheme's name alone.
      "postgres://u@h/db?password=PW", "postgres://u@h/db?sslmode=require&PASSWORD=PW#x", "x.sqlite?leas=30",
      "state.sqlite?", "postgres", "postgresql", " ", "postgres://u:PW@h/db ", "\tstate.sqlite",
    ])
  func attempts(_ text: String) {
    #expect(throws: StateLocationError.self) { try Self.parse(text) }
    do {
      _ = try Self.parse(text)
    } catch {
      #expect(!error.message.contains("PW"), "\(error.message)")
    }
    #expect(!StateLocation.masked(text).contains("PW"), "\(StateLocation.masked(text))")
  }

  @Test(
    "ordinary paths stay paths",
    arguments: ["state.sqlite", "/var/lib/nwsh/state.sqlite", "./postgres", "file", "./a@b", "../postgres//x"])
  func paths(_ text: String) throws {
    #expect(try Self.parse(text).path == text)
  }

  @Test("a % in a password must start an escape", arguments: ["pw%", "pw%z", "pw%2", "%g0pw"])
  func barePercent(_ password: String) {
    #expect(throws: StateLocationError.self) { try Self.parse("postgres://nwsh:\(password)@db/x") }
  }

  @Test("an encoded % is a %")
  func encodedPercent() throws {
    guard case .database(let address as PostgresAddress, _) = try Self.parse("postgres://nwsh:p%25w@db/x").kind else {
      Issue.record("not PostgreSQL")
      return
    }
    #expect(address.password == "p%w")
  }
}
