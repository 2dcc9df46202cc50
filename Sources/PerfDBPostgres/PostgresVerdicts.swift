import Foundation
import PerfDBModel
import PostgresNIO

/// Recording decisions on PostgreSQL, each in one transaction.
extension PostgresWarehouse {
    /// Records a check's verdicts of `run`, replacing the run's earlier ones.
    public func recordVerdicts(_ records: [VerdictRecord], run: Int64, now: Date = Date())
        throws
    {
        // Nullable values travel as text ('' is NULL): arrays of optionals do not bind.
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        let series = records.map { $0.series ?? "" }
        let statistics = records.map { $0.statistic ?? "" }
        let verdicts = records.map(\.verdict.rawValue)
        let values = records.map { text($0.value) }
        let baselines = records.map { text($0.baseline) }
        let changes = records.map { text($0.changePct) }
        let evidence = try records.map { try $0.evidence.storedText() }
        try transaction {
            try execute("DELETE FROM verdict WHERE run_id = \(run)")
            guard !records.isEmpty else { return }
            // In the records' order, so verdict ids follow it as on SQLite.
            try execute(
                """
                INSERT INTO verdict (run_id, series_id, statistic, verdict, value, baseline_value,
                    change_pct, evidence, decided_at)
                SELECT \(run), s.id, nullif(x.st, ''), x.vd, nullif(x.val, '')::float8,
                    nullif(x.base, '')::float8, nullif(x.chg, '')::float8, x.ev,
                    \(Timestamp.format(now))
                FROM unnest(\(series), \(statistics), \(verdicts), \(values), \(baselines),
                    \(changes), \(evidence)) WITH ORDINALITY AS x(n, st, vd, val, base, chg, ev, ord)
                LEFT JOIN series s ON s.name = x.n
                ORDER BY x.ord
                """)
        }
    }

    /// Records an SLO evaluation of load run `run` (by `slo check`).
    public func recordEvaluation(_ evaluation: SLOEvaluationValue, of run: Int64, at date: Date)
        throws
    {
        try transaction {
            try insertEvaluation(evaluation, runID: run, evaluatedRunID: run, at: date)
        }
    }
}
