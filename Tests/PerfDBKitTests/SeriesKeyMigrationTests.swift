import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// Databases written before series keys left out empty tag values
/// (`0004_drop_empty_tags_from_series`): upgraded in place, or merged from, they hold what a new
/// ingest of the same files stores.
@Suite struct SeriesKeyMigrationTests {
    /// A fresh copy of the schema-0002 fixture (runs 1 and 2: the NDJSON and CSV of one k6 run).
    static func oldDatabase() throws -> String {
        let input = try InputFile.read(TestPaths.fixture("databases", "schema-0002.sqlite.gz"))
        let path = try TestPaths.temporaryDirectory().appending(path: "old.sqlite").path
        try Data(input.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every (series name, statistic, value) of a run, and of its timeline and distributions.
    static func contents(_ warehouse: Warehouse, run: Int64) throws -> [Set<String>] {
        try warehouse.read { db in
            [
                Set(
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT s.name || ' ' || m.statistic || ' ' || m.value
                            FROM measurement m JOIN series s ON s.id = m.series_id
                            WHERE m.run_id = ?
                            """, arguments: [run])),
                Set(
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT s.name || ' ' || t.bucket_start || ' ' || t.count || ' '
                                || coalesce(t.p95, t.rate, '')
                            FROM timeline t JOIN series s ON s.id = t.series_id
                            WHERE t.run_id = ?
                            """, arguments: [run])),
                Set(
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT s.name || ' ' || d.count || ' ' || hex(d.data)
                            FROM distribution d JOIN series s ON s.id = d.series_id
                            WHERE d.run_id = ?
                            """, arguments: [run])),
            ]
        }
    }

    static func freshIngest() throws -> Warehouse {
        let warehouse = try Warehouse(
            path: try TestPaths.temporaryDirectory().appending(path: "new.sqlite").path)
        let loaded = try InputFormat.load(
            TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"), as: nil, options: StreamOptions())
        _ = try warehouse.store(
            RunSubmission(
                inputName: "smoke", batch: loaded.batch, context: CIContext(), exitCode: nil,
                sourceFile: "smoke.ndjson.gz", contentDigest: loaded.digest, fileModifiedAt: nil))
        return warehouse
    }

    @Test func anUpgradedDatabaseHoldsWhatANewIngestStores() throws {
        let path = try Self.oldDatabase()
        let before = try DatabaseQueue(path: path).read { db in
            (
                empty: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM series_tag WHERE value = ''") ?? 0,
                verdicts: try Int.fetchOne(db, sql: "SELECT count(*) FROM verdict") ?? 0
            )
        }
        #expect(before.empty > 0, "the fixture has series with empty tag values")
        let warehouse = try Warehouse(path: path)
        try warehouse.read { db in
            #expect(
                try Int.fetchOne(db, sql: "SELECT count(*) FROM series_tag WHERE value = ''") == 0)
            #expect(
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM series WHERE name LIKE '%:,%' OR name LIKE '%:}'"
                )
                    == 0)
            // The NDJSON and the CSV of one k6 run now have the same series.
            let ndjson = try Int64.fetchSet(
                db, sql: "SELECT DISTINCT series_id FROM measurement WHERE run_id = 1")
            let csv = try Int64.fetchSet(
                db, sql: "SELECT DISTINCT series_id FROM measurement WHERE run_id = 2")
            #expect(ndjson == csv)
            // A series' name is its tags, as a new ingest names it.
            for row in try Row.fetchAll(db, sql: "SELECT id, name, metric FROM series") {
                let tags = try Row.fetchAll(
                    db, sql: "SELECT key, value FROM series_tag WHERE series_id = ?",
                    arguments: [row["id"] as Int64]
                ).map { SeriesKey.Tag($0["key"], $0["value"]) }
                #expect(SeriesKey(metric: row["metric"], tags: tags).name == row["name"] as String)
            }
            let verdicts = try Int.fetchOne(db, sql: "SELECT count(*) FROM verdict") ?? 0
            #expect(verdicts > 0 && verdicts <= before.verdicts)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            // Thresholds stored before were all evaluated, none with abortOnFail.
            #expect(
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT count(*) FROM threshold_result WHERE passed IS NULL OR abort_on_fail"
                )
                    == 0)
        }
        #expect(
            try Self.contents(warehouse, run: 1) == Self.contents(try Self.freshIngest(), run: 1))
    }

    @Test func anOlderFileMergesAsAnUpgradedOne() throws {
        let path = try Self.oldDatabase()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let target = try Warehouse(
            path: try TestPaths.temporaryDirectory().appending(path: "target.sqlite").path)
        let report = try target.merge([try MergeSource(path: path, into: target.path)])
        #expect(report.sources.first?.schema == "0002_add_distributions_and_timelines")
        #expect(report.sources.first?.added.count == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "left untouched")
        #expect(try Self.contents(target, run: 1) == Self.contents(try Self.freshIngest(), run: 1))
        let empty = try target.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM series_tag WHERE value = ''")
        }
        #expect(empty == 0)
    }
}
