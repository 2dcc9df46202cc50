import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct WarehouseTests {
    private func openWarehouse() throws -> Warehouse {
        try Warehouse(path: try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path)
    }

    private func submission(_ batch: IngestBatch, digest: String = "sha256:1", exitCode: Int? = nil)
        -> RunSubmission
    {
        var context = CIContext()
        context.commit = "0123456789abcdef"
        context.branch = "main"
        context.startedAt = Timestamp.parse("2026-11-10T09:00:00Z")
        return RunSubmission(
            inputName: "in.json", batch: batch, context: context, exitCode: exitCode,
            sourceFile: "in.json", contentDigest: digest, fileModifiedAt: nil)
    }

    private func sampleBatch() -> IngestBatch {
        var batch = IngestBatch(kind: .load, tool: "k6", format: .k6SummaryExport, status: .passed)
        let key = SeriesKey(metric: "http_req_duration", tags: [.init("endpoint", "reservations")])
        batch.series = [
            SeriesValues(
                key: key, type: .trend, unit: "ms", direction: .lowerIsBetter,
                statistics: [("avg", 41.25), ("p95", 50.5)])
        ]
        batch.thresholds = [ThresholdValue(series: key, expression: "p(95)<3000", passed: true)]
        batch.checks = [
            CheckValue(groupPath: "::booking", name: "status is 200", passes: 9, fails: 1)
        ]
        return batch
    }

    @Test func schemaMatchesTheGoldenDump() throws {
        let dump = try openWarehouse().schemaDump()
        #expect(Snapshot.mismatch(dump, named: "schema.sql") == nil)
    }

    @Test func exitCodesOfK6DecideTheStatus() {
        #expect(sampleBatch().settled(exitCode: nil).status == .passed)
        #expect(sampleBatch().settled(exitCode: 99).status == .failed)
        for code in [105, 107, 108, 1] {
            #expect(sampleBatch().settled(exitCode: code).status == .aborted)
        }
        var failed = sampleBatch()
        failed.status = .failed
        #expect(failed.settled(exitCode: 0).status == .failed)
    }

    @Test func aDatabaseFromANewerPerfdbIsRefusedAndLeftAlone() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "new.sqlite").path
        _ = try Warehouse(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO schema_migration VALUES ('9999_from_the_future', '2030-01-01')")
        }
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            _ = try Warehouse(path: path)
        } throws: { error in
            let error = error as? PerfDBError
            return error?.code == .io && error?.message.contains("newer perfdb") == true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// Statements SQLite itself calls read-only but that attach files, change settings, load
    /// extensions or maintain the file (the engine-neutral refusals: StoreContractTests).
    @Test func queryRefusesWhatSQLiteCallsReadOnly() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "q.sqlite").path
        _ = try Warehouse(path: path).store(submission(sampleBatch()))
        let reader = try Warehouse(path: path, access: .readOnly)
        for sql in [
            "ATTACH DATABASE '/tmp/x.sqlite' AS x", "PRAGMA journal_mode = DELETE",
            "SELECT load_extension('x')", "VACUUM",
        ] {
            #expect("\(sql)") {
                _ = try reader.query(sql)
            } throws: { error in
                (error as? PerfDBError)?.code == .usage
            }
        }
    }

    @Test func readOnlyAccessNeedsAnExistingDatabase() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "missing.sqlite").path
        #expect {
            _ = try Warehouse(path: path, access: .readOnly)
        } throws: { error in
            (error as? PerfDBError)?.code == .inputNotFound
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
