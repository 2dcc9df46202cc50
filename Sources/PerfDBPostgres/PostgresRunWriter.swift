import Foundation
import Logging
import PerfDBCodec
import PerfDBModel
import PostgresNIO

/// Storing runs on PostgreSQL: one transaction a run, so readers see whole runs or nothing; the
/// unique content digest makes the same file sent by two jobs at once one run. Rows go in one
/// statement per table (arrays unnested), not one round trip per row.
extension PostgresWarehouse {
    /// The advisory lock taken while new series are created, so two writers that meet the same
    /// new series wait for each other instead of deadlocking.
    static let seriesLock: Int64 = 0x7065_7266_6473

    /// Stores a submission in one transaction.
    ///
    /// The same content digest again is a duplicate unless `replace` is set, in which case the
    /// earlier run is deleted first.
    public func store(_ submission: RunSubmission, replace: Bool = false, now: Date = Date())
        throws -> StoreOutcome
    {
        do {
            return try transaction {
                var replaced: Int64?
                // Looked up first, not left to the insert's conflict: a conflicting insert uses
                // up an id, and the run ids would no longer follow the SQLite engine's.
                if let existing = try existingRun(submission) {
                    guard replace else { return .duplicate(runID: existing) }
                    try execute("DELETE FROM run WHERE id = \(existing)")
                    replaced = existing
                }
                let run = submission.runRecord(now: now)
                guard let runID = try insertRunRow(run) else { throw StoredMeanwhile() }
                try insertContents(submission, runID: runID, now: now)
                try linkChaos(
                    run, runID: runID, named: submission.chaosRun, input: submission.inputName,
                    now: now)
                if let replaced { return .replaced(oldRunID: replaced, runID: runID) }
                return .stored(runID: runID)
            }
        } catch is StoredMeanwhile {
            // Another writer stored the same content between the look-up and the insert.
            guard let existing = try existingRun(submission) else {
                throw PerfDBError(.internal, "\(url.redacted): a run with this digest vanished")
            }
            return .duplicate(runID: existing)
        }
    }

    /// Another writer committed the same content digest first.
    private struct StoredMeanwhile: Error {}

    private func existingRun(_ submission: RunSubmission) throws -> Int64? {
        let digests = [submission.contentDigest] + (submission.legacyDigest.map { [$0] } ?? [])
        return try single(
            "SELECT id FROM run WHERE content_digest = ANY(\(digests)) ORDER BY id LIMIT 1",
            as: Int64.self)
    }

    /// Inserts the run row; nil when a run with the same digest exists already.
    private func insertRunRow(_ run: RunRecord) throws -> Int64? {
        try single(
            """
            INSERT INTO run (kind, tool, tool_version, source_format, source_file, scenario,
                environment, branch, commit_id, build_id, build_url, pull_request, ci_provider,
                started_at, ended_at, duration_ms, status, exit_code, incomplete, content_digest,
                ingested_at, invalidated, invalidated_reason, invalidated_at, skipped_lines)
            VALUES (\(run.kind.rawValue), \(run.tool), \(run.toolVersion),
                \(run.sourceFormat.rawValue), \(run.sourceFile), \(run.scenario),
                \(run.environment), \(run.branch), \(run.commitId), \(run.buildId),
                \(run.buildUrl), \(run.pullRequest), \(run.ciProvider), \(run.startedAt),
                \(run.endedAt), \(run.durationMs), \(run.status.rawValue),
                \(run.exitCode.map(Int64.init)), \(flag(run.incomplete)), \(run.contentDigest),
                \(run.ingestedAt), \(flag(run.invalidated)), \(run.invalidatedReason),
                \(run.invalidatedAt), \(Int64(run.skippedLines)))
            ON CONFLICT (content_digest) DO NOTHING
            RETURNING id
            """, as: Int64.self)
    }

