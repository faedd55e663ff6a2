import Foundation

/// The `{data, error, message}` envelope every Networked response uses.
struct Envelope<Payload: Decodable>: Decodable {
  var data: Payload?
  var error: Bool?
  var message: String?
}

extension Envelope where Payload == JSONValue {
  /// The `message` of the JSON envelope in `body`, if it is one.
  static func message(in body: [UInt8]) -> String? {
    (try? JSONDecoder().decode(Envelope<JSONValue>.self, from: Data(body)))?.message
  }
}
