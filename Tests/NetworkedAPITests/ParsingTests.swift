import Testing

@testable import NetworkedAPI

@Suite("Retry-After, base URLs, form encoding")
struct ParsingTests {
  @Test(arguments: [
    ("120", RetryAfter.seconds(120)),
    (" 0 ", RetryAfter.seconds(0)),
    ("99999999999999999999", RetryAfter.seconds(1_000_000_000)),
    ("Sun, 06 Nov 1994 08:49:37 GMT", RetryAfter.date(epochSeconds: 784_111_777)),
    ("Sunday, 06-Nov-94 08:49:37 GMT", RetryAfter.date(epochSeconds: 784_111_777)),
    ("Sun Nov  6 08:49:37 1994", RetryAfter.date(epochSeconds: 784_111_777)),
    ("Thu, 01 Jan 1970 00:00:00 GMT", RetryAfter.date(epochSeconds: 0)),
    ("Sat, 29 Feb 2048 23:59:59 GMT", RetryAfter.date(epochSeconds: 2_466_633_599)),
  ])
  func retryAfterParses(text: String, expected: RetryAfter) {
    #expect(RetryAfter(parsing: text) == expected)
  }

  @Test(arguments: [
    "", "-1", "1.5", "soon", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
  ])
  func retryAfterRejects(text: String) {
    #expect(RetryAfter(parsing: text) == nil)
  }

  @Test func retryAfterDelayIsNeverNegative() {
    #expect(RetryAfter.date(epochSeconds: 100).delay(fromEpochSeconds: 200) == 0)
    #expect(RetryAfter.date(epochSeconds: 300).delay(fromEpochSeconds: 200) == 100)
    #expect(RetryAfter.seconds(5).delay(fromEpochSeconds: 200) == 5)
  }

  @Test func httpDateRoundTrips() {
    for epoch: Int64 in [0, 784_111_777, 951_782_400, 2_466_633_599, 4_102_444_800] {
      #expect(HTTPDate.parse(Array(HTTPDate.format(epochSeconds: epoch).utf8)) == epoch)
    }
    #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
  }

  @Test(arguments: [
    ("https://backend.networked.co", "https://backend.networked.co"),
    ("https://backend.qa.networked.co/", "https://backend.qa.networked.co"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost:1/prefix/", "http://localhost:1/prefix"),
    ("http://[::1]:9000", "http://[::1]:9000"),
    ("HTTPS://Example.com:443", "https://Example.com:443"),
  ])
  func baseURLAccepts(text: String, normalized: String) throws {
    #expect(try BaseURL(text).string == normalized)
  }

  @Test(arguments: [
    "http://backend.networked.co", "http://10.0.0.1", "http://127.0.0.1.evil.com", "ftp://x", "backend.networked.co",
    "https://", "https://user:pw@host", "https://host:99999", "https://host/path?x=1", "http://128.0.0.1",
  ])
  func baseURLRefuses(text: String) {
    #expect(throws: NetworkedAPIError.self) { try BaseURL(text) }
  }

  @Test func formEncodingFollowsTheWHATWGRules() {
    #expect(
      FormEncoding.encode([("a b", "+&=é"), ("safe", "AZaz09*-._"), ("x", "~/!")])
        == "a+b=%2B%26%3D%C3%A9&safe=AZaz09*-._&x=%7E%2F%21")
  }

  @Test func apiKeyIsMaskedWhenPrinted() {
    let key = APIKey("  abcdefgh-1234-SECRET-9f3a\n")!
    #expect(key.secret == "abcdefgh-1234-SECRET-9f3a")
    #expect("\(key)" == "••••••••9f3a")
    #expect(!String(reflecting: key).contains("SECRET"))
    #expect(APIKey("has space") == nil)
    #expect(APIKey("") == nil)
  }
}

@Suite("base URLs: one identity however spelled")
struct BaseURLIdentityTests {
  @Test("the host's case, the default port, a trailing slash and this machine's names do not change which API it is")
  func identity() throws {
    let production = try BaseURL("https://backend.networked.co").identity
    for spelling in [
      "https://BACKEND.networked.co", "https://backend.networked.co:443", "HTTPS://backend.networked.co/",
    ] {
      #expect(try BaseURL(spelling).identity == production, "\(spelling)")
    }
    #expect(try BaseURL("https://backend.networked.co:8443").identity != production)
    let local = try BaseURL("http://localhost:8090").identity
    for spelling in ["http://127.0.0.1:8090", "http://LOCALHOST:8090/", "http://[::1]:8090"] {
      #expect(try BaseURL(spelling).identity == local, "\(spelling)")
    }
    #expect(try BaseURL("http://127.0.0.1:8091").identity != local)
    #expect(production == BaseURL.production.identity)
  }
}
