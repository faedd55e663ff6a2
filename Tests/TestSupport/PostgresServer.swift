import Foundation
import PTYSupport

/// A throwaway PostgreSQL server for one test: `initdb` into a temporary directory, started on
/// a free loopback port with password (SCRAM) authentication, stopped and deleted by ``stop()``.
///
/// It needs the server's programs (Debian's `postgresql`; `scripts/test` installs it): without
/// them ``start()`` throws, and the test fails, never skips. As root (CI containers) the server
/// runs as the `postgres` user, since PostgreSQL refuses to run as root.
public final class PostgresServer: @unchecked Sendable {
  /// The role tests connect as (a superuser of this cluster).
  public let user = "nwsh"
  /// Its password: give it to nwsh as `PGPASSWORD`.
  public let password = "pw-" + UUID().uuidString.prefix(12).lowercased()
  /// The loopback port.
  public private(set) var port: Int
  /// Holds the data directory, the socket and the log.
  public let directory: String
  private let bin: String
  private var data: String { directory + "/data" }
  /// With TLS: the certificate authority that signed the server's certificate (for
  /// `sslrootcert`); the server then accepts TCP connections over TLS only.
  public var caFile: String? { tls ? directory + "/ca.pem" : nil }
  private let tls: Bool

  private init(bin: String, directory: String, port: Int, tls: Bool) {
    self.bin = bin
    self.directory = directory
    self.port = port
    self.tls = tls
  }

  /// `postgres://nwsh@127.0.0.1:PORT/DATABASE`: no password (that goes in `PGPASSWORD`).
  public func url(database: String = "nwsh") -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

  /// The environment nwsh needs to reach it (`PGPASSWORD`).
  public var environment: [String: String] { ["PGPASSWORD": password] }

  /// Where the server's programs are: Debian's newest `/usr/lib/postgresql/N/bin`, else `PATH`.
  static func binaries() -> String? {
    let root = "/usr/lib/postgresql"
    let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
    if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") {
      return "\(root)/\(newest)/bin"
    }
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    where FileManager.default.isExecutableFile(atPath: "\(directory)/initdb")
      && FileManager.default.isExecutableFile(atPath: "\(directory)/pg_ctl")
    {
      return String(directory)
    }
    return nil
  }

  /// Creates a cluster with a database `nwsh` and starts it; with `tls`, it accepts TCP
  /// connections over TLS only, with a certificate for 127.0.0.1 from a CA made for it.
  public static func start(tls: Bool = false) throws -> PostgresServer {
    guard let bin = binaries() else {
      throw PostgresServerError(
        "no PostgreSQL server programs (initdb, pg_ctl): install Debian's postgresql (scripts/test does)")
    }
    let directory = temporaryDirectory("postgres")
    let server = PostgresServer(bin: bin, directory: directory, port: 0, tls: tls)
    try server.password.write(toFile: directory + "/pw", atomically: true, encoding: .utf8)
    if tls { try server.makeCertificates() }
    if getuid() == 0 { try server.shell(["/bin/chown", "-R", "postgres:postgres", directory], asServer: false) }
    try server.shell(
      [
        bin + "/initdb", "-D", server.data, "-U", server.user, "--pwfile=\(directory)/pw", "-A", "scram-sha-256",
        "-E", "UTF8", "--no-sync", "--no-instructions",
      ])
    if tls {
      try "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n".write(
        toFile: server.data + "/pg_hba.conf", atomically: false, encoding: .utf8)
    }
    try server.startServer()
    try server.createDatabase("nwsh")
    return server
  }

  /// Starts the cluster on a free port (a new one each time: a port can be taken meanwhile).
  private func startServer() throws {
    var lastError: (any Error)?
    for _ in 0..<5 {
      port = freePort()
      do {
        try pgctl(start: true)
        return
      } catch {
        lastError = error
      }
    }
    throw lastError!
  }

  /// Creates an empty database.
  public func createDatabase(_ name: String) throws {
    try shell([bin + "/createdb", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, name], asServer: false)
  }

  /// Stops the server at once, as a crash or a power cut would (`pg_ctl stop -m immediate`),
  /// and starts it again on the same port.
  public func restart() throws {
    try pgctl(start: false)
    try pgctl(start: true)
  }

  /// Starts a server ``halt()`` stopped again, on the same port.
  public func resume() throws {
    try pgctl(start: true)
  }

  /// `pg_ctl start` on ``port``, or `pg_ctl stop -m immediate`, waiting for it either way.
  private func pgctl(start: Bool) throws {
    try shell(
      start
        ? [bin + "/pg_ctl", "-D", data, "-l", directory + "/log", "-w", "-t", "60", "-o", serverOptions, "start"]
        : [bin + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
  }

  private var serverOptions: String {
    "-F -p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=200"
      + (tls ? " -c ssl=on -c ssl_cert_file=\(directory)/server.crt -c ssl_key_file=\(directory)/server.key" : "")
  }

  /// A CA and a server certificate for 127.0.0.1 it signed (P-256, two days).
  private func makeCertificates() throws {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
    for arguments in [
      ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=nwsh test CA"],
      ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
      [
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.crt", "-days", "2", "-extfile", "san.ext",
      ],
    ] {
      try shell(["/bin/sh", "-c", "cd \"$0\" && exec openssl \"$@\"", directory] + arguments, asServer: false)
    }
    chmod(directory + "/server.key", 0o600)
  }

  /// Stops the server at once and leaves it stopped.
  public func halt() throws {
    try pgctl(start: false)
  }

  /// Runs SQL through `psql`, returning its unaligned output.
  public func sql(_ statement: String, database: String = "nwsh") throws -> String {
    try shell(
      [bin + "/psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-At", "-c", statement],
      asServer: false
    ).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Stops the server and deletes its directory.
  public func stop() {
    try? pgctl(start: false)
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Runs a program (as the `postgres` user when this is root and `asServer`), throwing with
  /// its output when it fails.
  ///
  /// Output goes through a file, not a pipe, and the child gets no other descriptor of ours:
  /// the server `pg_ctl` starts would hold them open for as long as it runs (and Foundation's
  /// `Process` learns of an exit only when every holder of its descriptor is gone).
  @discardableResult
  private func shell(_ arguments: [String], asServer: Bool = true) throws -> String {
    // The password through `env`, not this process's environment, which every test shares.
    let command =
      (asServer && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [])
      + ["/usr/bin/env", "PGPASSWORD=\(password)", "LC_ALL=C.UTF-8"] + arguments
    let outputPath = directory + "/out-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let status = withArrayOfCStrings(command) { argv in nwsh_run_detached(command[0], argv, outputPath) }
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    guard status == 0 else {
      let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
      throw PostgresServerError(
        "\(arguments.first ?? "") failed (wait status \(status)): \(text) \(log.suffix(2000))")
    }
    return text
  }

  private func freePort() -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

/// The test server could not be made or driven.
public struct PostgresServerError: Error, CustomStringConvertible {
  /// What happened.
  public let description: String
  init(_ description: String) { self.description = description }
}

/// Calls `body` with `strings` as a NULL-terminated `char *[]`.
func withArrayOfCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
  defer { for pointer in pointers { free(pointer) } }
  return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
