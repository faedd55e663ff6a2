/// The last check before a request may reach the server, asked just before the final byte of
/// its body is written.
///
/// When it says no, the body is never completed, so the server — which acts only on a request
/// it has wholly received — cannot act on it; the call fails with
/// ``NetworkedAPIError/Code/withheld`` (certainly not carried out). A sender that may send a
/// person only while it provably holds them (`NetworkedCommands`' fence) checks that here, as
/// late as the transport allows.
public struct SendGate: Sendable {
  private let isOpen: @Sendable () -> Bool

  /// A gate that lets the request out when `isOpen` returns true at the last moment.
  public init(_ isOpen: @escaping @Sendable () -> Bool) { self.isOpen = isOpen }

  /// Asks the gate now.
  public func allows() -> Bool { isOpen() }

  /// Thrown by a body whose gate closed: the request was abandoned before its body was complete.
  struct Closed: Error {}
}
