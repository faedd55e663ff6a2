public import JQ

/// One step of a pipeline: receives items pushed from upstream and pushes its own downstream.
///
/// Stages run synchronously on the pipeline's thread; a stage that talks to the network blocks
/// that thread while it waits (never a cooperative-pool thread).
public protocol Stage: AnyObject {
  /// Handles one item from upstream.
  func push(_ item: Item) throws
  /// Upstream is done: flush anything held, then finish downstream.
  func finish() throws
  /// What of an object row pushed here this stage and the ones after it can observe (a
  /// reader builds only that); `.all` unless the stage says otherwise.
  var demand: FieldDemand { get }
}

extension Stage {
  /// The whole row, unless a stage knows better.
  public var demand: FieldDemand { .all }
}

/// A stage that produces items itself: it must start its pipeline.
public protocol SourceStage: Stage {
  /// Produces every item into the next stage, then finishes it.
  func run() throws
}

/// Thrown by a stage that needs no more input (`take`): the source stops reading and the
/// pipeline finishes normally.
public struct StopInput: Error {
  /// Creates the signal.
  public init() {}
}

/// A base for stages that transform rows and pass reports through.
open class RowStage: Stage {
  /// The stage downstream.
  public let next: any Stage

  /// A stage that pushes to `next`.
  public init(next: any Stage) { self.next = next }

  /// Handles one row; the default passes it on.
  open func handle(_ row: Row) throws { try next.push(.row(row)) }

  open func push(_ item: Item) throws {
    switch item {
    case .row(let row): try handle(row)
    case .report: try next.push(item)
    }
  }

  open func finish() throws { try next.finish() }

  /// The whole row, unless a subclass knows better.
  open var demand: FieldDemand { .all }
}
