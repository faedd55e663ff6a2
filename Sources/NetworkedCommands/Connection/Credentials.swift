import Foundation
public import NetworkedAPI
public import ShellCore

/// Where the API key comes from, in order: `--api-key-file` (refused when group or others can
/// read it), `NETWORKED_API_KEY`, then a profile in the credentials file written by `login`.
/// There is no flag that takes the key itself, so it never appears in argv.
public struct KeySource: Sendable {
  /// The key, if found.
  public var key: APIKey?
  /// The profile's base URL, if the key came from a profile that has one.
  public var baseURL: String?
  /// Where it came from, for `whoami` (never the key).
  public var origin: String
  /// The profile in use.
  public var profile: String
  /// The profile's state location (`--state`), if it has one.
  public var state: String?

  /// Describes a key and its origin.
  public init(key: APIKey?, baseURL: String?, origin: String, profile: String, state: String? = nil) {
    self.key = key
    self.baseURL = baseURL
    self.origin = origin
    self.profile = profile
    self.state = state
  }
}

/// The credentials file: `$XDG_CONFIG_HOME/nwsh/credentials` (default
/// `~/.config/nwsh/credentials`), JSON `{"profiles": {NAME: {"baseURL", "key"}}}`, mode 0600.
public struct Credentials: Sendable {
  /// A profile: a base URL and a key.
  public struct Profile: Codable, Sendable, Equatable {
    /// The API.
    public var baseURL: String
    /// The key.
    public var key: String
    /// Where the rate budget and the journal live for this profile (a path or a
    /// `postgres://` URL, which may hold the database's password: the file is 0600).
    public var state: String?

    /// Creates a profile.
    public init(baseURL: String, key: String, state: String? = nil) {
      self.baseURL = baseURL
      self.key = key
      self.state = state
    }
  }

  private struct File: Codable {
    var profiles: [String: Profile]
  }

  /// The file.
  public let path: String

  /// The credentials at `path`.
  public init(path: String) { self.path = path }

  /// The default location in `environment`: `credentials` in nwsh's configuration directory.
  public static func defaultPath(environment: HostEnvironment) -> String {
    environment.configDirectory + "/credentials"
  }

  /// The profiles stored.
  public func profiles() -> [String: Profile] {
    guard let data = FileManager.default.contents(atPath: path),
      let file = try? JSONDecoder().decode(File.self, from: data)
    else { return [:] }
    return file.profiles
  }

  /// Stores `profile` as `name`, written atomically with mode 0600.
  public func save(_ profile: Profile, as name: String) throws {
    var all = profiles()
    all[name] = profile
    let directory = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(File(profiles: all))
    let temporary = path + ".\(getpid()).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
    else {
      throw CredentialsError("cannot write \(temporary)")
    }
    guard rename(temporary, path) == 0 else { throw CredentialsError("cannot replace \(path)") }
  }

  /// The profile named by `--profile` (`option`), else by a non-empty `NWSH_PROFILE`, or nil;
  /// an empty `--profile ""` is refused.
  public static func explicitProfile(option: String?, environment: HostEnvironment) throws -> String? {
    if let option {
      guard !option.isEmpty else { throw CredentialsError("--profile needs a name (it was given an empty one)") }
      return option
    }
    return environment.variable("NWSH_PROFILE").flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The profile in use: the one named (``explicitProfile(option:environment:)``), else `default`.
  public static func profileName(option: String?, environment: HostEnvironment) throws -> String {
    try explicitProfile(option: option, environment: environment) ?? "default"
  }

  /// Finds the key for `profile` (or `$NWSH_PROFILE`, or `default`).
  public static func resolve(
    environment: HostEnvironment, profile: String?, apiKeyFile: String?
  ) throws -> KeySource {
    let named = try explicitProfile(option: profile, environment: environment)
    let name = named ?? "default"
    let credentials = Credentials(path: defaultPath(environment: environment))
    let all = credentials.profiles()
    let stored = all[name]
    // A profile asked for by name must exist, whatever else holds a key: a typo (or an empty
    // $PROFILE that took the next word) must not run against another key or state.
    if let named, stored == nil {
      let from = profile != nil ? "--profile" : "NWSH_PROFILE"
      let known = all.keys.sorted()
      throw CredentialsError(
        "no profile \"\(named)\" (\(from)) in \(credentials.path)"
          + (known.isEmpty ? "" : " (profiles: \(known.joined(separator: ", ")))")
          + "; store one with: nwsh login --profile \(named)")
    }
    if let apiKeyFile {
      var info = stat()
      guard stat(apiKeyFile, &info) == 0 else { throw CredentialsError("cannot read the key file \(apiKeyFile)") }
      guard info.st_mode & 0o077 == 0 else {
        throw CredentialsError(
          "refusing the key file \(apiKeyFile): group or others can read it (chmod 600 \(apiKeyFile))")
      }
      guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8),
        let key = APIKey(text.trimmingCharacters(in: .whitespacesAndNewlines))
      else { throw CredentialsError("the key file \(apiKeyFile) holds no key") }
      return KeySource(key: key, baseURL: nil, origin: "key file \(apiKeyFile)", profile: name, state: stored?.state)
    }
    if let text = environment.variable("NETWORKED_API_KEY"), let key = APIKey(text) {
      return KeySource(key: key, baseURL: nil, origin: "NETWORKED_API_KEY", profile: name, state: stored?.state)
    }
    if let stored, let key = APIKey(stored.key) {
      return KeySource(
        key: key, baseURL: stored.baseURL, origin: "profile \(name) (\(credentials.path))", profile: name,
        state: stored.state)
    }
    return KeySource(key: nil, baseURL: nil, origin: "none", profile: name, state: stored?.state)
  }
}

/// A problem with a key file or the credentials file.
public struct CredentialsError: Error, CustomStringConvertible, Sendable {
  /// What went wrong.
  public let description: String
  init(_ description: String) { self.description = description }
}

/// Reads a secret from the terminal without echoing it (or a line from stdin when that is not
/// a terminal, for `printf %s "$KEY" | nwsh login`).
public enum SecretPrompt {
  /// Shows `prompt` on stderr and reads one line.
  public static func read(_ prompt: String) -> String? {
    guard isatty(0) == 1 else { return readLine(from: 0) }
    // Echo off before the prompt shows, without discarding anything typed ahead.
    var saved = termios()
    let haveTerminal = tcgetattr(0, &saved) == 0
    if haveTerminal {
      var quiet = saved
      quiet.c_lflag &= ~tcflag_t(ECHO)
      quiet.c_lflag |= tcflag_t(ICANON)
      tcsetattr(0, TCSANOW, &quiet)
    }
    FileHandle.standardError.write(Data(prompt.utf8))
    let line = readLine(from: 0)
    if haveTerminal { tcsetattr(0, TCSANOW, &saved) }
    FileHandle.standardError.write(Data("\n".utf8))
    return line
  }

  private static func readLine(from fd: Int32) -> String? {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while Glibc.read(fd, &byte, 1) == 1 {
      if byte == 0x0A { break }
      if byte != 0x0D { bytes.append(byte) }
    }
    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    return text.isEmpty ? nil : text
  }
}
