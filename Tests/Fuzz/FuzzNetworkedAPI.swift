// libFuzzer entry points for NetworkedAPI: the response decoders and the Retry-After parser.
import Dispatch
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  #if FUZZ_RETRY_AFTER
    if let value = RetryAfter(parsing: String(decoding: bytes, as: UTF8.self)) {
      _ = value.delay(fromEpochSeconds: 1_763_800_000)
    }
  #else
    decodeResponses(bytes)
  #endif
  return 0
}

/// Every documented response shape, decoded from the fuzzer's bytes as a 200 body: each call
/// must return a value or a typed error, never crash.
func decodeResponses(_ body: [UInt8]) {
  let client = NetworkedClient(
    baseURL: .production, key: APIKey("fuzz-key")!,
    transport: ClosureTransport { _, _ in HTTPResponse(status: 200, body: body) })
  let done = DispatchSemaphore(value: 0)
  Task {
    _ = try? await client.invite([
      Invitee(name: "A", email: "a@example.com", tagId: "t"), Invitee(name: "B", email: "b@example.com", tagId: "t"),
    ])
    _ = try? await client.roles()
    _ = try? await client.membersPage(start: 0, count: 30)
    _ = try? await client.plans()
    _ = try? await client.addUser(AddUserRequest(email: "a@example.com", name: "A", roleId: "r", method: .invite))
    done.signal()
  }
  done.wait()
}
