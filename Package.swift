// swift-tools-version: 6.2

import PackageDescription

/// Warnings are errors in our own targets only; dependencies keep their own settings.
let strictSettings: [SwiftSetting] = [.treatAllWarnings(as: .error)]

/// `make fuzz` builds with PERFDB_FUZZ set: the adapters get coverage instrumentation and
/// AddressSanitizer (only our code; the build tools and dependencies stay as they are).
let fuzzing = Context.environment["PERFDB_FUZZ"] != nil
let fuzzSettings: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

/// The layers, one target each, so the compiler rejects a back-edge.
///
///     PerfDBModel ← PerfDBIngest, PerfDBStore, PerfDBPostgres, PerfDBAnalysis ← PerfDBReport ← perfdb
///
/// PerfDBAnalysis decides from values: it depends on neither GRDB nor PerfDBReport.
let package = Package(
    name: "perfdb",
    products: [
        .executable(name: "perfdb", targets: ["perfdb"]),
        .library(
            name: "PerfDBKit",
            targets: [
                "PerfDBModel", "PerfDBIngest", "PerfDBStore", "PerfDBPostgres", "PerfDBAnalysis",
                "PerfDBReport",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // Already under postgres-nio; named here for the HTTP client that pushes and alerts.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .executableTarget(
            name: "perfdb",
            dependencies: [
                "PerfDBModel", "PerfDBIngest", "PerfDBStore", "PerfDBPostgres", "PerfDBAnalysis",
                "PerfDBReport", "PerfDBDelivery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedMigrations"]
        ),
        // HTTP out: metrics to a Pushgateway, alerts to Alertmanager and webhooks.
        .target(
            name: "PerfDBDelivery",
            dependencies: [
                "PerfDBModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The vocabulary every layer shares; Foundation only.
        .target(
            name: "PerfDBModel",
            swiftSettings: strictSettings
        ),
        // Input files → IngestBatch.
        .target(
            name: "PerfDBIngest",
            dependencies: ["PerfDBModel", "CZlib"],
            swiftSettings: strictSettings + [
                // The raw-stream parser lives in classes; dynamic exclusivity checks on their
                // properties cost more than the parse in release builds.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ] + fuzzSettings
        ),
        // The stored form of distributions, shared by both engines.
        .target(
            name: "PerfDBCodec",
            dependencies: ["PerfDBModel", "CZlib"],
            swiftSettings: strictSettings
        ),
        // The warehouse: SQLite through GRDB, migrations, gather and record.
        .target(
            name: "PerfDBStore",
            dependencies: [
                "PerfDBModel", "PerfDBCodec", "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedMigrations"]
        ),
        // The warehouse on PostgreSQL: connection, migrations under an advisory lock.
        .target(
            name: "PerfDBPostgres",
            dependencies: [
                "PerfDBModel", "PerfDBCodec",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedMigrations"]
        ),
        // Decisions from numbers: the gate, baselines, trends, drift, SLOs, chaos.
        .target(
            name: "PerfDBAnalysis",
            dependencies: [
                "PerfDBModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        // Typed report documents and their formats.
        .target(
            name: "PerfDBReport",
            dependencies: ["PerfDBModel", "PerfDBAnalysis"],
            swiftSettings: strictSettings
        ),
        // The process-wide SQLite settings that only C can make (sqlite3_config is variadic).
        .target(
            name: "CSQLiteSettings",
            linkerSettings: [.linkedLibrary("sqlite3")]
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
            dependencies: ["PerfDBModel", "CZlib"],
            path: "Tests/PerfDBTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PerfDBKitTests",
            dependencies: [
                "PerfDBModel", "PerfDBIngest", "PerfDBStore", "PerfDBAnalysis", "PerfDBReport",
                "PerfDBPostgres", "PerfDBCodec", "PerfDBDelivery", "PerfDBTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PerfDBCLITests",
            dependencies: ["perfdb", "PerfDBModel", "PerfDBTestSupport"],
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
            dependencies: ["PerfDBModel", "PerfDBIngest"],
            path: "Fuzz/perfdb-fuzz",
            swiftSettings: strictSettings + fuzzSettings + [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ))
}
