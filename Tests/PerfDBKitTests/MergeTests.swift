import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct MergeTests {
    /// A submission of a real k6 summary with its own digest and start time.
    func submission(_ digest: String, startedAt: String) throws -> RunSubmission {
        var context = CIContext()
        context.scenario = "load"
        context.environment = "staging"
        context.branch = "main"
        context.startedAt = Timestamp.parse(startedAt)
        return RunSubmission(
            inputName: "load.json", batch: try fixtureBatch("k6-summary-export", "load.json"),
            context: context, exitCode: 0, sourceFile: "load.json", contentDigest: digest,
            fileModifiedAt: nil)
    }

    func database(_ name: String) throws -> Warehouse {
        try Warehouse(path: try TestPaths.temporaryDirectory().appending(path: name).path)
    }

    func merge(_ other: String, into warehouse: Warehouse) throws -> MergeReport {
        try warehouse.merge([MergeSource(path: other, into: warehouse.path)])
    }

    func date(_ text: String) throws -> Date { try #require(Timestamp.parse(text)) }

    @Test func everyTableOfTheSchemaIsMerged() throws {
        let warehouse = try database("schema.sqlite")
        let tables = try warehouse.read { db in
            try String.fetchSet(
                db,
                sql:
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        #expect(tables == Merger.handledTables)
    }

    @Test func theNewestPinIsInForceWhicheverFileItCameFrom() throws {
        let main = try database("main.sqlite")
        let job = try database("job.sqlite")
        for warehouse in [main, job] {
            _ = try warehouse.store(try submission("sha256:a", startedAt: "2026-11-10T09:00:00Z"))
            _ = try warehouse.store(try submission("sha256:b", startedAt: "2026-11-11T09:00:00Z"))
        }
        let scope = Scope(scenario: "load", environment: "staging", branch: "main")
        let first = try main.reading { try $0.run(.id(1)) }
        let second = try job.reading { try $0.run(.id(2)) }
        // The job pinned first and accepted last; the main file pinned in between.
        _ = try job.recordBaseline(
            kind: .run, run: second, scope: scope, windowSize: nil, reason: "job pin",
            setBy: "ci", now: try date("2026-11-12T09:00:00Z"))
        _ = try main.recordBaseline(
            kind: .run, run: first, scope: scope, windowSize: nil, reason: "main pin",
            setBy: "qa", now: try date("2026-11-13T09:00:00Z"))
        _ = try job.recordBaseline(
            kind: .accept, run: second, scope: scope, windowSize: nil, reason: "new level",
            setBy: "ci", now: try date("2026-11-14T09:00:00Z"))

        let report = try merge(job.path, into: main)
        #expect(report.sources.first?.baselinesAdded == 2)
        #expect(report.sources.first?.alreadyHere == 2)
        #expect(try main.reading { try $0.pinnedBaseline(scope) }?.reason == "main pin")
        #expect(try main.reading { try $0.latestBaselineEntry(scope) }?.reason == "new level")
        let log = try main.reading { try $0.baselineLog(scope) }
        #expect(log.map(\.reason) == ["new level", "main pin", "job pin"])
        let jobPin = try #require(log.last)
        #expect(jobPin.supersededBy == log[1].id)
        #expect(jobPin.supersededAt == "2026-11-13T09:00:00.000Z")
        #expect(log[1].supersededAt == nil)

        // Again: nothing new, the same log.
        #expect(try merge(job.path, into: main).sources.first?.baselinesAdded == 0)
        #expect(try main.reading { try $0.baselineLog(scope) } == log)
    }

    @Test func filesThatAreNotSoundPerfdbDatabasesAreRefused() throws {
        let directory = try TestPaths.temporaryDirectory()
        let main = try database("main.sqlite")
        _ = try main.store(try submission("sha256:a", startedAt: "2026-11-10T09:00:00Z"))

        let newer = directory.appending(path: "newer.sqlite").path
        _ = try Warehouse(path: newer)
        let plain = directory.appending(path: "plain.sqlite").path
        let corrupt = directory.appending(path: "corrupt.sqlite").path
        _ = try Warehouse(path: corrupt).store(
            try submission("sha256:c", startedAt: "2026-11-10T09:00:00Z"))
        for (path, sql) in [
            (newer, "INSERT INTO schema_migration VALUES ('9999_from_the_future', '2030-01-01')"),
            (plain, "CREATE TABLE results (name TEXT, value REAL)"),
        ] {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: sql) }
            try queue.close()
        }
        // Scribble over the pages after the header: SQLite opens the file but cannot read it.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: corrupt))
        for index in 4096..<min(bytes.count, 16384) { bytes[index] = 0x5A }
        try bytes.write(to: URL(fileURLWithPath: corrupt))

        for (path, message) in [
            (newer, "written by a newer perfdb (schema 9999_from_the_future)"),
            (plain, "not a perfdb database"),
            (corrupt, "corrupt"),
        ] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: PerfDBError.self) {
                _ = try merge(path, into: main)
            }
            do {
                _ = try merge(path, into: main)
            } catch let error as PerfDBError {
                #expect(error.code == .badInput, "\(error)")
                #expect(
                    error.message.hasPrefix(path) && error.message.contains(message), "\(error)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
        #expect(try main.reading { try $0.runs(matching: RunFilter()) }.count == 1)
    }

    @Test func evidenceIdsAreMappedAndUnknownOnesGo() throws {
        let main = try database("main.sqlite")
        let source = try MergeSource(path: main.path, into: "/nonexistent")
        try main.write { db in
            var merger = Merger(source: source, db: db)
            merger.runs = [1: 11, 2: 12]
            merger.baselines = [1: 5]
            let series = try VerdictRecord.Evidence(
                storedText:
                    """
                    {"unit":"ms","direction":"lower_is_better","change_abs":1,"spread":1,"z":"+inf",
                    "n":3,"baseline_runs":[1,2,3],"method":"m","mann_whitney_p":null,
                    "superiority":null,"thresholds":{"family":"durations","min_change_pct":10,
                    "min_change_abs":2,"min_z":3,"warning_change_pct":5},"reason":"r"}
                    """, ofSeries: true)
            guard case .series(let mapped) = merger.remapped(series) else {
                Issue.record("not series evidence")
                return
            }
            #expect(mapped.baselineRuns == [11, 12])
            #expect(mapped.n == 3)
            #expect(mapped.z == ZScore(.infinity))
            let run = try VerdictRecord.Evidence(
                storedText:
                    """
                    {"baseline":{"kind":"pinned-window","runs":[2],"held_back_at":1,"accepted_at":7,
                    "pin":{"id":1,"kind":"window","run_id":2,"window":5,"reason":"r",
                    "set_at":"2026-11-10T09:00:00.000Z"}},"exit_code":2,"slo":"PASS",
                    "change_points":[{"series":"s","stat":"p95","run_id":1,"commit":null,
                    "started_at":"2026-11-10T09:00:00.000Z","before":1,"after":2,"change_pct":100,
                    "p_value":0.001,"direction":"regression"}]}
                    """, ofSeries: false)
            #expect(
                try merger.remapped(run).storedText()
                    == """
                    {"baseline":{"kind":"pinned-window","runs":[12],"held_back_at":11,\
                    "accepted_at":null,"pin":{"id":5,"kind":"window","run_id":12,"window":5,\
                    "reason":"r","set_at":"2026-11-10T09:00:00.000Z"},"outlier":null},"exit_code":2,\
                    "slo":"PASS",\
                    "change_points":[{"series":"s","stat":"p95","run_id":11,"commit":null,\
                    "started_at":"2026-11-10T09:00:00.000Z","before":1,"after":2,"change_pct":100,\
                    "p_value":0.001,"direction":"regression"}]}
                    """)
        }
    }
}
