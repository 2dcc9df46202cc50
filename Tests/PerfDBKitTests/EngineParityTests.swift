import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBPostgres
@testable import PerfDBReport
@testable import PerfDBStore

/// The same runs stored through each engine's writer give the same rows, table by table.
@Suite(.serialized) struct EngineParityTests {
    /// The demo history with its CI context (as tools/demo-db.sh ingests it), plus a raw k6
    /// stream with timelines and distributions, SLO reports and Chaos Toolkit journals.
    static func submissions() throws -> [RunSubmission] {
        var submissions: [RunSubmission] = []
        func add(_ path: String, _ fill: (inout Ingestor.Options) -> Void) throws {
            var options = Ingestor.Options()
            fill(&options)
            submissions += try Ingestor.prepare([path], options: options)
        }
        let history = try String(
            contentsOf: TestPaths.root.appending(path: "demo/history/runs.tsv"), encoding: .utf8)
        for line in history.split(separator: "\n").dropFirst() {
            let field = line.split(separator: "\t").map(String.init)
            try add(TestPaths.root.appending(path: "demo/history/\(field[0])").path) {
                $0.context.scenario = "load"
                $0.context.environment = "staging"
                $0.context.branch = field[3]
                $0.context.commit = field[1]
                $0.context.build = field[2]
                $0.context.startedAt = Timestamp.parse(field[4])
                $0.exitCode = Int(field[5])
            }
        }
        let chaos = try String(
            contentsOf: TestPaths.root.appending(path: "demo/chaos/runs.tsv"), encoding: .utf8)
        for line in chaos.split(separator: "\n").dropFirst() {
            let field = line.split(separator: "\t").map(String.init)
            try add(TestPaths.root.appending(path: "demo/chaos/\(field[0])").path) {
                $0.context.environment = "staging"
                $0.context.branch = "main"
                $0.context.commit = field[1]
                $0.context.build = field[2]
                $0.context.startedAt = Timestamp.parse(field[3])
            }
        }
        for path in [
            TestPaths.fixture("k6-runs", "custom-metrics-1.1.0/stream.ndjson.gz"),
            TestPaths.fixture("k6-runs", "abort-on-fail-1.1.0/stream.ndjson.gz"),
            TestPaths.fixture("slo-report", "slow-warning.json"),
            TestPaths.fixture("chaostoolkit-continuous", "continuous-deviated.json"),
            // With its history, failures and exceptions files beside it.
            TestPaths.fixture("locust", "errors/report.json"),
        ] {
            try add(path) { $0.context.branch = "feature/x" }
        }
        return submissions
    }

