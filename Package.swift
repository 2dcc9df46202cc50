// swift-tools-version: 6.2

import PackageDescription

/// Warnings are errors in our own targets only; dependencies keep their own settings.
let strictSettings: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"])
]

/// `make fuzz` builds with PERFDB_FUZZ set: the adapters get coverage instrumentation and
/// AddressSanitizer (only our code; the build tools and dependencies stay as they are).
let fuzzing = Context.environment["PERFDB_FUZZ"] != nil
let fuzzSettings: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let package = Package(
    name: "perfdb",
    products: [
        .executable(name: "perfdb", targets: ["perfdb"]),
        .library(name: "PerfDBKit", targets: ["PerfDBKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "perfdb",
            dependencies: [
                "PerfDBKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PerfDBKit",
            dependencies: [
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings + [
                // The raw-stream parser lives in classes; dynamic exclusivity checks on their
                // properties cost more than the parse in release builds.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ] + fuzzSettings,
            plugins: ["EmbedMigrations"]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .executableTarget(
            name: "EmbedMigrationsTool",
            swiftSettings: strictSettings
        ),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["EmbedMigrationsTool"]
        ),
        .target(
            name: "PerfDBTestSupport",
            dependencies: ["PerfDBKit"],
            path: "Tests/PerfDBTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PerfDBKitTests",
            dependencies: ["PerfDBKit", "PerfDBTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PerfDBCLITests",
            dependencies: ["perfdb", "PerfDBKit", "PerfDBTestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// `make fuzz` only: the libFuzzer target over every input adapter (libFuzzer supplies `main`,
// hence -parse-as-library).
if fuzzing {
    package.targets.append(
        .executableTarget(
            name: "perfdb-fuzz",
            dependencies: ["PerfDBKit"],
            path: "Fuzz/perfdb-fuzz",
            swiftSettings: strictSettings + fuzzSettings + [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ))
}
