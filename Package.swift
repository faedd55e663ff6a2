// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

// Linux only: built and tested on Debian (see the README). The macOS line states the minimum
// that the Synchronization module needs, for anyone trying; macOS is not built or tested.
let package = Package(
  name: "nwsh",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "nwsh", targets: ["nwsh"]),
    .library(name: "JQ", targets: ["JQ"]),
    .library(name: "ShellCore", targets: ["ShellCore"]),
    .library(name: "NetworkedAPI", targets: ["NetworkedAPI"]),
    .library(name: "NetworkedSimulator", targets: ["NetworkedSimulator"]),
    .library(name: "NetworkedCommands", targets: ["NetworkedCommands"]),
    .library(name: "NetworkedTesting", targets: ["NetworkedTesting"]),
  ],
  dependencies: [
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    // The HTTP transport: SwiftNIO with its own TLS; it never re-sends a request by itself.
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    // The shared state for several machines (`--state postgres://…`).
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    // Tests only: property-based checks of the scheduler and the CSV/JSON round trips.
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    // The jq engine: values, JSON, lexer, parser, compiler, evaluator, builtins, modules. Knows
    // nothing of the shell.
    .target(name: "JQ", dependencies: ["CTime"], swiftSettings: swiftSettings),
    // The pipeline shell: statements, commands, readers, results, the session. Knows nothing of
    // Networked.
    .target(name: "ShellCore", dependencies: ["JQ"], swiftSettings: swiftSettings),
    // strptime(3) for the date builtins: Swift's Glibc module leaves it out.
    .target(name: "CTime"),
    // Typed client for the documented Networked endpoints; transport behind a protocol.
    .target(
      name: "NetworkedAPI",
      dependencies: [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: swiftSettings),
    // A local, faithful Networked API server for tests and `--sandbox`.
    .target(name: "NetworkedSimulator", swiftSettings: swiftSettings),
    // jq's own test cases run against the engine (scripts/jq-conformance and a test).
    .target(name: "JQConformance", dependencies: ["JQ"], swiftSettings: swiftSettings),
    .executableTarget(name: "jq-conformance", dependencies: ["JQConformance"], swiftSettings: swiftSettings),
    // The Networked commands (invite, add, roles, members, plans, api), the rate-window pacer
    // and the state database (SQLite via GRDB) under the XDG state directory.
    .target(
      name: "NetworkedCommands",
      dependencies: ["JQ", "ShellCore", "NetworkedAPI", .product(name: "GRDB", package: "GRDB.swift")],
      swiftSettings: swiftSettings
    ),
    // For testing programs that embed the commands: the simulator on loopback, sessions wired to
    // it, a virtual clock they share (the project's own tests use it too).
    .target(
      name: "NetworkedTesting",
      dependencies: ["NetworkedCommands", "NetworkedSimulator", "NetworkedAPI", "JQ", "ShellCore"],
      swiftSettings: swiftSettings
    ),
    // The same state in PostgreSQL, for several machines sharing one key (`--state postgres://…`).
    .target(
      name: "PostgresState",
      dependencies: [
        "NetworkedCommands", "JQ", "ShellCore", .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: swiftSettings
    ),
    // libedit, through a shim of non-variadic wrappers (Debian: libedit-dev).
    .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    // A small owner of libedit's EditLine and History handles.
    .target(name: "LineEditor", dependencies: ["CLibEdit"], swiftSettings: swiftSettings),
    // The REPL: prompt, continuation, completion from command signatures, history policy, the
    // pager. Terminal-free logic, so tests can drive it.
    .target(
      name: "Interactive",
      dependencies: ["JQ", "ShellCore", "NetworkedAPI", "LineEditor"],
      swiftSettings: swiftSettings
    ),
    // The thin executable: argument parsing and wiring.
    .executableTarget(
      name: "nwsh",
      dependencies: [
        "JQ", "ShellCore", "NetworkedAPI", "NetworkedSimulator", "NetworkedCommands", "Interactive", "PostgresState",
      ],
      swiftSettings: swiftSettings
    ),
    // jq's own test files (MIT, with their licence) live in jq-tests/, read by path.
    // What the test targets share: process runner, seeded generator, clocks, temp dirs.
    .target(name: "TestSupport", dependencies: ["PTYSupport"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
    .testTarget(
      name: "ShellCoreTests", dependencies: ["JQ", "ShellCore", "JQConformance", "TestSupport"],
      exclude: ["jq-tests", "differential-regressions.txt"],
      swiftSettings: swiftSettings),
    // The engine's public API, as an embedder uses it.
    .testTarget(name: "JQTests", dependencies: ["JQ"], swiftSettings: swiftSettings),
    .testTarget(
      name: "NetworkedCommandsTests",
      dependencies: [
        "NetworkedCommands", "NetworkedSimulator", "NetworkedTesting", "JQ", "ShellCore", "NetworkedAPI", "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CLITests", dependencies: ["nwsh", "PTYSupport", "NetworkedSimulator", "JQ", "ShellCore", "TestSupport"],
      exclude: ["gojq-tests", "jaq-tests"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "InteractiveTests",
      dependencies: ["Interactive", "JQ", "ShellCore", "LineEditor", "NetworkedAPI", "TestSupport"],
      swiftSettings: swiftSettings),
    // forkpty for the terminal tests (C: Swift cannot fork safely).
    .target(name: "PTYSupport", path: "Tests/PTYSupport", linkerSettings: [.linkedLibrary("util")]),
    .testTarget(
      name: "PostgresStateTests",
      dependencies: ["PostgresState", "NetworkedCommands", "NetworkedTesting", "JQ", "ShellCore", "TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "NetworkedAPITests",
      dependencies: ["NetworkedAPI", "NetworkedSimulator", "TestSupport"],
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
