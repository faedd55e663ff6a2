import Foundation
import NetworkedAPI
import Testing

@Suite("Redactor: the key in any form")
struct RedactorTests {
  static let key = "NWSH-sweep+Key/4Xq9=Zt"
  let redactor = Redactor(secrets: [Self.key])

  @Test("plain, percent-encoded (any reserved set, either hex case), base64 at any offset, hex, JSON-escaped")
  func forms() {
    let samples = [
      Self.key,
      Self.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
      Self.key.utf8.map { String(format: "%%%02x", $0) }.joined(),
      Self.key.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!.replacingOccurrences(
        of: "+", with: "%2B"),
      Data(Self.key.utf8).base64EncodedString(),
      Data(("a:" + Self.key).utf8).base64EncodedString(),
      Data(("ab:" + Self.key + "!").utf8).base64EncodedString(),
      Data(("abc:" + Self.key).utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_"),
      Self.key.utf8.map { String(format: "%02x", $0) }.joined(),
      Self.key.replacingOccurrences(of: "/", with: #"\/"#),
      Self.key.replacingOccurrences(of: "+", with: #"\u002B"#),
    ]
    for sample in samples {
      let text = "before \(sample) after"
      #expect(redactor.finds(in: text), "\(sample)")
      let scrubbed = redactor.scrub(text)
      #expect(scrubbed.hasPrefix("before ") && scrubbed.contains("<redacted>"), "\(sample) → \(scrubbed)")
      #expect(!scrubbed.contains(Self.key) && !scrubbed.contains("sweep+Key"), "\(sample) → \(scrubbed)")
    }
  }

  @Test("JSON decoded from \\u escapes is scrubbed after decoding; other text is left alone")
  func decodedValues() throws {
    let escaped = Self.key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"m":"key \#(escaped)","n":[1,"ok"]}"#.utf8))
    #expect(
      redactor.scrub(value) == .object(["m": .string("key <redacted>"), "n": .array([.number(1), .string("ok")])]))
    #expect(redactor.scrub("nothing secret here: NWSH-sweep") == "nothing secret here: NWSH-sweep")
    #expect(Redactor(secrets: ["abc"]).scrub("abc") == "abc")  // too short to hunt for
  }
}