    private func insertContents(_ submission: RunSubmission, runID: Int64, now: Date)
        throws
    {
        let batch = submission.batch
        let labels = batch.labels.merging(submission.context.labels) { _, flag in flag }
            .sorted { $0.key < $1.key }
        if !labels.isEmpty {
            try execute(
                """
                INSERT INTO run_label (run_id, key, value)
                SELECT \(runID), * FROM unnest(\(labels.map(\.key)), \(labels.map(\.value)))
                """)
        }
        let ids = try seriesIDs(for: batch)
        try insertMeasurements(batch, runID: runID, ids: ids)
        try insertTimelines(batch.timelines, runID: runID, ids: ids)
        try insertVerdicts(batch, runID: runID, ids: ids)
        try insert(
            "run_error",
            columns: [
                "run_id", "seq", "kind", "method", "name", "message", "occurrences", "first_seen",
                "last_seen", "detail",
            ],
            rows: batch.errors.enumerated().map { index, error in
                [
                    .integer(runID), .integer(Int64(index + 1)), .text(error.kind.rawValue),
                    error.method.map(StoredValue.text) ?? .null,
                    error.name.map(StoredValue.text) ?? .null, .text(error.message),
                    .integer(Int64(error.occurrences)),
                    error.firstSeen.map { .text(Timestamp.format($0)) } ?? .null,
                    error.lastSeen.map { .text(Timestamp.format($0)) } ?? .null,
                    error.detail.map(StoredValue.text) ?? .null,
                ]
            })
        if let slo = batch.slo {
            try insertEvaluation(
                slo, runID: runID, evaluatedRunID: nil,
                at: slo.evaluatedAt ?? submission.startedAt(now: now))
        }
        if let chaos = batch.chaos {
            try insertChaos(chaos, runID: runID)
        }
    }

    // MARK: - Series

    /// The series a batch names, in the order the SQLite engine creates them, so both engines
    /// number series alike when fed the same runs.
    private func seriesIDs(for batch: IngestBatch) throws -> [SeriesKey: Int64] {
        var wanted: [(key: SeriesKey, fields: [String], declared: Bool)] = []
        var seen: Set<SeriesKey> = []
        func want(
            _ key: SeriesKey, _ type: MetricType?, _ unit: String, _ direction: Direction,
            declared: Bool = true
        ) {
            guard seen.insert(key).inserted else { return }
            wanted.append(
                (key, [key.metric, (type ?? .trend).rawValue, unit, direction.rawValue], declared))
        }
        for series in batch.series {
            want(series.key, series.type, series.unit, series.direction, declared: series.declared)
        }
        for timeline in batch.timelines {
            want(timeline.key, timeline.type, timeline.unit, timeline.direction)
        }
        for threshold in batch.thresholds { want(threshold.series, nil, "", .neutral) }
        var ids = try lookUpSeries(wanted.map(\.key))
        // A series is declared once any run declares it (a submetric a raw stream only derived).
        let declared = wanted.filter { $0.declared && ids[$0.key] != nil }.map(\.key.name)
        if !declared.isEmpty {
            try execute(
                "UPDATE series SET declared = 1 WHERE declared = 0 AND name = ANY(\(declared))")
        }
        let missing = wanted.filter { ids[$0.key] == nil }
        guard !missing.isEmpty else { return ids }
        try execute("SELECT pg_advisory_xact_lock(\(Self.seriesLock))")
        ids = try lookUpSeries(wanted.map(\.key))
        for series in missing where ids[series.key] == nil {
            let fields = series.fields
            guard
                let id = try single(
                    """
                    INSERT INTO series (name, metric, metric_type, unit, direction, declared)
                    VALUES (\(series.key.name), \(fields[0]), \(fields[1]), \(fields[2]),
                        \(fields[3]), \(series.declared ? 1 : 0))
                    RETURNING id
                    """, as: Int64.self)
            else { throw PerfDBError(.internal, "series inserted without id") }
            let tags = series.key.tags
            if !tags.isEmpty {
                try execute(
                    """
                    INSERT INTO series_tag (series_id, key, value)
                    SELECT \(id), * FROM unnest(\(tags.map(\.key)), \(tags.map(\.value)))
                    """)
            }
            ids[series.key] = id
        }
        return ids
    }

    private func lookUpSeries(_ keys: [SeriesKey]) throws -> [SeriesKey: Int64] {
        let byName = Dictionary(keys.map { ($0.name, $0) }) { first, _ in first }
        let found = try rows(
            "SELECT name, id FROM series WHERE name = ANY(\(Array(byName.keys)))")
        var ids: [SeriesKey: Int64] = [:]
        for row in found {
            let (name, id) = try Self.decode(row, as: (String, Int64).self)
            if let key = byName[name] { ids[key] = id }
        }
        return ids
    }

    // MARK: - Figures

