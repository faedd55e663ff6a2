/// The storage of one activation: a program run or one call of a `def`.
///
/// The compiler resolves every variable and every filter parameter to a slot of some frame,
/// so a lookup is a few pointer hops (how many frames out, then an index), never a search by
/// name. A frame's parent is the frame its function was defined in (lexical scope).
///
/// Threading: a frame belongs to the evaluation that made it, on one thread.
final class Frame {
  /// One slot: a `$variable`'s value, or a filter argument (an expression with the frame it
  /// runs in).
  enum Slot {
    case empty
    case value(Value)
    case closure(Filter, Frame)
  }

  var slots: ContiguousArray<Slot>
  let parent: Frame?
  /// Self tail calls waiting to run (see ``TailLoopFilter``).
  var pendingTailCalls: [(input: Value, arguments: [Slot])] = []
  /// Runs the waiting tail calls now, set by the loop running this frame's body: a body that
  /// makes many tail calls before it ends (`repeat(.) | f`, which never ends) has them taken
  /// as they come rather than kept.
  var runWaitingTailCalls: (() throws -> Void)?

  init(parent: Frame?, size: Int) {
    self.parent = parent
    self.slots = ContiguousArray(repeating: .empty, count: size)
  }

  /// The frame `hops` levels out.
  @inline(__always) func ancestor(_ hops: Int) -> Frame {
    var frame = self
    for _ in 0..<hops { frame = frame.parent! }
    return frame
  }

  /// Makes room for `count` slots (the session frame grows as `let`s are added).
  func reserve(_ count: Int) {
    if slots.count < count { slots.append(contentsOf: repeatElement(.empty, count: count - slots.count)) }
  }
}
