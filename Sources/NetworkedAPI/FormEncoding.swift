/// `application/x-www-form-urlencoded` encoding (WHATWG URL Standard §5.2).
///
/// Bytes `A–Z a–z 0–9 * - . _` stay as they are, space becomes `+`, and every other byte of the
/// UTF-8 text becomes `%XX`. The same encoding serves query strings.
public enum FormEncoding {
  /// Encodes name/value pairs in order, e.g. `email=a%2Bb%40x.io&name=Zo%C3%AB+N`.
  public static func encode(_ pairs: [(String, String)]) -> String {
    var out: [UInt8] = []
    for (index, (name, value)) in pairs.enumerated() {
      if index > 0 { out.append(UInt8(ascii: "&")) }
      append(name, to: &out)
      out.append(UInt8(ascii: "="))
      append(value, to: &out)
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

  private static func append(_ text: String, to out: inout [UInt8]) {
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "_"):
        out.append(byte)
      case UInt8(ascii: " "):
        out.append(UInt8(ascii: "+"))
      default:
        out.append(UInt8(ascii: "%"))
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0x0F)])
      }
    }
  }
}
