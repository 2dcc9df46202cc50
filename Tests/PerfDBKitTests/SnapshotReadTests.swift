import Foundation
import GRDB
import PerfDBModel
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBStore

/// Gathering reads one snapshot: a run stored by another connection between two of its reads
/// is not seen, so the inputs a verdict rests on are consistent.
@Suite struct SnapshotReadTests {
    /// A reader that lets something happen after its first call, then reads on.
    final class Interrupted: StoreReader {
        let base: any StoreReader
        var meanwhile: (() throws -> Void)?

        init(_ base: any StoreReader, meanwhile: @escaping () throws -> Void) {
            self.base = base
            self.meanwhile = meanwhile
        }

        private func after<T>(_ body: () throws -> T) throws -> T {
            let result = try body()
            if let pending = meanwhile {
                meanwhile = nil
                try pending()
            }
            return result
        }

        func run(_ reference: RunReference) throws -> RunRecord {
            try after { try base.run(reference) }
        }
        func runs(matching filter: RunFilter) throws -> [RunRecord] {
            try after { try base.runs(matching: filter) }
        }
        func history(scope: Scope, before run: RunRecord?, including: Bool, limit: Int) throws
            -> [RunRecord]
        {
            try after {
                try base.history(scope: scope, before: run, including: including, limit: limit)
            }
        }
        func measurements(of runs: [RunRecord]) throws -> RunValues {
            try after { try base.measurements(of: runs) }
        }
        func trendRuns(scope: Scope, limit: Int) throws -> [RunIdentity] {
            try after { try base.trendRuns(scope: scope, limit: limit) }
        }
        func values(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Double] {
            try after { try base.values(of: pair, runs: ids) }
        }
        func seriesCatalog() throws -> [String: SeriesRecord] {
            try after { try base.seriesCatalog() }
        }
        func pinnedBaseline(_ scope: Scope) throws -> BaselineRecord? {
            try after { try base.pinnedBaseline(scope) }
        }
        func latestBaselineEntry(_ scope: Scope) throws -> BaselineRecord? {
            try after { try base.latestBaselineEntry(scope) }
        }
        func baselineLog(_ scope: Scope?) throws -> [BaselineRecord] {
            try after { try base.baselineLog(scope) }
        }
        func earliestRegression(scope: Scope, after entry: BaselineRecord?, before run: RunRecord)
            throws -> RunRecord?
        {
            try after { try base.earliestRegression(scope: scope, after: entry, before: run) }
        }
        func distributions(series: String, runs: [Int64]) throws -> [Int64: DistributionBuckets] {
            try after { try base.distributions(series: series, runs: runs) }
        }
        func distributedSeries(run: Int64) throws -> Set<String> {
            try after { try base.distributedSeries(run: run) }
        }
        func verdicts(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Verdict] {
            try after { try base.verdicts(of: pair, runs: ids) }
        }
        func chaosEntries(_ filter: ChaosFilter) throws -> [ChaosEntry] {
            try after { try base.chaosEntries(filter) }
        }
        func runDetail(_ reference: RunReference) throws -> RunDetail {
            try after { try base.runDetail(reference) }
        }
        func timelines(run: Int64) throws -> [(series: SeriesRecord, buckets: [TimelineRow])] {
            try after { try base.timelines(run: run) }
        }
        func chaosLink(of run: Int64) throws -> ChaosLink? {
            try after { try base.chaosLink(of: run) }
        }
        func loadRuns(underChaosRun chaosRun: Int64) throws -> [Int64] {
            try after { try base.loadRuns(underChaosRun: chaosRun) }
        }
    }

    static func submission(_ index: Int, p95: Double, day: Int? = nil) -> RunSubmission {
        var batch = IngestBatch(kind: .load, tool: "k6", format: .k6SummaryExport, status: .passed)
        batch.series = [
            SeriesValues(
                key: SeriesKey(metric: "http_req_duration"), type: .trend, unit: "ms",
                direction: .lowerIsBetter,
                statistics: [("p95", p95), ("avg", p95 / 2), ("count", 1000)])
        ]
        var context = CIContext()
        context.scenario = "load"
        context.environment = "staging"
        context.branch = "main"
        context.startedAt = Timestamp.parse(
            String(format: "2026-11-%02dT09:00:00Z", day ?? index + 1))
        return RunSubmission(
            inputName: "run\(index)", batch: batch, context: context, exitCode: nil,
            sourceFile: "run\(index).json", contentDigest: "sha256:\(index)", fileModifiedAt: nil)
    }

