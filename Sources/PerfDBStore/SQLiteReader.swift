import Foundation
import GRDB
internal import GRDBSQLite
import PerfDBCodec
import PerfDBModel

/// The SQLite warehouse's reads, on the connection of one read transaction.
public struct SQLiteReader: StoreReader {
    let db: Database
    /// The database file, for messages.
    let path: String
    /// A second connection at the same snapshot, when the gather has one.
    var twin: TwinConnection?

    public func run(_ reference: RunReference) throws -> RunRecord {
        switch reference {
        case .id(let id):
            guard let run = try RunRecord.fetchOne(db, key: id) else {
                throw PerfDBError(.inputNotFound, "no run \(id) in \(path)")
            }
            return run
        case .latest:
            guard
                let run = try RunRecord.order(
                    RunRecord.Columns.startedAt.desc, RunRecord.Columns.id.desc
                ).fetchOne(db)
            else {
                throw PerfDBError(.inputNotFound, "no runs in \(path) yet")
            }
            return run
        }
    }

    public func runs(matching filter: RunFilter) throws -> [RunRecord] {
        var request = RunRecord.all()
        if let kind = filter.kind {
            request = request.filter(RunRecord.Columns.kind == kind.rawValue)
        }
        if let scenario = filter.scenario {
            request = request.filter(RunRecord.Columns.scenario == scenario)
        }
        if let environment = filter.environment {
            request = request.filter(RunRecord.Columns.environment == environment)
        }
        if let branch = filter.branch {
            request = request.filter(RunRecord.Columns.branch == branch)
        }
        if let commit = filter.commit {
            request = request.filter(
                RunRecord.Columns.commitId == commit
                    || RunRecord.Columns.commitId.like(SQLText.likePrefix(commit)))
        }
        if let since = filter.since {
            request = request.filter(RunRecord.Columns.startedAt >= Timestamp.format(since))
        }
        request = request.order(RunRecord.Columns.startedAt.desc, RunRecord.Columns.id.desc)
        if let limit = filter.limit { request = request.limit(limit) }
        return try request.fetchAll(db)
    }

    public func history(scope: Scope, before run: RunRecord?, including: Bool, limit: Int)
        throws -> [RunRecord]
    {
        var runs = try newestValid(scope: scope, before: run, limit: limit, columns: "*") {
            try RunRecord(row: $0)
        }
        if including, let run { runs.append(run) }
        return runs
    }

    public func trendRuns(scope: Scope, limit: Int) throws -> [RunIdentity] {
        try newestValid(
            scope: scope, before: nil, limit: limit,
            columns: "id, started_at, commit_id, build_id"
        ) { row in
            RunIdentity(id: row[0], startedAt: row[1], commitId: row[2], buildId: row[3])
        }
    }

