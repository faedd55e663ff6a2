#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs `body` on a thread with a 1 GiB stack (reserved, not used; 64 MiB where the system
/// will not reserve that much) and waits for it: the
/// thread every run of a program uses (the shell's sessions too); embedders evaluating directly
/// may use it as well.
///
/// Evaluation itself needs little stack: generators, tail calls, `recurse`, `..`, the JSON
/// reader and writer all keep their depth on the heap, and a recursion too deep for the stack
/// is an error (the evaluator measures the thread's stack). What still recurses is Swift's
/// freeing of a value nested tens of thousands of levels deep, which only a program that
/// builds one makes (`reduce range(3000000) as $i (null; [.])`, fine in jq too, or a loop that
/// nests a value until it is interrupted): at about 150 bytes a level, the room here is for some
/// seven million levels, for jq's own 10,000-level limits on comparing and searching nested
/// values, and for debug builds' larger frames.
public func onEvaluationThread<T>(_ body: () throws -> T) rethrows -> T {
  try withoutActuallyEscaping(body) { body in
    let job = Job(body)
    let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
    defer { attributes.deallocate() }
    pthread_attr_init(attributes)
    let context = Unmanaged.passRetained(job).toOpaque()
    var thread: pthread_t = 0
    var created: Int32 = -1
    for stackSize in [1 << 30, 64 << 20] where created != 0 {
      pthread_attr_setstacksize(attributes, stackSize)
      created = pthread_create(
        &thread, attributes,
        { context in
          Unmanaged<JobBase>.fromOpaque(context!).takeUnretainedValue().run()
          return nil
        }, context)
    }
    pthread_attr_destroy(attributes)
    if created != 0 {
      Unmanaged<Job<T>>.fromOpaque(context).release()
      return try body()  // no thread: run here
    }
    pthread_join(thread, nil)
    let result = job.result!
    job.body = nil
    Unmanaged<Job<T>>.fromOpaque(context).release()
    return try result.get()
  }
}

private class JobBase {
  func run() {}
}

private final class Job<T>: JobBase {
  var body: (() throws -> T)?
  var result: Result<T, any Error>?
  init(_ body: @escaping () throws -> T) { self.body = body }
  override func run() { result = Result { try body!() } }
}
