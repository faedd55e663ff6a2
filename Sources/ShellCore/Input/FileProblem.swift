import Foundation
import JQ

/// Why a file cannot be read, in the system's own words (`strerror`), for messages that name
/// the file and the reason: `cannot open rows.csv: no such file or directory`, `… is a
/// directory`, `… permission denied`.
public enum FileProblem {
  /// What stands in the way of reading `path`, or nil when it can be read.
  public static func reading(_ path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0 else { return reason(errno) }
    if status.st_mode & S_IFMT == S_IFDIR { return "is a directory" }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return reason(errno) }
    close(descriptor)
    return nil
  }

  /// `strerror(code)`, starting in lower case as it goes after a colon.
  public static func reason(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
  }

  /// `verb given: reason` (the reason for `path`, `given` as the user wrote it).
  public static func message(_ verb: String, _ given: String, path: String? = nil) -> String {
    "\(verb) \(given): \(reading(path ?? given) ?? "it could not be read")"
  }
}
