#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs `body` on a thread with a 1 GiB stack and waits for it.
///
/// jq programs recurse as deep as the data (10,000 levels by jq's own limits); the main
/// thread's 8 MiB is not enough for that in a debug build. The memory is reserved, not used.
public func withLargeStack<T>(_ body: () throws -> T) rethrows -> T {
  try withoutActuallyEscaping(body) { body in
    let job = Job(body)
    let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
    defer { attributes.deallocate() }
    pthread_attr_init(attributes)
    pthread_attr_setstacksize(attributes, 1 << 30)
    let context = Unmanaged.passRetained(job).toOpaque()
    var thread: pthread_t = 0
    let created = pthread_create(&thread, attributes, { context in
      Unmanaged<JobBase>.fromOpaque(context!).takeUnretainedValue().run()
      return nil
    }, context)
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
