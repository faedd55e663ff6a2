import Foundation
import Interactive
import JQ
import LineEditor
import NetworkedAPI
import ShellCore
import Testing

@Suite("completion")
struct CompleterTests {
  static func session() -> Session {
    let session = Session(output: OutputSink { _ in }, diagnostics: { _ in }, environment: HostEnvironment())
    session.bind("attendees", to: .null)
    return session
  }

  @Test("commands, flags, settings, help topics and variables complete from what the session knows")
  func fromSignatures() {
    let completer = Completer(session: Self.session())
    #expect(completer.complete("ma") == .insert("p "))
    #expect(completer.complete("read | ded") == .insert("upe "))
    #expect(completer.complete("read | batch 10 | unb") == .insert("atch "))
    #expect(completer.complete("read --cs") == .insert("v "))
    #expect(completer.complete("set str") == .insert("ict "))
    #expect(completer.complete("help sa") == .insert("ve"))
    #expect(completer.complete("map {a: $att") == .insert("endees"))
    #expect(completer.complete("le") == .insert("t "))
    if case .choices(let insert, let candidates) = completer.complete("s") {
      #expect(insert.isEmpty && candidates == ["save", "set", "skip", "source"])
    } else {
      Issue.record("expected choices")
    }
    #expect(completer.complete("zzz") == .none)
    // Inside a string, `|` does not start a new stage.
    #expect(completer.complete(#"map "a|b" | whe"#) == .insert("re "))
  }

  @Test("field names come from the rows of the last pipeline; odd names are quoted")
  func fields() {
    let session = Self.session()
    session.run(#"{first_name: "Ada", "Ticket Type": "Speaker", email: "a@b.c"}"#, name: "<t>")
    let completer = Completer(session: session)
    #expect(completer.complete("read | map .fi") == .insert("rst_name"))
    #expect(completer.complete("read | map {email: .em") == .insert("ail"))
    #expect(completer.complete("read | map .\"Ti") == .insert("cket Type\""))
  }

  @Test("file paths complete for open, source and save")
  func paths() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-complete-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("exports"), withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: directory.appendingPathComponent("exports/summit.csv").path, contents: Data())
    defer { try? FileManager.default.removeItem(at: directory) }
    let session = Self.session()
    session.workingDirectory = directory.path
    let completer = Completer(session: session)
    #expect(completer.complete("open ex") == .insert("ports/"))
    #expect(completer.complete("open exports/su") == .insert("mmit.csv "))
    #expect(completer.complete("open ./exports/su") == .insert("mmit.csv "))
    #expect(completer.complete("read | save exp") == .insert("orts/"))
  }
}

@Suite("history")
struct HistoryTests {
  @Test("never records a login, a line starting with a space, the key in use, or anything that looks secret")
  func policy() {
    #expect(HistoryStore.shouldRecord("read | invite", key: "k-123"))
    #expect(!HistoryStore.shouldRecord("login work", key: nil))
    #expect(!HistoryStore.shouldRecord(" read | invite --dry-run", key: nil))
    #expect(!HistoryStore.shouldRecord(#"let k = "sk-live-7Hq2mZ9xWv4Lr8Tn3Bc1""#, key: "sk-live-7Hq2mZ9xWv4Lr8Tn3Bc1"))
    #expect(!HistoryStore.shouldRecord(#"api GET /x --query {api_key: "abc"}"#, key: nil))
    #expect(!HistoryStore.shouldRecord(#"map {password: "hunter2"}"#, key: nil))
    #expect(!HistoryStore.shouldRecord("echo AbCdEf0123456789XyZwQ", key: nil))
    // Role ids (lower-case hex) and emails are not secrets.
    #expect(
      HistoryStore.shouldRecord(
        #"map {tagId: "69baa36beddb9f0012fdf101", email: "ada.lovelace@example.org"}"#, key: nil))
  }

  @Test("the file is 0600, keeps multi-line entries, drops older duplicates and caps its size")
  func file() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nwsh-history-\(UUID().uuidString)")
      .path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = HistoryStore(path: directory + "/nwsh/history", limit: 3)
    store.append("range(2) |\nmap . * 2")
    store.append(#"map "a\b""#)
    store.append("count")
    store.append("range(2) |\nmap . * 2")
    #expect(store.load() == [#"map "a\b""#, "count", "range(2) |\nmap . * 2"])
    let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    for i in 0..<6 { store.append("take \(i)") }
    #expect(store.load() == ["take 3", "take 4", "take 5"])
    // Grown past twice the cap, the file is rewritten to the cap.
    let lines = try String(contentsOfFile: store.path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3)
  }
}
