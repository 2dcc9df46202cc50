import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBModel
@testable import PerfDBPostgres
@testable import PerfDBStore

/// What every engine of the warehouse promises through the `Store` protocol, each test run
/// once on a SQLite file and once on a PostgreSQL database of a real server.
@Suite struct StoreContractTests {
    /// The engines a store can live on.
    enum Engine: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgresql

        var testDescription: String { rawValue }

        /// A new, empty warehouse.
        func open(_ access: StoreAccess = .readWrite) throws -> any Store {
            switch self {
            case .sqlite:
                return try Warehouse(
                    path: try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path,
                    access: access)
            case .postgresql:
                let cluster = try PostgresCluster.shared()
                return try PostgresStore(
                    url: try PostgresURL(
                        parsing: cluster.url(database: try cluster.createDatabase("contract"))),
                    password: cluster.password, access: access)
            }
        }
    }

    static let startedAt = Timestamp.parse("2026-11-10T09:00:00Z")

    func submission(
        _ batch: IngestBatch = sample(), digest: String = "sha256:1", hour: Int = 0
    ) -> RunSubmission {
        var context = CIContext()
        context.commit = "0123456789abcdef"
        context.branch = "main"
        context.scenario = "load"
        context.startedAt = Self.startedAt?.addingTimeInterval(Double(hour) * 3600)
        return RunSubmission(
            inputName: "in.json", batch: batch, context: context, exitCode: nil,
            sourceFile: "in.json", contentDigest: digest, fileModifiedAt: nil)
    }

    static func sample() -> IngestBatch {
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

    @Test(arguments: Engine.allCases)
    func aSeriesIsDeclaredOnceAnyRunDeclaresIt(_ engine: Engine) throws {
        let store = try engine.open()
        let name = "http_req_duration{endpoint:reservations}"
        func declared() throws -> Bool? {
            try store.reading { try $0.seriesCatalog() }[name]?.declared
        }
        // A raw stream's view of a tag, then a summary that declares the same submetric, then
        // the view again: declared from the summary on.
        var derived = Self.sample()
        derived.series[0].declared = false
        #expect(try store.store(submission(derived, digest: "sha256:1")) == .stored(runID: 1))
        #expect(try declared() == false)
        #expect(try store.store(submission(digest: "sha256:2", hour: 1)) == .stored(runID: 2))
        #expect(try declared() == true)
        #expect(
            try store.store(submission(derived, digest: "sha256:3", hour: 2)) == .stored(runID: 3))
        #expect(try declared() == true)
    }

    @Test(arguments: Engine.allCases)
    func aMergedFileDeclaresTheSeriesItsRunsDeclare(_ engine: Engine) throws {
        let store = try engine.open()
        var derived = Self.sample()
        derived.series[0].declared = false
        #expect(try store.store(submission(derived, digest: "sha256:1")) == .stored(runID: 1))
        let job = try TestPaths.temporaryDirectory().appending(path: "job.sqlite").path
        _ = try Warehouse(path: job).store(submission(digest: "sha256:2", hour: 1))
        let source = try MergeSource(path: job, into: store.location)
        let report =
            if let server = store as? PostgresStore {
                try server.merge([try source.contents()])
            } else {
                try #require(store as? Warehouse).merge([source])
            }
        #expect(report.sources.first?.added.count == 1)
        let series = try store.reading { try $0.seriesCatalog() }
        #expect(series["http_req_duration{endpoint:reservations}"]?.declared == true)
    }

    func counts(_ store: any Store, _ tables: [String]) throws -> [Double] {
        try tables.map { table in
            guard
                case .number(let count) = try store.query("SELECT count(*) AS n FROM \(table)")
                    .rows.first?.first
            else { return -1 }
            return count
        }
    }

    @Test(arguments: Engine.allCases)
    func storesARunWithEverythingInIt(_ engine: Engine) throws {
        let store = try engine.open()
        #expect(try store.store(submission()) == .stored(runID: 1))
        let detail = try store.reading { try $0.runDetail(.latest) }
        #expect(detail.run.commitId == "0123456789abcdef")
        #expect(detail.run.startedAt == "2026-11-10T09:00:00.000Z")
        #expect(detail.metrics.map(\.series.name) == ["http_req_duration{endpoint:reservations}"])
        #expect(detail.metrics.first?.statistics.map(\.value) == [41.25, 50.5])
        #expect(detail.thresholds.map(\.passed) == [true])
        #expect(detail.checks.map(\.fails) == [1])
        let tags = try store.query("SELECT key || '=' || value AS tag FROM series_tag")
        #expect(tags.rows == [[.string("endpoint=reservations")]])
    }

    @Test(arguments: Engine.allCases)
    func theSameContentIsStoredOnceUnlessReplaced(_ engine: Engine) throws {
        let store = try engine.open()
        #expect(try store.store(submission()) == .stored(runID: 1))
        #expect(try store.store(submission()) == .duplicate(runID: 1))
        #expect(try store.store(submission(), replace: true) == .replaced(oldRunID: 1, runID: 2))
        #expect(try counts(store, ["run", "measurement", "series"]) == [1, 2, 1])
    }

    @Test(arguments: Engine.allCases)
    func aFailureInsideTheTransactionStoresNothing(_ engine: Engine) throws {
        let store = try engine.open()
        var batch = Self.sample()
        // A statistic name the schema's CHECK refuses makes the insert fail half-way.
        batch.series.append(
            SeriesValues(
                key: SeriesKey(metric: "x"), type: .counter, unit: "count", direction: .neutral,
                statistics: [("bogus", 1)]))
        #expect(throws: PerfDBError.self) { try store.store(submission(batch)) }
        #expect(try counts(store, ["run", "series", "measurement"]) == [0, 0, 0])
    }

    @Test(arguments: Engine.allCases)
    func queryReadsAndRefusesWrites(_ engine: Engine) throws {
        let store = try engine.open()
        _ = try store.store(submission())
        let result = try store.query("SELECT id, status FROM run")
        #expect(result.columns == ["id", "status"])
        #expect(result.rows == [[.number(1), .string("passed")]])
        for sql in [
            "DELETE FROM run", "INSERT INTO run_label VALUES (1, 'a', 'b')", "DROP TABLE run",
            "WITH gone AS (DELETE FROM run RETURNING id) SELECT count(*) FROM gone",
            "SELECT 1; DELETE FROM run", "",
        ] {
            #expect("\(sql)") {
                _ = try store.query(sql)
            } throws: { error in
                (error as? PerfDBError)?.code == .usage
            }
        }
        #expect(try counts(store, ["run"]) == [1])
    }

    @Test(arguments: Engine.allCases)
    func invalidatedRunsStayAndPinnedRunsCannotBeDeleted(_ engine: Engine) throws {
        let store = try engine.open()
        for hour in 0..<3 { _ = try store.store(submission(digest: "sha256:\(hour)", hour: hour)) }
        #expect(throws: PerfDBError.self) { try store.invalidate(.id(2), reason: " ") }
        let invalid = try store.invalidate(.id(2), reason: "load generator starved")
        #expect(invalid.invalidated && invalid.invalidatedReason == "load generator starved")
        let scope = Scope(scenario: "load", environment: nil, branch: "main")
        let history = try store.reading {
            try $0.history(scope: scope, before: nil, including: false, limit: 10)
        }
        #expect(history.compactMap(\.id) == [1, 3])
        let run = try store.reading { try $0.run(.id(1)) }
        _ = try store.recordBaseline(
            kind: .run, run: run, scope: scope, windowSize: nil, reason: "agreed", setBy: "ci")
        #expect {
            _ = try store.delete(.id(1))
        } throws: { error in
            (error as? PerfDBError)?.message.contains("pinned baseline") == true
        }
        #expect(try store.delete(.id(3)).id == 3)
        #expect(try counts(store, ["run"]) == [2])
        #expect(throws: PerfDBError.self) { try store.delete(.id(3)) }
    }

    @Test(arguments: Engine.allCases)
    func aTrendReadsTheHistorysRunsByTheColumnsItShows(_ engine: Engine) throws {
        let store = try engine.open()
        for hour in 0..<4 { _ = try store.store(submission(digest: "sha256:\(hour)", hour: hour)) }
        _ = try store.invalidate(.id(2), reason: "load generator starved")
        let scope = Scope(scenario: "load", environment: nil, branch: "main")
        let (history, all, newest) = try store.reading {
            (
                try $0.history(scope: scope, before: nil, including: false, limit: 10),
                try $0.trendRuns(scope: scope, limit: 10), try $0.trendRuns(scope: scope, limit: 2)
            )
        }
        #expect(all.compactMap(\.id) == [1, 3, 4])
        #expect(all == history.map(RunIdentity.init))
        #expect(all.allSatisfy { $0.commitId == "0123456789abcdef" })
        #expect(newest == Array(all.suffix(2)))
    }

    @Test(arguments: Engine.allCases)
    func aNewPinSupersedesThePinInForce(_ engine: Engine) throws {
        let store = try engine.open()
        for hour in 0..<2 { _ = try store.store(submission(digest: "sha256:\(hour)", hour: hour)) }
        let scope = Scope(scenario: "load", environment: nil, branch: "main")
        let (first, second) = try store.reading { (try $0.run(.id(1)), try $0.run(.id(2))) }
        let old = try store.recordBaseline(
            kind: .run, run: first, scope: scope, windowSize: nil, reason: "first",
            setBy: nil, now: Date(timeIntervalSince1970: 1_000))
        let new = try store.recordBaseline(
            kind: .window, run: second, scope: scope, windowSize: 5, reason: "wider",
            setBy: nil, now: Date(timeIntervalSince1970: 2_000))
        let (pinned, log) = try store.reading {
            (try $0.pinnedBaseline(scope), try $0.baselineLog(nil))
        }
        #expect(pinned?.id == new.id)
        #expect(pinned?.windowSize == 5)
        #expect(log.first { $0.id == old.id }?.supersededBy == new.id)
        #expect(log.first { $0.id == new.id }?.supersededAt == nil)
    }

    @Test(arguments: Engine.allCases)
    func recordedVerdictsReplaceTheRunsEarlierOnes(_ engine: Engine) throws {
        let store = try engine.open()
        _ = try store.store(submission())
        let evidence = VerdictRecord.Evidence.run(
            RunEvidence(
                baseline: .init(
                    kind: .automatic, runs: [], heldBackAt: nil, acceptedAt: nil, pin: nil),
                exitCode: 0, slo: nil, changePoints: []))
        let verdict = VerdictRecord(
            series: "http_req_duration{endpoint:reservations}", statistic: "p95",
            verdict: .ok, value: 50.5, baseline: 50, changePct: 1, evidence: evidence)
        try store.recordVerdicts([verdict, verdict], run: 1)
        try store.recordVerdicts([verdict], run: 1)
        let rows = try store.query("SELECT run_id, series_id, statistic, verdict FROM verdict")
        #expect(rows.rows == [[.number(1), .number(1), .string("p95"), .string("ok")]])
    }

    @Test(arguments: Engine.allCases)
    func readingNeedsAnExistingWarehouse(_ engine: Engine) throws {
        #expect {
            _ = try engine.open(.readOnly)
        } throws: { error in
            (error as? PerfDBError)?.code == .inputNotFound
        }
    }
}
