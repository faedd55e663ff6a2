import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Sends `text` as raw bytes to 127.0.0.1:`port` and returns what comes back until the server
/// closes or one whole response (by Content-Length) has arrived. For checking exact wire bytes.
func rawRequest(_ port: Int, _ text: String) async throws -> String {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  }
  guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
  let bytes = Array(text.utf8)
  _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  var received: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65_536)
  while true {
    let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    if count <= 0 { break }
    received += chunk[0..<count]
    let text = String(decoding: received, as: UTF8.self)
    if let split = text.range(of: "\r\n\r\n") {
      let head = text[..<split.lowerBound].lowercased()
      if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
        let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
        text.utf8.count - text.utf8.distance(from: text.startIndex, to: split.upperBound) >= length
      {
        break
      }
    }
  }
  return String(decoding: received, as: UTF8.self)
}
