import JQ
import ShellCore
import Testing

/// Reading only the members a pipeline uses must be invisible: the same rows (cut to those
/// members), the same invalid rows with the same messages and places.
@Suite("Projected reading")
struct ProjectionTests {
  static let texts = [
    #"{"a": 1, "b": [1, {"c": 2}], "z": "skip me"}"#,
    #"{"z": {"deep": [[[[]]]]}, "a": "\u00e9\n", "a": 2}"#,
    #"{"\u0061": 1, "b\"": 2, "\ud83d\ude00": 3}"#,
    #"{"e\u0301": 1, "é": 2}"#,
    #"{"z": "bad \x escape", "a": 1}"#,
    #"{"z": "\ud800", "a": 1}"#,
    #"{"z": 01, "a": 1}"#,
    #"{"z": -, "a": 1}"#,
    #"{"z": 1.5e+, "a": 1}"#,
    #"{"z": tru, "a": 1}"#,
    #"{"z": [1, 2,], "a": 1}"#,
    #"{"z": {"k" 1}, "a": 1}"#,
    #"{"z": {"k": 1,}, "a": 1}"#,
    "{\"z\": \"tab\there\", \"a\": 1}",
    #"{"a": 1, "z": [1, 2"#,
    #"{"a": 1 "b": 2}"#,
    #"{"a": 1, 2: 3}"#,
    #"{}"#, #"[{"a": 1}]"#, #""a""#, "12", "null",
    #"{"z": "\u00zz", "a": 1}"#,
  ]

  static let keep: Set<String> = ["a", "é"]

  static func render(_ text: String, projected: Bool) -> String {
    var text = text
    return text.withUTF8 { bytes in
      var parser = JSONParser(bytes)
      do throws(JSONParser.SyntaxError) {
        let value = projected ? try parser.parseValue(keeping: Projection(keep)) : try parser.parseValue()
        guard !projected, case .object(let object) = value else {
          return JSONWriter.compact(value) + " @\(parser.position)"
        }
        var cut = JSONObject()
        for (key, member) in object where keep.contains(where: { Array($0.utf8) == Array(key.utf8) }) {
          cut[key] = member
        }
        return JSONWriter.compact(.object(cut)) + " @\(parser.position)"
      } catch {
        return "error: \(error.message) @\(error.offset)"
      }
    }
  }

  @Test(arguments: texts) func sameAnswerAsAFullParse(_ text: String) {
    #expect(Self.render(text, projected: true) == Self.render(text, projected: false))
  }

  @Test func decomposedKeysAreOtherKeys() {
    // jq's keys are bytes: "e" + U+0301 is not "é".
    #expect(Self.render(#"{"e\u0301": 1, "é": 2}"#, projected: true).hasPrefix(#"{"é":2} @"#))
  }

  @Test func whatAnExpressionReads() throws {
    func demand(_ text: String) throws -> FieldDemand {
      var parser = try JQHostParser(Source(name: "<test>", text: text))
      return try JQScope().compile(parser.parsePipe(stopsAtStages: false)).demand
    }
    #expect(
      try demand(#"{name: (.first_name + " " + .last_name), email: .email, tagId: "r1"}"#)
        == .fields(["first_name", "last_name", "email"]))
    #expect(try demand(".a.b[0] | length") == .fields(["a"]))
    #expect(try demand(#"{email, "x": .y?, (.k): 1}"#) == .fields(["email", "y", "k"]))
    #expect(try demand(#""\(.first) \(.last)" | ascii_downcase"#) == .fields(["first", "last"]))
    #expect(try demand(".a as $x | .b + $x") == .fields(["a", "b"]))
    #expect(try demand("if .a then .b else .c end") == .fields(["a", "b", "c"]))
    #expect(try demand("reduce .xs[] as $x (.init; . + $x)") == .fields(["xs", "init"]))
    #expect(try demand("empty, error(.msg), first(.a), 1") == .fields(["msg", "a"]))
    // Anything that can see the row whole, or hand it on, reads all of it.
    for whole in [
      ".", "..", ".[]", "keys", "length", "select(.a)", "if .a then .b end", "del(.a)", ".a = 1", "to_entries",
      ".[.k]", "@csv", "tostring", ". as $r | $r.a", "map(.)", "def f: .; f", "def empty: .; empty",
      "{(.k | tostring): .}",
      #". as {(.k): $v} | $v"#,
    ] {
      #expect(try demand(whole) == .all, "\(whole)")
    }
  }

  /// A pipeline that reads a few members and one that reads the whole row must answer alike.
  @Test func pipelinesAnswerAsIfEverythingWereRead() {
    let input = """
      {"first":"Zoë","last":"Ñúñez","email":"z@x.io","consent":"yes","extra":{"deep":[1,2,3]}}
      {"email":"a@x.io","consent":"no","bad":"\\x"}
      not json
      [1,2]
      "just a string"
      {"email":"b@x.io","consent":"yes","extra":[1,2,}
      {"email":"c@x.io","email":"d@x.io","consent":"yes"}
      {"e\\u006dail":"e@x.io","consent":"yes"}
      """
    let pairs = [
      ("read | map .email", "read | map (. as $r | $r.email)"),
      ("read | map {email, consent}", "read | map (. as $r | {email: $r.email, consent: $r.consent})"),
      (
        #"read | where .consent == "yes" | map .email"#,
        #"read | where (. as $r | $r.consent == "yes") | map (. as $r | $r.email)"#
      ),
      ("read | dedupe .consent | map .first", "read | dedupe (. as $r | $r.consent) | map (. as $r | $r.first)"),
      ("read | skip 1 | take 3 | map .email", "read | skip 1 | take 3 | map (. as $r | $r.email)"),
      ("read | count", "read | map (. as $r | $r) | count"),
    ]
    // The failures point at different columns of the two programs; nothing else may differ.
    func placeless(_ lines: [String]) -> [String] {
      lines.map { $0.replacing(/"at":"<test>:1:\d+"/, with: "") }
    }
    for (narrow, whole) in pairs {
      let a = runProgram(narrow, input: input)
      let b = runProgram(whole, input: input)
      #expect(placeless(a.lines) == placeless(b.lines), "\(narrow)")
      #expect(a.status == b.status, "\(narrow)")
      #expect(!a.lines.isEmpty)
    }
  }
}
