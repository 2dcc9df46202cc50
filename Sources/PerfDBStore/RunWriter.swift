import Foundation
import GRDB
import PerfDBCodec
import PerfDBModel

extension Warehouse {
    /// Stores a submission in one immediate transaction.
    ///
    /// The same content digest again is a duplicate unless `replace` is set, in which case the
    /// earlier run is deleted first.
    public func store(_ submission: RunSubmission, replace: Bool = false, now: Date = Date())
        throws -> StoreOutcome
    {
        try write { db in
            var replaced: Int64?
            // A raw stream stored by an earlier perfdb has its legacy digest.
            if let existing = try Int64.fetchOne(
                db, sql: "SELECT id FROM run WHERE content_digest IN (?, ?) ORDER BY id LIMIT 1",
                arguments: [submission.contentDigest, submission.legacyDigest])
            {
                guard replace else { return .duplicate(runID: existing) }
                try deleteRun(existing, in: db)
                replaced = existing
            }
            let runID = try insert(submission, now: now, in: db)
            if let replaced { return .replaced(oldRunID: replaced, runID: runID) }
            return .stored(runID: runID)
        }
    }

    /// Deletes a run and everything recorded with it.
    func deleteRun(_ id: Int64, in db: Database) throws {
        if try Int.fetchOne(
            db, sql: "SELECT count(*) FROM baseline WHERE run_id = ?", arguments: [id])
            ?? 0 > 0
        {
            throw PerfDBError(
                .usage, "run \(id) is a pinned baseline; pin another baseline before deleting it")
        }
        try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [id])
    }

    private func insert(_ submission: RunSubmission, now: Date, in db: Database) throws -> Int64 {
        let run = try insertRunRow(submission, now: now, in: db)
        guard let runID = run.id else { throw PerfDBError(.internal, "run inserted without id") }
        let batch = submission.batch
        let labels = batch.labels.merging(submission.context.labels) { _, flag in flag }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            try RunLabelRecord(runId: runID, key: key, value: value).insert(db)
        }
        var seriesIDs: [SeriesKey: Int64] = [:]
        try insertMeasurements(batch, runID: runID, seriesIDs: &seriesIDs, in: db)
        try insertTimelines(batch.timelines, runID: runID, seriesIDs: &seriesIDs, in: db)
        try insertVerdicts(batch, runID: runID, seriesIDs: &seriesIDs, in: db)
        for (index, error) in batch.errors.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO run_error (run_id, seq, kind, method, name, message, occurrences,
                        first_seen, last_seen, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    runID, index + 1, error.kind.rawValue, error.method, error.name,
                    error.message, error.occurrences, error.firstSeen.map(Timestamp.format),
                    error.lastSeen.map(Timestamp.format), error.detail,
                ])
        }
        if let slo = batch.slo {
            let at = slo.evaluatedAt ?? submission.startedAt(now: now)
            try insertEvaluation(slo, runID: runID, evaluatedRunID: nil, at: at, in: db)
        }
        if let chaos = batch.chaos {
            try ChaosExperimentRecord(chaos, runId: runID).insert(db)
            for (index, activity) in chaos.activities.enumerated() {
                try ChaosActivityRecord(activity, runId: runID, seq: index + 1).insert(db)
            }
        }
        try linkChaos(
            run, named: submission.chaosRun, input: submission.inputName, now: now, in: db)
        return runID
    }

    private func insertRunRow(
        _ submission: RunSubmission, now: Date, in db: Database
    ) throws -> RunRecord {
        var run = submission.runRecord(now: now)
        try run.insert(db)
        return run
    }

    /// Ties a load run to the chaos run it ran under — the one `--chaos-run` names, else one
    /// whose span holds it in the same environment — and a chaos run to the unlinked load runs
    /// its span holds.
    private func linkChaos(
        _ run: RunRecord, named reference: String?, input: String, now: Date, in db: Database
    ) throws {
        guard let id = run.id else { return }
        let end = run.endedAt ?? run.startedAt
        switch run.kind {
        case .load:
            var sql = ChaosLinkSQL.candidates
            var arguments: StatementArguments = []
            if let reference {
                sql += ChaosLinkSQL.named
                arguments += StatementArguments(Array(repeating: reference, count: 7))
            } else {
                sql += " AND c.environment IS ? AND c.started_at <= ? AND c.ended_at >= ?"
                arguments += [run.environment, run.startedAt, end]
            }
            sql += ChaosLinkSQL.order
            arguments += [run.startedAt, end, end]
            guard let chaos = try Int64.fetchOne(db, sql: sql, arguments: arguments) else {
                if let reference { throw ChaosLinkSQL.notFound(reference, input: input) }
                return
            }
            try db.execute(
                sql: """
                    INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [
                    id, chaos, reference == nil ? "time" : "explicit", Timestamp.format(now),
                ])
        case .chaos:
            try db.execute(
                sql: """
                    INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                    SELECT r.id, ?, 'time', ? FROM run r
                    WHERE r.kind = 'load' AND r.environment IS ? AND r.started_at >= ?
                      AND coalesce(r.ended_at, r.started_at) <= ?
                      AND NOT EXISTS (SELECT 1 FROM chaos_link l WHERE l.run_id = r.id)
                    """,
                arguments: [id, Timestamp.format(now), run.environment, run.startedAt, end])
        case .slo:
            return
        }
    }

    /// Summary statistics and the distributions behind them.
    private func insertMeasurements(
        _ batch: IngestBatch, runID: Int64, seriesIDs: inout [SeriesKey: Int64],
        in db: Database
    ) throws {
        let insertMeasurement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO measurement (series_id, run_id, statistic, value)
                VALUES (?, ?, ?, ?)
                """)
        for series in batch.series {
            let seriesID = try seriesID(
                for: series.key, type: series.type, unit: series.unit,
                direction: series.direction, declared: series.declared, cache: &seriesIDs, in: db)
            for statistic in series.statistics {
                try insertMeasurement.execute(arguments: [
                    seriesID, runID, statistic.name, statistic.value,
                ])
            }
        }
        for (key, distribution) in batch.distributions.sorted(by: { $0.key < $1.key }) {
            guard let seriesID = seriesIDs[key] else { continue }
            try db.execute(
                sql: """
                    INSERT INTO distribution (run_id, series_id, encoding, count, data)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    runID, seriesID, DistributionCodec.encoding, Int64(distribution.count),
                    Data(DistributionCodec.encode(distribution)),
                ])
        }
    }

    private func insertTimelines(
        _ timelines: [TimelineSeries], runID: Int64, seriesIDs: inout [SeriesKey: Int64],
        in db: Database
    ) throws {
        let insertBucket = try db.cachedStatement(
            sql: """
                INSERT INTO timeline (run_id, series_id, bucket_start, bucket_seconds, count,
                    avg, min, max, p50, p95, p99, rate, sum)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for timeline in timelines {
            let seriesID = try seriesID(
                for: timeline.key, type: timeline.type, unit: timeline.unit,
                direction: timeline.direction, cache: &seriesIDs, in: db)
            for bucket in timeline.buckets {
                try insertBucket.execute(arguments: [
                    runID, seriesID, Timestamp.format(bucket.start), timeline.bucketSeconds,
                    bucket.count, bucket.avg, bucket.min, bucket.max, bucket.p50, bucket.p95,
                    bucket.p99, bucket.rate, bucket.sum,
                ])
            }
        }
    }

    /// The tool's own thresholds and checks.
    private func insertVerdicts(
        _ batch: IngestBatch, runID: Int64, seriesIDs: inout [SeriesKey: Int64],
        in db: Database
    ) throws {
        for threshold in batch.thresholds {
            let seriesID = try seriesID(
                for: threshold.series, type: nil, unit: "", direction: .neutral,
                cache: &seriesIDs, in: db)
            try ThresholdResultRecord(
                runId: runID, seriesId: seriesID, expression: threshold.expression,
                passed: threshold.passed, abortOnFail: threshold.abortOnFail
            ).insert(db, onConflict: .replace)
        }
        for check in batch.checks {
            try CheckResultRecord(
                runId: runID, groupPath: check.groupPath, name: check.name, passes: check.passes,
                fails: check.fails
            ).insert(db, onConflict: .replace)
        }
    }

    /// Stores an SLO evaluation and its results.
    func insertEvaluation(
        _ slo: SLOEvaluationValue, runID: Int64, evaluatedRunID: Int64?, at date: Date,
        in db: Database
    ) throws {
        var evaluation = SLOEvaluationRecord(
            id: nil, runId: runID, evaluatedRunId: evaluatedRunID,
            evaluatedAt: Timestamp.format(date),
            overallStatus: slo.overallStatus, exitCode: slo.exitCode, score: slo.score)
        try evaluation.insert(db)
        guard let evaluationID = evaluation.id else {
            throw PerfDBError(.internal, "SLO evaluation inserted without id")
        }
        for result in slo.results {
            try SLOResultRecord(result, evaluationId: evaluationID).insert(db)
        }
    }

    /// The id of the series with this key, created on first sight.
    private func seriesID(
        for key: SeriesKey, type: MetricType?, unit: String, direction: Direction,
        declared: Bool = true, cache: inout [SeriesKey: Int64], in db: Database
    ) throws -> Int64 {
        if let id = cache[key] { return id }
        let id = try Self.seriesID(
            name: key.name,
            fields: [key.metric, (type ?? .trend).rawValue, unit, direction.rawValue],
            declared: declared, tags: { key.tags.map { ($0.key, $0.value) } }, in: db
        ).id
        cache[key] = id
        return id
    }

    /// The id of the series named `name`, created with its metric, type, unit and direction
    /// (`fields`, in that order) and tags when it is new.
    ///
    /// A series keeps the type, unit and direction it was first stored with; it is declared
    /// once any run declares it (a test's submetric that an earlier raw stream only derived).
    static func seriesID(
        name: String, fields: [String], declared: Bool, tags: () throws -> [(String, String)],
        in db: Database
    ) throws -> (id: Int64, created: Bool) {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, declared FROM series WHERE name = ?"),
            arguments: [name])
        {
            let id: Int64 = row["id"]
            if declared, !(row["declared"] as Bool) {
                try db.cachedStatement(sql: "UPDATE series SET declared = 1 WHERE id = ?")
                    .execute(arguments: [id])
            }
            return (id, false)
        }
        // Raw streams bring hundreds of new series: cached statements, not record encoding.
        try db.cachedStatement(
            sql: """
                INSERT INTO series (name, metric, metric_type, unit, direction, declared)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: StatementArguments([name] + fields) + [declared])
        let id = db.lastInsertedRowID
        let insertTag = try db.cachedStatement(
            sql: "INSERT INTO series_tag (series_id, key, value) VALUES (?, ?, ?)")
        for (key, value) in try tags() {
            try insertTag.execute(arguments: [id, key, value])
        }
        return (id, true)
    }
}