    private func insertMeasurements(_ batch: IngestBatch, runID: Int64, ids: [SeriesKey: Int64])
        throws
    {
        var series: [Int64] = []
        var statistics: [String] = []
        var values: [Double] = []
        for item in batch.series {
            guard let id = ids[item.key] else { continue }
            for statistic in item.statistics {
                series.append(id)
                statistics.append(statistic.name)
                values.append(statistic.value)
            }
        }
        if !series.isEmpty {
            try execute(
                """
                INSERT INTO measurement (series_id, run_id, statistic, value)
                SELECT s, \(runID), st, v FROM unnest(\(series), \(statistics), \(values))
                    AS x(s, st, v)
                ON CONFLICT (series_id, run_id, statistic) DO UPDATE SET value = excluded.value
                """)
        }
        let distributions = batch.distributions.sorted { $0.key < $1.key }
            .compactMap { key, buckets in ids[key].map { ($0, buckets) } }
        // All of them in one statement (or a few, for many series), not one a series.
        try insert(
            "distribution", columns: ["run_id", "series_id", "encoding", "count", "data"],
            rows: distributions.map { seriesID, buckets in
                [
                    .integer(runID), .integer(seriesID), .text(DistributionCodec.encoding),
                    .integer(Int64(buckets.count)), .blob(DistributionCodec.encode(buckets)),
                ]
            })
    }

    private func insertTimelines(
        _ timelines: [TimelineSeries], runID: Int64, ids: [SeriesKey: Int64]
    ) throws {
        var series: [Int64] = []
        var starts: [String] = []
        var seconds: [Double] = []
        var counts: [Int64] = []
        // Nullable figures travel as text ('' is NULL): arrays of optionals do not bind.
        var figures: [[String]] = Array(repeating: [], count: 8)
        for timeline in timelines {
            guard let id = ids[timeline.key] else { continue }
            for bucket in timeline.buckets {
                series.append(id)
                starts.append(Timestamp.format(bucket.start))
                seconds.append(timeline.bucketSeconds)
                counts.append(Int64(bucket.count))
                let values = [
                    bucket.avg, bucket.min, bucket.max, bucket.p50, bucket.p95, bucket.p99,
                    bucket.rate, bucket.sum,
                ]
                for (index, value) in values.enumerated() {
                    figures[index].append(value.map { "\($0)" } ?? "")
                }
            }
        }
        guard !series.isEmpty else { return }
        try execute(
            """
            INSERT INTO timeline (run_id, series_id, bucket_start, bucket_seconds, count, avg,
                min, max, p50, p95, p99, rate, sum)
            SELECT \(runID), s, b, sec, c, nullif(f1, '')::float8, nullif(f2, '')::float8,
                nullif(f3, '')::float8, nullif(f4, '')::float8, nullif(f5, '')::float8,
                nullif(f6, '')::float8, nullif(f7, '')::float8, nullif(f8, '')::float8
            FROM unnest(\(series), \(starts), \(seconds), \(counts), \(figures[0]),
                \(figures[1]), \(figures[2]), \(figures[3]), \(figures[4]), \(figures[5]),
                \(figures[6]), \(figures[7])) AS x(s, b, sec, c, f1, f2, f3, f4, f5, f6, f7, f8)
            ON CONFLICT (run_id, series_id, bucket_start) DO NOTHING
            """)
    }

    /// The tool's own thresholds and checks, one statement each; a key given twice keeps its
    /// last values, as the row-by-row upsert of the SQLite engine does.
    private func insertVerdicts(_ batch: IngestBatch, runID: Int64, ids: [SeriesKey: Int64])
        throws
    {
        var thresholds:
            [String: (series: Int64, expression: String, passed: String, abort: Int64)] =
                [:]
        for threshold in batch.thresholds {
            guard let id = ids[threshold.series] else { continue }
            // The nullable flag travels as text ('' is NULL): arrays of optionals do not bind.
            thresholds["\(id) \(threshold.expression)"] = (
                id, threshold.expression, threshold.passed.map { "\(flag($0))" } ?? "",
                flag(threshold.abortOnFail)
            )
        }
        if !thresholds.isEmpty {
            let rows = Array(thresholds.values)
            try execute(
                """
                INSERT INTO threshold_result (run_id, series_id, expression, passed, abort_on_fail)
                SELECT \(runID), s, e, nullif(p, '')::bigint, a
                FROM unnest(\(rows.map(\.series)), \(rows.map(\.expression)),
                    \(rows.map(\.passed)), \(rows.map(\.abort))) AS x(s, e, p, a)
                """)
        }
        var checks: [String: CheckValue] = [:]
        for check in batch.checks { checks[check.groupPath + "\u{0}" + check.name] = check }
        if !checks.isEmpty {
            let rows = Array(checks.values)
            try execute(
                """
                INSERT INTO check_result (run_id, group_path, name, passes, fails)
                SELECT \(runID), * FROM unnest(\(rows.map(\.groupPath)), \(rows.map(\.name)),
                    \(rows.map { Int64($0.passes) }), \(rows.map { Int64($0.fails) }))
                """)
        }
    }

