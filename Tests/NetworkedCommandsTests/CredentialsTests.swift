import Foundation
import NetworkedAPI
import NetworkedCommands
import ShellCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("credentials")
struct CredentialsTests {
  @Test("key file, then NETWORKED_API_KEY, then the profile; a key file others can read is refused")
  func order() throws {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-cred-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: home) }
    let environment = HostEnvironment(variables: ["HOME": home])
    let credentials = Credentials(path: Credentials.defaultPath(environment: environment))
    try credentials.save(Credentials.Profile(baseURL: "http://127.0.0.1:9", key: "profile-key-1234"), as: "work")
    #expect((try FileManager.default.attributesOfItem(atPath: credentials.path)[.posixPermissions] as? Int) == 0o600)

    let fromProfile = try Credentials.resolve(environment: environment, profile: "work", apiKeyFile: nil)
    #expect(fromProfile.key?.secret == "profile-key-1234" && fromProfile.baseURL == "http://127.0.0.1:9")
    let fromEnvironment = try Credentials.resolve(
      environment: environment.adding("NETWORKED_API_KEY", "env-key-5678"), profile: "work", apiKeyFile: nil)
    #expect(fromEnvironment.key?.secret == "env-key-5678" && fromEnvironment.origin == "NETWORKED_API_KEY")

    let keyFile = home + "/key"
    _ = FileManager.default.createFile(
      atPath: keyFile, contents: Data("file-key-9012\n".utf8), attributes: [.posixPermissions: 0o644])
    #expect(throws: CredentialsError.self) {
      try Credentials.resolve(environment: environment, profile: nil, apiKeyFile: keyFile)
    }
    chmod(keyFile, 0o600)
    let fromFile = try Credentials.resolve(
      environment: environment.adding("NETWORKED_API_KEY", "env-key-5678"), profile: nil, apiKeyFile: keyFile)
    #expect(fromFile.key?.secret == "file-key-9012")
    // No profile named and none stored as default: no key. A profile named that does not exist
    // is an error, whatever else holds a key.
    #expect(try Credentials.resolve(environment: environment, profile: nil, apiKeyFile: nil).key == nil)
    #expect(throws: CredentialsError.self) {
      try Credentials.resolve(
        environment: environment.adding("NETWORKED_API_KEY", "env-key-5678"), profile: "nobody",
        apiKeyFile: nil)
    }
    #expect(throws: CredentialsError.self) {
      try Credentials.resolve(
        environment: environment.adding("NWSH_PROFILE", "nobody"), profile: nil, apiKeyFile: keyFile)
    }
  }
}

extension HostEnvironment {
  /// The same world with `name` set to `value`.
  fileprivate func adding(_ name: String, _ value: String) -> HostEnvironment {
    var copy = self
    copy.variables[name] = value
    return copy
  }
}
