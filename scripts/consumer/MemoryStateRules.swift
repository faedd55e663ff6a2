// Runs the rules every state store keeps (NetworkedTesting's StoreConformance) on the third
// store, and opens it through a state location as nwsh would: prints what it found.
import Foundation
import MemoryState
import NetworkedCommands
import NetworkedTesting

let report = try StoreConformance.run(
  StoreConformance.Subject(interleavesWithinTransactions: false) { MemoryDatabase(name: "rules") })
for failure in report.failures { print("FAIL:", failure) }
print("rules: \(report.failures.count) failures in \(report.schedules.count) scenarios")
let location = try StateLocation(parsing: "memory://demo?lease=30", backends: [MemoryBackend()])
let store = try StateStore.open(location)
print("location: \(location) (\(location.kindName)), schema \(try store.check().schema), lease \(store.lease)")