    /// Stores an SLO evaluation and its results.
    func insertEvaluation(
        _ slo: SLOEvaluationValue, runID: Int64, evaluatedRunID: Int64?, at date: Date
    ) throws {
        guard
            let evaluationID = try single(
                """
                INSERT INTO slo_evaluation (run_id, evaluated_run_id, evaluated_at,
                    overall_status, exit_code, score)
                VALUES (\(runID), \(evaluatedRunID), \(Timestamp.format(date)),
                    \(slo.overallStatus.rawValue), \(Int64(slo.exitCode)), \(slo.score))
                RETURNING id
                """, as: Int64.self)
        else { throw PerfDBError(.internal, "SLO evaluation inserted without id") }
        for result in slo.results {
            try execute(
                """
                INSERT INTO slo_result (evaluation_id, name, title, series, statistic,
                    comparator, target, warning, unit, actual, status, priority, recommendation)
                VALUES (\(evaluationID), \(result.name), \(result.title), \(result.series),
                    \(result.statistic), \(result.comparator.rawValue), \(result.target),
                    \(result.warning), \(result.unit), \(result.actual),
                    \(result.status.rawValue), \(result.priority.rawValue),
                    \(result.recommendation))
                """)
        }
    }

    /// Ties a load run to the chaos run it ran under, and a chaos run to the unlinked load runs
    /// its span holds, as the SQLite engine's writer does.
    private func linkChaos(
        _ run: RunRecord, runID: Int64, named reference: String?, input: String, now: Date
    ) throws {
        let end = run.endedAt ?? run.startedAt
        let linkedAt = Timestamp.format(now)
        switch run.kind {
        case .load:
            var sql = ChaosLinkSQL.candidates
            var values: [String?] = []
            if let reference {
                sql += ChaosLinkSQL.named
                values += Array(repeating: reference, count: 7)
            } else {
                sql +=
                    " AND c.environment IS NOT DISTINCT FROM ? AND c.started_at <= ?"
                    + " AND c.ended_at >= ?"
                values += [run.environment, run.startedAt, end]
            }
            sql += ChaosLinkSQL.order
            values += [run.startedAt, end, end]
            var binds = PostgresBindings(capacity: values.count)
            for value in values { (value.map(StoredValue.text) ?? .null).bind(to: &binds) }
            guard
                let chaos = try single(
                    PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), as: Int64.self)
            else {
                if let reference { throw ChaosLinkSQL.notFound(reference, input: input) }
                return
            }
            let linkedBy = reference == nil ? "time" : "explicit"
            try execute(
                """
                INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                VALUES (\(runID), \(chaos), \(linkedBy), \(linkedAt))
                """)
        case .chaos:
            try execute(
                """
                INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                SELECT r.id, \(runID), 'time', \(linkedAt) FROM run r
                WHERE r.kind = 'load' AND r.environment IS NOT DISTINCT FROM \(run.environment)
                  AND r.started_at >= \(run.startedAt)
                  AND coalesce(r.ended_at, r.started_at) <= \(end)
                  AND NOT EXISTS (SELECT 1 FROM chaos_link l WHERE l.run_id = r.id)
                """)
        case .slo:
            return
        }
    }

    /// SQLite's `?` placeholders as PostgreSQL's `$1::text`, `$2::text`, … in order.
    static func numbered(_ sql: String) -> String {
        var out = ""
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                out += "$\(index)::text"
            } else {
                out.append(character)
            }
        }
        return out
    }

    private func insertChaos(_ chaos: ChaosExperimentValue, runID: Int64) throws {
        let record = ChaosExperimentRecord(chaos, runId: runID)
        try execute(
            """
            INSERT INTO chaos_experiment (run_id, experiment_id, name, family, fault_type,
                blast_radius, target, steady_state_before, steady_state_after, outcome,
                rolled_back, rollback_reason, availability_pct, availability_target_pct,
                error_rate_pct, error_rate_target_pct, mttr_s, mttr_target_s, requests_total,
                requests_failed, started_at, ended_at, duration_s)
            VALUES (\(runID), \(record.experimentId), \(record.name), \(record.family?.rawValue),
                \(record.faultType?.rawValue), \(record.blastRadius?.rawValue), \(record.target),
                \(record.steadyStateBefore.map(flag)), \(record.steadyStateAfter.map(flag)),
                \(record.outcome.rawValue), \(flag(record.rolledBack)), \(record.rollbackReason),
                \(record.availabilityPct), \(record.availabilityTargetPct), \(record.errorRatePct),
                \(record.errorRateTargetPct), \(record.mttrS), \(record.mttrTargetS),
                \(record.requestsTotal.map(Int64.init)), \(record.requestsFailed.map(Int64.init)),
                \(record.startedAt), \(record.endedAt), \(record.durationS))
            """)
        for (index, activity) in chaos.activities.enumerated() {
            let row = ChaosActivityRecord(activity, runId: runID, seq: index + 1)
            try execute(
                """
                INSERT INTO chaos_activity (run_id, seq, phase, type, name, status,
                    tolerance_met, started_at, ended_at, duration_s)
                VALUES (\(runID), \(Int64(row.seq)), \(row.phase.rawValue), \(row.type.rawValue),
                    \(row.name), \(row.status), \(row.toleranceMet.map(flag)), \(row.startedAt),
                    \(row.endedAt), \(row.durationS))
                """)
        }
    }
}