    /// The newest `limit` valid load runs of `scope` that started before `run` (or all when
    /// `run` is nil), oldest first, one room more than their number: each row's `columns` made
    /// into a value by `make`.
    private func newestValid<T>(
        scope: Scope, before run: RunRecord?, limit: Int, columns: String,
        _ make: (Row) throws -> T
    ) throws -> [T] {
        var condition = """
            WHERE kind = 'load' AND invalidated = 0 AND status <> 'aborted'
              AND scenario IS ? AND environment IS ? AND branch = ?
              AND NOT EXISTS (SELECT 1 FROM chaos_link l WHERE l.run_id = run.id)
            """
        var arguments: StatementArguments = [scope.scenario, scope.environment, scope.branch]
        if let run, let id = run.id {
            condition += " AND (started_at < ? OR (started_at = ? AND id < ?))"
            arguments += [run.startedAt, run.startedAt, id]
        }
        // Counted first and reserved once, then reversed in place: grown by doubling, a long
        // trend's hundred thousand rows would briefly take half as much room again.
        let count =
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM run " + condition, arguments: arguments) ?? 0
        var values: [T] = []
        values.reserveCapacity(min(count, limit) + 1)
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT \(columns) FROM run " + condition
                + " ORDER BY started_at DESC, id DESC LIMIT ?",
            arguments: arguments + [limit])
        while let row = try rows.next() { values.append(try make(row)) }
        values.reverse()
        return values
    }

    public func measurements(of runs: [RunRecord]) throws -> RunValues {
        let ids = runs.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        // The names once, not joined to every row; each pair's column made once, however many
        // runs have it, and found again by the series' id and the statistic's bytes: a raw
        // stream's fifty runs hold a hundred thousand rows, read here through SQLite's own
        // calls. With a twin, the newer runs are read on it meanwhile, on another core.
        var names: [Int64: String] = [:]
        let series = try Row.fetchCursor(db, sql: "SELECT id, name FROM series")
        while let row = try series.next() { names[row[0]] = row[1] }
        var sink = MeasurementSink(result: RunValues(runs: ids), names: names)
        let ordered = ids.sorted()
        let own = twin != nil && ordered.count >= Self.twinRuns ? ordered.count / 2 : ordered.count
        let other = twin.flatMap {
            own < ordered.count ? TwinRead($0, runs: Array(ordered[own...])) : nil
        }
        defer { _ = try? other?.rows() }
        // By run, from the run index alone (it holds the values: migration 0009).
        let statement = try db.makeStatement(sql: Self.measurementsSQL(runs: own))
        try statement.setArguments(StatementArguments(ordered[..<own]))
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        try MeasurementRows.scan(raw, into: &sink) { RawStatements.error(db, code: $0) }
        // Then the twin's, the newer runs: the pairs' columns come in the order of one read.
        if let rows = try other?.rows() {
            for row in rows.values.indices {
                sink.add(
                    run: rows.runs[row], series: rows.series[row], statistic: rows.statistics[row],
                    value: rows.values[row])
            }
        }
        return sink.result
    }

    /// The fewest runs whose measurements are worth reading on two connections.
    static let twinRuns = 8

    /// The measurement rows of `runs` run ids (bound in order), by run.
    static func measurementsSQL(runs: Int) -> String {
        """
        SELECT run_id, series_id, statistic, value FROM measurement
        WHERE run_id IN (\(placeholders(runs)))
        ORDER BY run_id
        """
    }

    public func values(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Double] {
        guard !ids.isEmpty,
            let seriesID = try Int64.fetchOne(
                db, sql: "SELECT id FROM series WHERE name = ?", arguments: [pair.series])
        else { return [:] }
        // A few runs: by key. Many (a long trend): the series' rows in key order, kept when
        // their run is asked for; no statement takes a hundred thousand parameters.
        let few = ids.count <= 500
        let wanted = few ? [] : Set(ids)
        var sql = "SELECT run_id, value FROM measurement WHERE series_id = ? AND statistic = ?"
        var arguments: StatementArguments = [seriesID, pair.statistic]
        if few {
            sql += " AND run_id IN (" + Self.placeholders(ids.count) + ")"
            arguments += StatementArguments(ids)
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        var result: [Int64: Double] = [:]
        result.reserveCapacity(ids.count)
        while let row = try rows.next() {
            let run: Int64 = row[0]
            guard few || wanted.contains(run) else { continue }
            result[run] = row[1]
        }
        return result
    }

    public func seriesCatalog() throws -> [String: SeriesRecord] {
        Dictionary(
            try SeriesRecord.fetchAll(db).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func pinnedBaseline(_ scope: Scope) throws -> BaselineRecord? {
        try newestEntry(of: scope, where: "kind IN ('run', 'window') AND superseded_at IS NULL")
    }

    public func latestBaselineEntry(_ scope: Scope) throws -> BaselineRecord? {
        try newestEntry(of: scope, where: "1")
    }

    /// The entry of `scope` set last among those `condition` admits.
    private func newestEntry(of scope: Scope, where condition: String) throws -> BaselineRecord? {
        try BaselineRecord.fetchOne(
            db,
            sql: """
                SELECT * FROM baseline
                WHERE scenario IS ? AND environment IS ? AND branch = ? AND \(condition)
                ORDER BY set_at DESC, id DESC LIMIT 1
                """, arguments: [scope.scenario, scope.environment, scope.branch])
    }

    public func baselineLog(_ scope: Scope?) throws -> [BaselineRecord] {
        guard let scope else {
            return try BaselineRecord.order(Column("set_at").desc, Column("id").desc).fetchAll(db)
        }
        return try BaselineRecord.fetchAll(
            db,
            sql: """
                SELECT * FROM baseline
                WHERE scenario IS ? AND environment IS ? AND branch = ?
                ORDER BY set_at DESC, id DESC
                """, arguments: [scope.scenario, scope.environment, scope.branch])
    }

    public func earliestRegression(
        scope: Scope, after entry: BaselineRecord?, before run: RunRecord
    ) throws -> RunRecord? {
        try RunRecord.fetchOne(
            db,
            sql: """
                SELECT r.* FROM run r
                WHERE r.kind = 'load' AND r.invalidated = 0
                  AND r.scenario IS ? AND r.environment IS ? AND r.branch = ?
                  AND r.started_at < ?
                  AND EXISTS (SELECT 1 FROM verdict v
                              WHERE v.run_id = r.id AND v.verdict = 'regression'
                                AND v.series_id IS NOT NULL AND v.decided_at > ?)
                ORDER BY r.started_at, r.id LIMIT 1
                """,
            arguments: [
                scope.scenario, scope.environment, scope.branch, run.startedAt,
                entry?.setAt ?? "",
            ])
    }

    public func distributions(series: String, runs: [Int64]) throws
        -> [Int64: DistributionBuckets]
    {
        guard !runs.isEmpty else { return [:] }
        // Many runs: the series' rows, kept when their run is asked for (as `measurements`).
        let few = runs.count <= 500
        let wanted = few ? [] : Set(runs)
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT d.run_id, d.count, d.data FROM distribution d
                JOIN series s ON s.id = d.series_id
                WHERE s.name = ?
                """ + (few ? " AND d.run_id IN (\(Self.placeholders(runs.count)))" : ""),
            arguments: StatementArguments([series]) + StatementArguments(few ? runs : []))
        var result: [Int64: DistributionBuckets] = [:]
        while let row = try rows.next() {
            let run: Int64 = row["run_id"]
            guard few || wanted.contains(run) else { continue }
            let data: Data = row["data"]
            result[run] = try DistributionCodec.decode([UInt8](data), count: row["count"])
        }
        return result
    }

    public func distributedSeries(run: Int64) throws -> Set<String> {
        try String.fetchSet(
            db,
            sql: """
                SELECT s.name FROM distribution d JOIN series s ON s.id = d.series_id
                WHERE d.run_id = ?
                """, arguments: [run])
    }

    public func verdicts(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Verdict] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: Verdict] = [:]
        let few = ids.count <= 500
        let wanted = few ? [] : Set(ids)
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT v.run_id, v.verdict FROM verdict v JOIN series s ON s.id = v.series_id
                WHERE s.name = ? AND v.statistic = ?
                """ + (few ? " AND v.run_id IN (\(Self.placeholders(ids.count)))" : ""),
            arguments: StatementArguments([pair.series, pair.statistic])
                + StatementArguments(few ? ids : []))
        while let row = try rows.next() {
            let run: Int64 = row[0]
            guard few || wanted.contains(run) else { continue }
            result[run] = row[1]
        }
        return result
    }

    public func chaosEntries(_ filter: ChaosFilter) throws -> [ChaosEntry] {
        var sql = """
            SELECT r.* FROM run r JOIN chaos_experiment c ON c.run_id = r.id
            WHERE r.invalidated = 0
            """
        var arguments = StatementArguments()
        if let family = filter.family {
            sql += " AND c.family = ?"
            arguments += [family]
        }
        if let faultType = filter.faultType {
            sql += " AND c.fault_type = ?"
            arguments += [faultType.uppercased()]
        }
        if let name = filter.name {
            sql += " AND c.name = ?"
            arguments += [name]
        }
        if let environment = filter.environment {
            sql += " AND r.environment = ?"
            arguments += [environment]
        }
        if let branch = filter.branch {
            sql += " AND r.branch = ?"
            arguments += [branch]
        }
        sql += " ORDER BY r.started_at DESC, r.id DESC"
        if let limit = filter.limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try RunRecord.fetchAll(db, sql: sql, arguments: arguments).compactMap { run in
            guard let id = run.id,
                let experiment = try ChaosExperimentRecord.fetchOne(db, key: ["run_id": id])
            else { return nil }
            return ChaosEntry(run: run, experiment: experiment)
        }
    }

    public func runDetail(_ reference: RunReference) throws -> RunDetail {
        let run = try run(reference)
        guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
        let labels = try Row.fetchAll(
            db, sql: "SELECT key, value FROM run_label WHERE run_id = ? ORDER BY key",
            arguments: [id]
        ).map { (key: $0["key"] as String, value: $0["value"] as String) }
        let measurementRows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.*, m.statistic, m.value AS measured
                FROM measurement m JOIN series s ON s.id = m.series_id
                WHERE m.run_id = ?
                ORDER BY s.name
                """, arguments: [id])
        var metrics: [(series: SeriesRecord, statistics: [(name: String, value: Double)])] = []
        for row in measurementRows {
            let series = try SeriesRecord(row: row)
            let statistic: (name: String, value: Double) = (row["statistic"], row["measured"])
            if metrics.last?.series.id == series.id {
                metrics[metrics.count - 1].statistics.append(statistic)
            } else {
                metrics.append((series, [statistic]))
            }
        }
        for index in metrics.indices {
            metrics[index].statistics.sort { Statistic.order($0.name) < Statistic.order($1.name) }
        }
        let thresholds = try Row.fetchAll(
            db,
            sql: """
                SELECT s.name, t.expression, t.passed, t.abort_on_fail FROM threshold_result t
                JOIN series s ON s.id = t.series_id WHERE t.run_id = ?
                ORDER BY s.name, t.expression
                """, arguments: [id]
        ).map {
            (
                series: $0["name"] as String, expression: $0["expression"] as String,
                passed: $0["passed"] as Bool?, abortOnFail: $0["abort_on_fail"] as Bool
            )
        }
        let checks = try Row.fetchAll(
            db,
            sql: """
                SELECT group_path, name, passes, fails FROM check_result WHERE run_id = ?
                ORDER BY group_path, name
                """, arguments: [id]
        ).map {
            (
                groupPath: $0["group_path"] as String, name: $0["name"] as String,
                passes: $0["passes"] as Int, fails: $0["fails"] as Int
            )
        }
        var slo: (SLOEvaluationRecord, [SLOResultRecord])?
        if let evaluation = try SLOEvaluationRecord.filter(Column("run_id") == id)
            .order(Column("id")).fetchOne(db), let evaluationID = evaluation.id
        {
            let results = try SLOResultRecord.fetchAll(
                db,
                sql: "SELECT * FROM slo_result WHERE evaluation_id = ? ORDER BY priority, name",
                arguments: [evaluationID])
            slo = (evaluation, results)
        }
        var chaos: (ChaosExperimentRecord, [ChaosActivityRecord])?
        if let experiment = try ChaosExperimentRecord.fetchOne(db, key: ["run_id": id]) {
            let activities = try ChaosActivityRecord.filter(Column("run_id") == id)
                .order(Column("seq")).fetchAll(db)
            chaos = (experiment, activities)
        }
        var detail = RunDetail(
            run: run, labels: labels, metrics: metrics, thresholds: thresholds, checks: checks,
            slo: slo, chaos: chaos)
        detail.errors = try Row.fetchAll(
            db,
            sql: """
                SELECT kind, method, name, message, occurrences, first_seen, last_seen, detail
                FROM run_error WHERE run_id = ? ORDER BY seq
                """, arguments: [id]
        ).map { row in
            ErrorKindValue(
                kind: ErrorKindValue.Kind(rawValue: row["kind"]) ?? .failure,
                method: row["method"], name: row["name"], message: row["message"],
                occurrences: row["occurrences"],
                firstSeen: (row["first_seen"] as String?).flatMap(Timestamp.parse),
                lastSeen: (row["last_seen"] as String?).flatMap(Timestamp.parse),
                detail: row["detail"])
        }
        detail.chaosLink = try chaosLink(of: id)
        return detail
    }

    public func loadRuns(underChaosRun chaosRun: Int64) throws -> [Int64] {
        try Int64.fetchAll(
            db,
            sql: """
                SELECT l.run_id FROM chaos_link l JOIN run r ON r.id = l.run_id
                WHERE l.chaos_run_id = ? ORDER BY r.started_at, r.id
                """, arguments: [chaosRun])
    }

    public func chaosLink(of run: Int64) throws -> ChaosLink? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT l.chaos_run_id, l.linked_by, l.linked_at, e.name
                FROM chaos_link l JOIN chaos_experiment e ON e.run_id = l.chaos_run_id
                WHERE l.run_id = ?
                """, arguments: [run]
        ).map { row in
            ChaosLink(
                runId: run, chaosRunId: row[0],
                linkedBy: ChaosLink.LinkedBy(rawValue: row[1]) ?? .explicit, linkedAt: row[2],
                experiment: row[3])
        }
    }

    public func timelines(run: Int64) throws -> [(series: SeriesRecord, buckets: [TimelineRow])] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.*, t.bucket_start, t.bucket_seconds, t.count AS bucket_count, t.avg,
                       t.min AS bucket_min, t.max AS bucket_max, t.p50, t.p95, t.p99, t.rate, t.sum
                FROM timeline t JOIN series s ON s.id = t.series_id
                WHERE t.run_id = ? ORDER BY s.name, t.bucket_start
                """, arguments: [run])
        var result: [(series: SeriesRecord, buckets: [TimelineRow])] = []
        for row in rows {
            let series = try SeriesRecord(row: row)
            let bucket = TimelineRow(
                start: row["bucket_start"], seconds: row["bucket_seconds"],
                count: row["bucket_count"], avg: row["avg"], min: row["bucket_min"],
                max: row["bucket_max"], p50: row["p50"], p95: row["p95"], p99: row["p99"],
                rate: row["rate"], sum: row["sum"])
            if result.last?.series.id == series.id {
                result[result.count - 1].buckets.append(bucket)
            } else {
                result.append((series, [bucket]))
            }
        }
        return result
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }
}

extension Warehouse {
    /// Runs `body` with a reader on one consistent snapshot: one read transaction.
    public func reading<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try read { db in try body(SQLiteReader(db: db, path: path)) }
    }

    /// As `reading`, with a twin connection at the same snapshot that reads half of a long
    /// measurement read on another core (a raw stream's check reads a hundred thousand rows).
    ///
    /// Both read transactions begin while a third connection holds the write lock, for about a
    /// millisecond: nothing can commit between them. When another writer holds the lock, or
    /// the file is read-only, the gather reads alone, as `reading` does.
    public func gathering<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        guard pool is DatabasePool, let lock = WriteLock(path: path) else {
            return try reading(body)
        }
        var held: WriteLock? = lock
        defer { held?.release() }
        var twin: TwinConnection?
        defer { twin?.close() }
        return try read { db in
            // This transaction's snapshot begins with its first read, the twin's with its own.
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
            twin = TwinConnection(path: path)
            lock.release()
            held = nil
            return try body(SQLiteReader(db: db, path: path, twin: twin))
        }
    }

    /// The run a reference names, in a write transaction.
    func run(_ reference: RunReference, in db: Database) throws -> RunRecord {
        try SQLiteReader(db: db, path: path).run(reference)
    }
}

/// The column of each (series id, statistic) read so far.
///
/// Found by the statistic's place among the few names met (each up to eight bytes, compared as
/// one number), then by the series id in an array; a longer name or a larger id is hashed.
private struct PairColumns {
    /// The statistic names met, their bytes packed into one number each.
    private var statistics: [UInt64] = []
    /// By statistic, the column + 1 of each series id (0: none yet).
    private var dense: [[Int32]] = []
    private var sparse: [PairKey: Int] = [:]
    private static let denseIDs: Int64 = 1 << 20

    private struct PairKey: Hashable {
        var series: Int64
        var statistic: StatisticName
    }

    subscript(series: Int64, statistic: StatisticName) -> Int? {
        get {
            guard series >= 0, series < Self.denseIDs, case .packed(let packed) = statistic
            else { return sparse[PairKey(series: series, statistic: statistic)] }
            guard let kind = statistics.firstIndex(of: packed) else { return nil }
            let id = Int(series)
            let column = id < dense[kind].count ? Int(dense[kind][id]) : 0
            return column > 0 ? column - 1 : nil
        }
        set {
            guard let newValue else { return }
            guard series >= 0, series < Self.denseIDs, case .packed(let packed) = statistic else {
                sparse[PairKey(series: series, statistic: statistic)] = newValue
                return
            }
            let kind: Int
            if let known = statistics.firstIndex(of: packed) {
                kind = known
            } else {
                statistics.append(packed)
                dense.append([])
                kind = statistics.count - 1
            }
            let id = Int(series)
            if id >= dense[kind].count {
                let size = max(id + 1, dense[kind].count * 2)
                dense[kind].append(contentsOf: repeatElement(0, count: size - dense[kind].count))
            }
            dense[kind][id] = Int32(newValue + 1)
        }
    }
}

/// Measurement rows made into `RunValues`, each pair's column found by `PairColumns`.
private struct MeasurementSink: MeasurementConsumer {
    var result: RunValues
    let names: [Int64: String]
    private var columns = PairColumns()
    private var current: (run: Int64, place: Int) = (0, -1)

    init(result: RunValues, names: [Int64: String]) {
        self.result = result
        self.names = names
    }

    /// Adds one row; a row of a series not in the catalog is left out.
    mutating func add(run: Int64, series: Int64, statistic: StatisticName, value: Double) {
        if current.place < 0 || current.run != run {
            current = (run, result.place(adding: run))
        }
        let column: Int
        if let made = columns[series, statistic] {
            column = made
        } else {
            guard let name = names[series] else { return }
            column = result.column(
                adding: SeriesStatistic(series: name, statistic: statistic.name))
            columns[series, statistic] = column
        }
        result.set(value, column: column, place: current.place)
    }
}

/// The twin's half of a measurement read, on another thread; `rows` waits for it.
private final class TwinRead: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<MeasurementRows, any Error> = .success(MeasurementRows())

    init(_ twin: TwinConnection, runs: [Int64]) {
        DispatchQueue.global().async {
            self.outcome = Result { try twin.measurements(of: runs) }
            self.done.signal()
        }
    }

    /// The rows, once read (each call waits for the read's end).
    func rows() throws -> MeasurementRows {
        done.wait()
        done.signal()
        return try outcome.get()
    }
}
