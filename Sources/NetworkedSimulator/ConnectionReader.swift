import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads HTTP/1.1 requests off one connection.
struct ConnectionReader {
  enum Outcome {
    case request(WireRequest)
    case closed
    case bad(Int, String)
  }

  let fd: Int32
  private var buffer: [UInt8] = []
  private var start = 0

  init(fd: Int32) { self.fd = fd }

  private mutating func fill() -> Bool {
    if start > 0 && start == buffer.count {
      buffer.removeAll(keepingCapacity: true)
      start = 0
    }
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return false }
      buffer.append(contentsOf: chunk[0..<count])
      return true
    }
  }

  private mutating func readLine(limit: Int) -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        var line = Array(buffer[start..<newline])
        if line.last == 0x0D { line.removeLast() }
        start = newline + 1
        return line
      }
      if buffer.count - start > limit || !fill() { return nil }
    }
  }

  private mutating func readBytes(_ count: Int) -> [UInt8]? {
    while buffer.count - start < count {
      if !fill() { return nil }
    }
    defer { start += count }
    return Array(buffer[start..<start + count])
  }

  mutating func readRequest(maxBodyBytes: Int) -> Outcome {
    var requestLine: [UInt8]
    repeat {
      guard let line = readLine(limit: 16_384) else { return .closed }
      requestLine = line
    } while requestLine.isEmpty
    let parts = requestLine.split(separator: 0x20)
    guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)) else {
      return .bad(400, "malformed request line")
    }
    let method = String(decoding: parts[0], as: UTF8.self)
    let target = String(decoding: parts[1], as: UTF8.self)
    var headers: [String: String] = [:]
    var headerBytes = 0
    while true {
      guard let line = readLine(limit: 16_384) else { return .closed }
      if line.isEmpty { break }
      headerBytes += line.count
      if headerBytes > 65_536 { return .bad(431, "headers too large") }
      guard let colon = line.firstIndex(of: 0x3A) else { return .bad(400, "malformed header") }
      let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
      let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
      if headers[name] == nil { headers[name] = value }
    }
    var body: [UInt8] = []
    if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
      while true {
        guard let sizeLine = readLine(limit: 1024) else { return .closed }
        let hex = String(decoding: sizeLine.prefix { $0 != 0x3B }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let size = Int(hex, radix: 16), size >= 0 else { return .bad(400, "bad chunk size") }
        if size == 0 {
          while let trailer = readLine(limit: 16_384), !trailer.isEmpty {}
          break
        }
        if body.count + size > maxBodyBytes { return .bad(413, "request body too large") }
        guard let chunk = readBytes(size), readLine(limit: 2) != nil else { return .closed }
        body += chunk
      }
    } else if let lengthText = headers["content-length"] {
      guard let length = Int(lengthText), length >= 0 else { return .bad(400, "bad Content-Length") }
      if length > maxBodyBytes { return .bad(413, "request body too large") }
      guard let bytes = readBytes(length) else { return .closed }
      body = bytes
    }
    let questionMark = target.firstIndex(of: "?")
    let path = String(target[..<(questionMark ?? target.endIndex)])
    let query = questionMark.map { FormDecoding.decode(String(target[target.index(after: $0)...])) ?? [] } ?? []
    return .request(WireRequest(method: method, target: target, path: path, query: query, headers: headers, body: body))
  }
}
