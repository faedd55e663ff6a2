// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "nwsh",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "nwsh", targets: ["nwsh"]),
    .library(name: "ShellCore", targets: ["ShellCore"]),
    .library(name: "NetworkedAPI", targets: ["NetworkedAPI"]),
    .library(name: "NetworkedSimulator", targets: ["NetworkedSimulator"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // The language: values, JSON, lexer, parser, evaluator, commands. Knows nothing of Networked.
    // The SIL closure specializer recurses through the continuation-passing evaluator and
    // exhausts memory (24 GB+) in release builds; without it ShellCore builds in under a minute.
    .target(
      name: "ShellCore",
      swiftSettings: swiftSettings + [.unsafeFlags(["-Xllvm", "-sil-disable-pass=closure-specialize"])]
    ),
    // Typed client for the documented Networked endpoints; transport behind a protocol.
    .target(name: "NetworkedAPI", swiftSettings: swiftSettings),
    // A local, faithful Networked API server for tests and `--sandbox`.
    .target(name: "NetworkedSimulator", swiftSettings: swiftSettings),
    // jq's own test cases run against ShellCore (scripts/jq-conformance and a test).
    .target(name: "JQConformance", dependencies: ["ShellCore"], swiftSettings: swiftSettings),
    .executableTarget(name: "jq-conformance", dependencies: ["JQConformance"], swiftSettings: swiftSettings),
    // The thin executable: argument parsing and wiring.
    .executableTarget(
      name: "nwsh",
      dependencies: [
        "ShellCore", "NetworkedAPI", "NetworkedSimulator",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(name: "ShellCoreTests", dependencies: ["ShellCore", "JQConformance"], swiftSettings: swiftSettings),
    .testTarget(name: "CLITests", dependencies: ["nwsh"], swiftSettings: swiftSettings),
    .testTarget(
      name: "NetworkedAPITests",
      dependencies: ["NetworkedAPI", "NetworkedSimulator"],
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
