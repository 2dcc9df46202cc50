import Foundation
import GRDB

/// Which runs belong together in a history: the same kind, scenario and environment, on one
/// branch.
public struct Scope: Sendable, Equatable, CustomStringConvertible {
    public var scenario: String?
    public var environment: String?
    public var branch: String

    /// Creates a scope.
    public init(scenario: String?, environment: String?, branch: String) {
        self.scenario = scenario
        self.environment = environment
        self.branch = branch
    }

    public var description: String {
        "scenario \(scenario ?? "-"), environment \(environment ?? "-"), branch \(branch)"
    }
}

/// A (series, statistic) pair: what one history, verdict or trend is about.
public struct SeriesStatistic: Hashable, Sendable, Comparable {
    public var series: String
    public var statistic: String

    /// Creates a pair.
    public init(series: String, statistic: String) {
        self.series = series
        self.statistic = statistic
    }

    public static func < (lhs: SeriesStatistic, rhs: SeriesStatistic) -> Bool {
        if lhs.series != rhs.series { return lhs.series < rhs.series }
        return Warehouse.statisticOrder(lhs.statistic) < Warehouse.statisticOrder(rhs.statistic)
    }
}

/// The runs of a history with their measurements.
public struct RunHistory: Sendable {
    /// Runs in time order (oldest first).
    public var runs: [RunRecord]
    /// Values per run id.
    public var values: [Int64: [SeriesStatistic: Double]]

    /// The value of `pair` in each run (nil where the run lacks it), in run order.
    public func column(_ pair: SeriesStatistic) -> [(run: RunRecord, value: Double?)] {
        runs.map { run in (run, run.id.flatMap { values[$0]?[pair] }) }
    }
}

extension Warehouse {
    /// Valid load runs of `scope` (not invalidated, not aborted), oldest first: the newest
    /// `limit` that started before `run` (or all when `run` is nil), and `run` itself last
    /// when `including` is set.
    public func history(
        scope: Scope, before run: RunRecord?, including: Bool = false, limit: Int
    ) throws -> [RunRecord] {
        try read { db in
            var sql = """
                SELECT * FROM run
                WHERE kind = 'load' AND invalidated = 0 AND status <> 'aborted'
                  AND scenario IS ? AND environment IS ? AND branch = ?
                """
            var arguments: StatementArguments = [scope.scenario, scope.environment, scope.branch]
            if let run, let id = run.id {
                sql += " AND (started_at < ? OR (started_at = ? AND id < ?))"
                arguments += [run.startedAt, run.startedAt, id]
            }
            sql += " ORDER BY started_at DESC, id DESC LIMIT ?"
            arguments += [limit]
            var runs = try RunRecord.fetchAll(db, sql: sql, arguments: arguments).reversed()
                .map { $0 }
            if including, let run { runs.append(run) }
            return runs
        }
    }

    /// The measurements of `runs`, keyed by run id and (series name, statistic).
    public func measurements(of runs: [RunRecord]) throws -> [Int64: [SeriesStatistic: Double]] {
        let ids = runs.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            var result: [Int64: [SeriesStatistic: Double]] = [:]
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT m.run_id, s.name, m.statistic, m.value
                    FROM measurement m JOIN series s ON s.id = m.series_id
                    WHERE m.run_id IN (\(placeholders))
                    """, arguments: StatementArguments(ids))
            while let row = try rows.next() {
                let pair = SeriesStatistic(series: row[1], statistic: row[2])
                result[row[0] as Int64, default: [:]][pair] = row[3]
            }
            return result
        }
    }

    /// Every series, keyed by name.
    public func seriesCatalog() throws -> [String: SeriesRecord] {
        try read { db in
            Dictionary(
                try SeriesRecord.fetchAll(db).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }
            )
        }
    }

    /// The earliest run of `scope` before `run` with a stored regression verdict that is not
    /// accepted: decided after the newest baseline entry (when there is one).
    func earliestRegression(scope: Scope, acceptance: BaselineRecord?, before run: RunRecord)
        throws -> RunRecord?
    {
        try read { db in
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
                    acceptance?.setAt ?? "",
                ])
        }
    }
}