// MARK: - Statements

extension PostgresWarehouse {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The rows of a statement with bound values; a server error becomes one line (exit 75
    /// when the connection was lost, so that the store can reconnect and try again).
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        try Self.rows(of: query, on: connection, logger: logger, url: url)
    }

    /// The rows of a statement on `connection` (the warehouse's and its readers'); a server
    /// error becomes one line.
    static func rows(
        of query: PostgresQuery, on connection: PostgresConnection, logger: Logger,
        url: PostgresURL
    ) throws -> [PostgresRow] {
        do {
            return Array(try result(of: query, on: connection, logger: logger, url: url).rows)
        } catch let error as PSQLError {
            throw translate(error, url: url)
        }
    }

    /// The result of a statement, or exit 75 when the connection closes first.
    ///
    /// A statement sent on a connection that has just closed is dropped without an answer, so
    /// waiting for the answer alone could wait forever: the wait ends when the connection closes.
    static func result(
        of query: PostgresQuery, on connection: PostgresConnection, logger: Logger,
        url: PostgresURL
    ) throws -> PostgresQueryResult {
        let answer = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        // The close callback stays registered as long as the connection lives: it holds the
        // promise only until the answer came, so answered rows are not kept with it.
        let waiting = Waiting(answer)
        connection.closeFuture.whenComplete { _ in waiting.take()?.fail(ConnectionClosed()) }
        connection.query(query, logger: logger).whenComplete { result in
            waiting.take()?.completeWith(result)
        }
        do {
            return try answer.futureResult.wait()
        } catch is ConnectionClosed {
            throw PerfDBError(.busy, "\(url.redacted): the server closed the connection")
        }
    }

    /// The connection closed before the statement was answered.
    private struct ConnectionClosed: Error {}

    /// A statement's promise until the first of its answer and the connection's close takes it.
    private final class Waiting: @unchecked Sendable {
        private let lock = NSLock()
        private var promise: EventLoopPromise<PostgresQueryResult>?

        init(_ promise: EventLoopPromise<PostgresQueryResult>) { self.promise = promise }

        func take() -> EventLoopPromise<PostgresQueryResult>? {
            lock.lock()
            defer { lock.unlock() }
            defer { promise = nil }
            return promise
        }
    }

    /// Runs a statement with bound values.
    func execute(_ query: PostgresQuery) throws {
        _ = try rows(query)
    }

    /// The first column of the first row, if any.
    func single<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type)
        throws -> T?
    {
        guard let row = try rows(query).first else { return nil }
        return try Self.decode(row, as: T.self)
    }
}

/// perfdb's flags are 0/1 integers on both engines.
func flag(_ value: Bool) -> Int64 { value ? 1 : 0 }