    @Test func aRunStoredBetweenTwoReadsOfAGatherIsNotSeen() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path
        let warehouse = try Warehouse(path: path)
        for index in 0..<8 {
            _ = try warehouse.store(Self.submission(index, p95: 100 + Double(index % 2)))
        }
        let writer = try Warehouse(path: path)
        let settings = GatherSettings(baseBranch: "main", historyLimit: 10, driftRuns: 5)
        let inputs = try warehouse.reading { reader in
            // After the first read (the run judged), another process stores a slower run dated
            // within the history: a read that saw it would put it in the baseline.
            let interrupted = Interrupted(reader) {
                _ = try writer.store(Self.submission(8, p95: 500, day: 4))
            }
            return try interrupted.checkInputs(.id(8), settings: settings)
        }
        // The run exists now, but not in what the gather saw.
        #expect(try warehouse.reading { try $0.runs(matching: RunFilter()) }.count == 9)
        #expect(inputs.run.id == 8)
        #expect(inputs.baseline.history.compactMap(\.id) == Array(1...7))
        #expect(inputs.values.keys.sorted() == Array(1...8))
        let report = Gate(config: GateTests.config).judge(inputs)
        #expect(report.verdict("http_req_duration", "p95")?.verdict == .ok)
        try warehouse.recordVerdicts(report.records, run: 8)
        let stored = try warehouse.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM verdict WHERE run_id = 8")
        }
        #expect(stored == report.records.count)
    }

    /// A warehouse of `count` runs of the load scenario, the first on 1 November.
    static func warehouse(runs count: Int) throws -> (Warehouse, String) {
        let path = try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path
        let warehouse = try Warehouse(path: path)
        for index in 0..<count {
            _ = try warehouse.store(Self.submission(index, p95: 100 + Double(index % 3)))
        }
        return (warehouse, path)
    }

    @Test func aGatherReadsHalfTheMeasurementsOnATwinAtTheSameSnapshot() throws {
        let (warehouse, path) = try Self.warehouse(runs: 12)
        let writer = try Warehouse(path: path)
        let runs = try warehouse.reading { try $0.runs(matching: RunFilter()) }.reversed()
        let before = try warehouse.reading { try $0.measurements(of: Array(runs)) }
        let (twinned, values) = try warehouse.gathering { reader in
            // Between the gather's first read and its measurements, another process deletes
            // a run of each half: neither connection may see it gone.
            let interrupted = Interrupted(reader) {
                _ = try writer.delete(.id(3))
                _ = try writer.delete(.id(11))
            }
            let runs = Array(try interrupted.runs(matching: RunFilter()).reversed())
            let twinned = (reader as? SQLiteReader)?.twin != nil
            return (twinned, try reader.measurements(of: runs))
        }
        #expect(twinned)
        #expect(values == before)
        #expect(values.pairs == before.pairs)
        #expect(values.keys.sorted() == Array(1...12))
        #expect(try warehouse.reading { try $0.runs(matching: RunFilter()) }.count == 10)
    }

    @Test func aGatherReadsAloneWhileAnotherWriterHoldsTheLock() throws {
        let (warehouse, path) = try Self.warehouse(runs: 10)
        let runs = try warehouse.reading { try $0.runs(matching: RunFilter()) }
        let before = try warehouse.reading { try $0.measurements(of: runs) }
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: configuration)
        try other.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let (twinned, values) = try warehouse.gathering { reader in
            ((reader as? SQLiteReader)?.twin != nil, try reader.measurements(of: runs))
        }
        try other.inDatabase { try $0.execute(sql: "ROLLBACK") }
        #expect(!twinned)
        #expect(values == before)
    }

    @Test func aStatisticOfMoreThanEightBytesIsReadOnEitherConnection() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path
        let warehouse = try Warehouse(path: path)
        for index in 0..<9 {
            var submission = Self.submission(index, p95: 100)
            submission.batch.series[0].statistics.append(("p99.999999", 200 + Double(index)))
            _ = try warehouse.store(submission)
        }
        let runs = try warehouse.reading { try $0.runs(matching: RunFilter()) }
        let pair = SeriesStatistic(series: "http_req_duration", statistic: "p99.999999")
        for values in [
            try warehouse.reading { try $0.measurements(of: runs) },
            try warehouse.gathering { try $0.measurements(of: runs) },
        ] {
            #expect(
                runs.compactMap(\.id).sorted().map { values.value(pair, run: $0) }
                    == (0..<9).map { 200 + Double($0) })
            let p95 = SeriesStatistic(series: "http_req_duration", statistic: "p95")
            #expect(values.value(p95, run: 9) == 100)
        }
    }
}
