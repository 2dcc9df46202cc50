import Foundation
import GRDB

/// Which runs to list.
public struct RunFilter: Sendable {
    public var kind: RunKind?
    public var scenario: String?
    public var environment: String?
    public var branch: String?
    /// Runs that started at or after this time.
    public var since: Date?
    /// At most this many, newest first.
    public var limit: Int?

    /// Creates a filter that keeps every run.
    public init() {}
}

/// A run named on the command line: its id, or the newest run.
public enum RunReference: Sendable, Equatable {
    case id(Int64)
    case latest

    /// Parses `latest` or a run id.
    public init(parsing text: String) throws {
        if text == "latest" {
            self = .latest
        } else if let id = Int64(text), id > 0 {
            self = .id(id)
        } else {
            throw PerfDBError(.usage, "\"\(text)\" is not a run id or 'latest'")
        }
    }
}

/// One run with everything stored with it.
public struct RunDetail: Sendable {
    public var run: RunRecord
    public var labels: [(key: String, value: String)]
    /// Series in name order, each with its statistics in the stored order.
    public var metrics: [(series: SeriesRecord, statistics: [(name: String, value: Double)])]
    /// `passed` is nil for a threshold the tool did not evaluate.
    public var thresholds: [(series: String, expression: String, passed: Bool?, abortOnFail: Bool)]
    public var checks: [(groupPath: String, name: String, passes: Int, fails: Int)]
    public var slo: (evaluation: SLOEvaluationRecord, results: [SLOResultRecord])?
    public var chaos: (experiment: ChaosExperimentRecord, activities: [ChaosActivityRecord])?
}

extension Warehouse {
    /// Runs matching the filter, newest first.
    public func runs(matching filter: RunFilter) throws -> [RunRecord] {
        try read { db in
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
            if let since = filter.since {
                request = request.filter(RunRecord.Columns.startedAt >= Timestamp.format(since))
            }
            request = request.order(RunRecord.Columns.startedAt.desc, RunRecord.Columns.id.desc)
            if let limit = filter.limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    /// The run a reference names; exit 66 when there is none.
    public func run(_ reference: RunReference) throws -> RunRecord {
        try read { db in try self.run(reference, in: db) }
    }

    func run(_ reference: RunReference, in db: Database) throws -> RunRecord {
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

    /// A run with its labels, measurements, thresholds, checks, SLO evaluation and chaos
    /// experiment.
    public func runDetail(_ reference: RunReference) throws -> RunDetail {
        try read { db in
            let run = try self.run(reference, in: db)
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
                metrics[index].statistics.sort {
                    Self.statisticOrder($0.name) < Self.statisticOrder($1.name)
                }
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
            let checks = try CheckResultRecord.filter(Column("run_id") == id)
                .order(Column("group_path"), Column("name")).fetchAll(db)
                .map {
                    (groupPath: $0.groupPath, name: $0.name, passes: $0.passes, fails: $0.fails)
                }
            var slo: (SLOEvaluationRecord, [SLOResultRecord])?
            if let evaluation = try SLOEvaluationRecord.filter(Column("run_id") == id)
                .order(Column("id")).fetchOne(db), let evaluationID = evaluation.id
            {
                let results = try SLOResultRecord.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM slo_result WHERE evaluation_id = ?
                        ORDER BY priority, name
                        """, arguments: [evaluationID])
                slo = (evaluation, results)
            }
            var chaos: (ChaosExperimentRecord, [ChaosActivityRecord])?
            if let experiment = try ChaosExperimentRecord.filter(Column("run_id") == id).fetchOne(
                db)
            {
                let activities = try ChaosActivityRecord.filter(Column("run_id") == id)
                    .order(Column("seq")).fetchAll(db)
                chaos = (experiment, activities)
            }
            return RunDetail(
                run: run, labels: labels, metrics: metrics, thresholds: thresholds,
                checks: checks, slo: slo, chaos: chaos)
        }
    }

    /// Marks a run invalid: it stays, marked, and never enters a baseline.
    public func invalidate(_ reference: RunReference, reason: String, now: Date = Date()) throws
        -> RunRecord
    {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PerfDBError(.usage, "--reason must say why the run is invalid")
        }
        return try write { db in
            var run = try self.run(reference, in: db)
            run.invalidated = true
            run.invalidatedReason = reason
            run.invalidatedAt = Timestamp.format(now)
            try run.update(db)
            return run
        }
    }

    /// Deletes a run and everything stored with it.
    public func delete(_ reference: RunReference) throws -> RunRecord {
        try write { db in
            let run = try self.run(reference, in: db)
            guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
            try deleteRun(id, in: db)
            return run
        }
    }

    /// The order statistics are shown in: avg, min, med, max, percentiles ascending, then
    /// counts and rates.
    static func statisticOrder(_ name: String) -> Double {
        switch name {
        case "avg": return 0
        case "min": return 1
        case "med": return 2
        case "max": return 3
        case "count": return 200
        case "rate": return 201
        case "value": return 202
        case "passes": return 203
        case "fails": return 204
        case "sum": return 205
        case "stddev": return 206
        default:
            if name.hasPrefix("p"), let percentile = Double(name.dropFirst()) {
                return 10 + percentile
            }
            return 300
        }
    }
}