    /// Every table's rows, ordered by every column, values as text (numbers by their Double).
    static func sqliteRows(_ path: String, table: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            let columns = try db.columns(in: table).count
            let order = (1...columns).map(String.init).joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)").map {
                row in
                row.databaseValues.map { value -> String in
                    switch value.storage {
                    case .null: "null"
                    case .int64(let number): "\(Double(number))"
                    case .double(let number): "\(number)"
                    case .string(let text): text
                    case .blob(let data): "\\x" + data.map { String(format: "%02x", $0) }.joined()
                    }
                }.joined(separator: " | ")
            }
        }
    }

    static func postgresqlRows(_ cluster: PostgresCluster, _ database: String, table: String)
        throws -> [String]
    {
        let columns = try cluster.psql(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = '\(table)' ORDER BY ordinal_position
            """, database: database
        ).split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        // Doubles travel as their shortest exact text: a JSON number would be re-parsed inexactly.
        let values = columns.map { $0[1] == "double precision" ? "'d:' || \($0[0])::text" : $0[0] }
        let order = columns.map { $0[0] }.joined(separator: ", ")
        let json = try cluster.psql(
            "SELECT json_build_array(\(values.joined(separator: ", "))) FROM \(table) ORDER BY \(order)",
            database: database)
        return try json.split(separator: "\n").map { line in
            let values = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any] ?? []
            return values.map { value -> String in
                switch value {
                case is NSNull: "null"
                case let text as String where text.hasPrefix("d:"):
                    Double(text.dropFirst(2)).map { "\($0)" } ?? text
                case let text as String: text
                case let number as NSNumber: "\(Double(number.int64Value))"
                default: "\(value)"
                }
            }.joined(separator: " | ")
        }
    }

    /// Both engines, empty: a SQLite file and a new PostgreSQL database.
    struct Engines {
        let path: String
        let sqlite: Warehouse
        let cluster: PostgresCluster
        let database: String
        let postgresql: PostgresWarehouse

        init() throws {
            path = try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path
            sqlite = try Warehouse(path: path)
            cluster = try PostgresCluster.shared()
            database = try cluster.createDatabase("parity")
            postgresql = try PostgresWarehouse.open(
                try PostgresURL(parsing: cluster.url(database: database)),
                password: cluster.password, migrate: true)
        }
    }

    static let now = Timestamp.parse("2026-12-01T12:00:00Z") ?? Date()

    @Test func bothWritersStoreTheSameRows() throws {
        let submissions = try Self.submissions()
        let now = Self.now
        let engines = try Engines()
        let (path, sqlite, cluster, database, postgresql) = (
            engines.path, engines.sqlite, engines.cluster, engines.database, engines.postgresql
        )
        for submission in submissions {
            let stored = try sqlite.store(submission, now: now)
            let pushed = try postgresql.store(submission, now: now)
            #expect(pushed == stored)
        }
        // The same content again is the same duplicate on both.
        let again = try #require(submissions.last)
        let duplicate = try postgresql.store(again, now: now)
        #expect(duplicate == (try sqlite.store(again, now: now)))
        if case .duplicate = duplicate {} else { Issue.record("not a duplicate: \(duplicate)") }
        postgresql.close()

        let tables = try DatabaseQueue(path: path).read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table'
                    AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migration' ORDER BY name
                    """)
        }
        var compared = 0
        for table in tables {
            let expected = try Self.sqliteRows(path, table: table)
            let actual = try Self.postgresqlRows(cluster, database, table: table)
            #expect(actual.count == expected.count, "\(table)")
            for (row, (want, got)) in zip(expected, actual).enumerated() where want != got {
                Issue.record(
                    "\(table) row \(row + 1):\n  SQLite:     \(want)\n  PostgreSQL: \(got)")
                break
            }
            compared += expected.count
        }
        #expect(tables.contains("timeline") && tables.contains("chaos_activity"))
        #expect(try Self.sqliteRows(path, table: "run_error").count == 2)
        #expect(compared > 5_000)
    }

    /// Every run shown, every load run checked, and the whole scope report, gathered by each
    /// engine's reader and rendered as JSON, are the same text.
    @Test func bothReadersGatherTheSameInputs() throws {
        let now = Self.now
        let engines = try Engines()
        let (sqlite, postgresql) = (engines.sqlite, engines.postgresql)
        var ids: [Int64] = []
        for submission in try Self.submissions() {
            _ = try sqlite.store(submission, now: now)
            if case .stored(let id) = try postgresql.store(submission, now: now) {
                ids.append(id)
            }
        }
        let config = Config()
        let settings = config.gatherSettings
        let scope = Scope(scenario: "load", environment: "staging", branch: "main")
        func views(_ reading: ((any StoreReader) throws -> [String]) throws -> [String]) throws
            -> [String]
        {
            try reading { reader in
                var texts: [String] = []
                for id in ids {
                    let detail = try reader.runDetail(.id(id))
                    texts.append(try RunShowView(detail).render(.json))
                    if detail.run.kind == .load, detail.run.scenario == "load" {
                        let inputs = try reader.checkInputs(.id(id), settings: settings)
                        let report = Gate(config: config).judge(
                            inputs, failOn: .regression, onMissing: nil)
                        texts.append(try CheckView(report).render(.json))
                    }
                }
                let report = try ScopeReport(
                    try reader.scopeInputs(scope: scope, last: 20, settings: settings),
                    config: config)
                texts.append(try ScopeReportView(report).render(.json))
                return texts
            }
        }
        func compare(_ stage: String) throws {
            let fromSQLite = try views { try sqlite.reading($0) }
            let fromPostgreSQL = try views { try postgresql.reading($0) }
            #expect(fromSQLite.count == fromPostgreSQL.count)
            #expect(fromSQLite.count > ids.count)
            for (index, (want, got)) in zip(fromSQLite, fromPostgreSQL).enumerated()
            where want != got {
                let line = zip(want.split(separator: "\n"), got.split(separator: "\n"))
                    .first { $0 != $1 }
                Issue.record(
                    "\(stage) view \(index): SQLite \(line?.0 ?? "") | PostgreSQL \(line?.1 ?? "")")
            }
        }
        try compare("before recording")
        // Record every load run's check (in order, so later baselines hold earlier regressions
        // out) and an SLO evaluation of the newest, then gather again.
        var judged: [Int64] = []
        for id in ids {
            guard
                let inputs = try? sqlite.reading({
                    try $0.checkInputs(.id(id), settings: settings)
                })
            else { continue }
            judged.append(id)
            let records = Gate(config: config).judge(inputs, failOn: .regression, onMissing: nil)
                .records
            let again = try postgresql.reading { try $0.checkInputs(.id(id), settings: settings) }
            let pushed = Gate(config: config).judge(again, failOn: .regression, onMissing: nil)
                .records
            #expect(pushed == records)
            try sqlite.recordVerdicts(records, run: id, now: now)
            try postgresql.recordVerdicts(pushed, run: id, now: now)
        }
        let last = try #require(judged.last)
        let newest = try sqlite.reading {
            try $0.checkInputs(
                .id(last), judgedBy: "SLOs judge", settings: settings, distributions: false)
        }
        if let run = newest.run.id {
            let evaluation = SLOJudge(config: config).check(newest)
            try sqlite.recordEvaluation(evaluation, of: run, at: now)
            try postgresql.recordEvaluation(evaluation, of: run, at: now)
        }
        for table in ["verdict", "slo_evaluation", "slo_result"] {
            #expect(
                try Self.sqliteRows(engines.path, table: table)
                    == Self.postgresqlRows(engines.cluster, engines.database, table: table),
                "\(table)")
        }
        #expect(try Self.sqliteRows(engines.path, table: "verdict").count > 100)
        try compare("after recording")
        postgresql.close()
    }

    /// Eight writers store the same runs at once, each in another order: every run is stored
    /// once, the others see duplicates, nobody deadlocks, and the tables hold what one writer
    /// alone stores; a reader meanwhile sees each run whole or not at all.
    @Test func eightWritersAtOnceStoreEachRunOnce() throws {
        let submissions = try Self.submissions()
        let engines = try Engines()
        let (cluster, database) = (engines.cluster, engines.database)
        let location = try PostgresURL(parsing: cluster.url(database: database))
        for submission in submissions { _ = try engines.sqlite.store(submission, now: Self.now) }
        let outcomes = try Threads.run(9) { writer -> [StoreOutcome] in
            guard writer == 8 else {
                let warehouse = try PostgresWarehouse.open(
                    location, password: cluster.password, migrate: true)
                var outcomes: [StoreOutcome] = []
                let order = submissions.indices.map {
                    submissions[($0 + writer * 3) % submissions.count]
                }
                for submission in order {
                    outcomes.append(try warehouse.store(submission, now: Self.now))
                }
                warehouse.close()
                return outcomes
            }
            do {
                // A reader: every run it sees has all its measurements.
                let expected = Dictionary(
                    submissions.map {
                        ($0.contentDigest, $0.batch.series.reduce(0) { $0 + $1.statistics.count })
                    },
                    uniquingKeysWith: { first, _ in first })
                for _ in 0..<20 {
                    let rows = try cluster.psql(
                        """
                        SELECT r.content_digest, count(m.value) FROM run r
                        LEFT JOIN measurement m ON m.run_id = r.id GROUP BY r.content_digest
                        """, database: database)
                    for line in rows.split(separator: "\n") {
                        let fields = line.split(separator: "|").map(String.init)
                        #expect(Int(fields[1]) == expected[fields[0]], "partial run \(fields[0])")
                    }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return []
            }
        }.flatMap { $0 }
        let stored = outcomes.filter { if case .stored = $0 { true } else { false } }.count
        #expect(stored == submissions.count)
        #expect(outcomes.count == 8 * submissions.count)
        for table in ["run", "measurement", "series", "series_tag", "timeline", "distribution"] {
            let count = try cluster.psql("SELECT count(*) FROM \(table)", database: database)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                Int(count) == (try Self.sqliteRows(engines.path, table: table).count), "\(table)")
        }
        engines.postgresql.close()
    }
}
