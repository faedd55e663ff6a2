import Foundation
import NetworkedSimulator
import TestSupport
import Testing

/// The key must appear in no byte nwsh writes: output, errors, trace, journal, history.
@Suite("secrets sweep", .serialized)
struct SecretsTests {
  /// A key with characters that percent-encoding and base64 both change.
  static let key = "NWSH-sweep+Key/4Xq9=Zt"

  static func forms(_ key: String) -> [String] {
    [key, key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, Data(key.utf8).base64EncodedString()]
  }

  static func leaks(in bytes: Data, _ what: String) -> [String] {
    forms(key).compactMap { form in bytes.range(of: Data(form.utf8)) == nil ? nil : "\(what) contains \(form)" }
  }

  /// Forms a hostile server echoes, beyond the three above.
  static func echoedForms(_ key: String) -> [String] {
    forms(key)
      + [
        Data("admin:\(key)".utf8).base64EncodedString(), key.lowercased(),
        key.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!,
      ].filter { $0 != key.lowercased() }
  }

  @Test(
    "a server that echoes the key in every field, a URL with the key as user-info, $ENV: no form of it is shown or stored"
  )
  func hostileEcho() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    var configuration = SimulatorConfiguration(apiKey: Self.key)
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration) { simulator in
      let env = [
        "NETWORKED_API_KEY": Self.key, "HOME": home, "XDG_STATE_HOME": home + "/state", "OTHER_COPY": "x" + Self.key,
      ]
      let url = simulator.baseURL
      let rows =
        #"{"name":"Ada","email":"ada@example.net","tagId":"69baa36beddb9f0012fdf101","roleId":"69baa36beddb9f0012fdf101"}"#
        + "\n"
      simulator.inject(.echoKey(status: 200), path: "/api/v1/admin/community/invites")
      simulator.inject(.echoKey(status: 409), path: "/api/v1/admin/community/addExternalUsers")
      simulator.inject(.echoKey(status: 400), path: "/api/v1/nowhere")
      simulator.inject(.echoKey(status: 500), path: "/api/v1/global/tags")
      simulator.inject(.echoKey(status: 200), path: "/api/v1/admin/community/users")
      let runs: [([String], String)] = [
        (["--base-url", url, "-c", "read | invite"], rows),
        (["--base-url", url, "-c", "read | add-users"], rows),
        (["--base-url", url, "--trace", "-c", "api GET /api/v1/nowhere"], ""),
        (["--base-url", url, "-c", "roles"], ""),
        (["--base-url", url, "-c", "api GET /api/v1/admin/community/users"], ""),
        (["--base-url", url, "-c", "$ENV.NETWORKED_API_KEY, $ENV.OTHER_COPY, (env | tostring)"], ""),
        (["--base-url", "http://admin:\(Self.key)@127.0.0.1:9/x?api_key=\(Self.key)", "-c", "roles"], ""),
        (["--base-url", url, "journal"], ""),
      ]
      var problems: [String] = []
      var outputs = ""
      for (arguments, stdin) in runs {
        let output = try Binary.run(arguments, stdin: stdin, environment: env)
        outputs += output.stdout + output.stderr
        for form in Self.echoedForms(Self.key) {
          if output.stdout.contains(form) { problems.append("stdout of \(arguments.suffix(1)) holds \(form)") }
          if output.stderr.contains(form) { problems.append("stderr of \(arguments.suffix(1)) holds \(form)") }
        }
      }
      // The runs did reach the hostile answers (so the sweep is not vacuous).
      #expect(outputs.contains("bad_key_<redacted>"), "\(outputs)")
      #expect(outputs.contains(#""<redacted>""#))
      let files = FileManager.default.enumerator(atPath: home + "/state")?.compactMap { $0 as? String } ?? []
      for file in files where !file.hasSuffix("nwsh") {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: home + "/state/" + file))) ?? Data()
        for form in Self.echoedForms(Self.key) where bytes.range(of: Data(form.utf8)) != nil {
          problems.append("\(file) holds \(form)")
        }
      }
      #expect(problems.isEmpty, "\(problems)")
    }
  }

  @Test("stdout, stderr, --trace, the state database and the history hold no form of the key")
  func sweep() async throws {
    let home = temporaryDirectory("cli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    var configuration = SimulatorConfiguration(apiKey: Self.key)
    configuration.rateWindows = []
    try await NetworkedSimulator.with(configuration) { simulator in
      let env = [
        "NETWORKED_API_KEY": Self.key, "HOME": home, "XDG_STATE_HOME": home + "/state",
        "XDG_CONFIG_HOME": home + "/config",
      ]
      let url = simulator.baseURL
      let rows = """
        {"name":"Ada","email":"ada@example.net","roleId":"69baa36beddb9f0012fdf101","tagId":"69baa36beddb9f0012fdf101","password":"pw-Secret-123"}
        {"name":"Bob","email":"bob@example.net","tagId":"69baa36beddb9f0012fdf101"}
        not json at all

        """
      simulator.inject(.statusAfterActing(500), path: "/api/v1/admin/community/addExternalUsers")
      let runs: [([String], String)] = [
        (["--base-url", url, "--trace", "-c", "read | invite"], rows),
        (["--base-url", url, "--trace", "-c", "read | invite --reinvite --dry-run"], rows),
        (["--base-url", url, "--trace", "-c", "read | add --method direct"], rows),
        (["--base-url", url, "--trace", "-c", "roles | count; members | take 1; plans | count"], ""),
        (["--base-url", url, "--trace", "-c", "api GET /api/v1/nowhere"], ""),
        (
          [
            "--base-url", url, "--trace", "-c",
            #"api POST /api/v1/nowhere --form --body {email: "x@example.net", name: "X", roleId: "69baa36beddb9f0012fdf101", method: 2, password: "pw-Secret-123"}"#,
          ], ""
        ),
        (["--base-url", url, "--trace", "reconcile"], ""),
        (["--base-url", url, "journal"], ""),
        (["--base-url", url, "whoami"], ""),
        (["--base-url", "http://example.com", "-c", "roles"], ""),
        (["--base-url", url, "-c", "read | mapp .x"], rows),
      ]
      var problems: [String] = []
      var sawTrace = false
      for (arguments, stdin) in runs {
        let output = try Binary.run(arguments, stdin: stdin, environment: env)
        problems += Self.leaks(in: Data(output.stdout.utf8), "stdout of \(arguments)")
        problems += Self.leaks(in: Data(output.stderr.utf8), "stderr of \(arguments)")
        if output.stdout.contains("pw-Secret-123") || output.stderr.contains("pw-Secret-123") {
          problems.append("a password in the output of \(arguments)")
        }
        sawTrace = sawTrace || output.stderr.contains("x-api-key: <redacted>")
      }
      #expect(sawTrace)

      // The shell: the key typed into a line, and a login, must not reach the history.
      let shell = try Terminal(["--base-url", url], environment: env)
      try shell.expect("> ")
      try shell.waitUntilEditing()
      shell.type("let k = \"\(Self.key)\"\r")
      try shell.expect(inOrder: ["\r\n", "> "], after: shell.mark)
      try shell.waitUntilEditing()
      // Percent-encoded, as in a URL pasted into the shell: still kept out of the history.
      shell.type(
        "let u = \"https://example.com/?k=\(Self.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)\"\r"
      )
      try shell.expect(inOrder: ["\r\n", "> "], after: shell.mark)
      try shell.waitUntilEditing()
      shell.type("roles | count\r")
      try shell.expect(inOrder: ["7", "> "], after: shell.mark)
      try shell.waitUntilEditing()
      shell.type("\u{4}")
      _ = try shell.waitForExit()

      for directory in [home + "/state"] {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        #expect(!files.isEmpty)
        for file in files {
          let path = directory + "/" + file
          var isDirectory: ObjCBool = false
          guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            continue
          }
          let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
          problems += Self.leaks(in: bytes, path)
          if bytes.range(of: Data("pw-Secret-123".utf8)) != nil { problems.append("a password in \(path)") }
        }
      }
      let history = try String(contentsOfFile: home + "/state/nwsh/history", encoding: .utf8)
      #expect(history.contains("roles | count"))
      #expect(problems.isEmpty, "\(problems)")
    }
  }
}
