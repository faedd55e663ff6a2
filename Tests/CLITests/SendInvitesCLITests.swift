import Foundation
import Testing

@Suite("nwsh send-invites --sandbox")
struct SendInvitesCLITests {
  @Test func everyRowGetsExactlyOneResult() throws {
    let rows = [
      #"{"name":"Zoë Ñúñez","email":"zoe@example.com","role":"contributor"}"#,
      #"{"name":"","email":"blank@example.com","role":"Viewer"}"#,
      #"not json"#,
      #"{"name":"Grace","email":"grace@example.com","role":"Architect"}"#,
      "",
      #"{"name":"Ann","email":"ann@example.com","tagId":"67959032bc6bea0012fdc675","note":"hi"}"#,
    ]
    let output = try Binary.run(["send-invites", "--sandbox", "--batch-size", "2", "-"], stdin: rows.joined(separator: "\n"))
    let results = output.stdout.split(separator: "\n").map {
      try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    let byRow = Dictionary(uniqueKeysWithValues: results.map { ($0["row"] as! Int, $0) })
    #expect(results.count == 5)
    #expect(Set(byRow.keys) == [1, 2, 3, 4, 6])
    #expect(byRow[1]?["status"] as? String == "invited")
    #expect(byRow[2]?["status"] as? String == "invalid")
    #expect(byRow[3]?["status"] as? String == "invalid")
    #expect(byRow[4]?["status"] as? String == "failed")
    #expect(byRow[6]?["status"] as? String == "invited")
    #expect(output.status == 1)
    #expect(output.stderr.contains("1 failed, 2 invalid, 2 invited in 2 request(s)"))
  }
}
