import Foundation
import GRDB
import PerfDBModel

extension Warehouse {
    /// Records a check's verdicts of `run` in one transaction, replacing the run's earlier ones.
    public func recordVerdicts(_ records: [VerdictRecord], run: Int64, now: Date = Date()) throws {
        let decided = Timestamp.format(now)
        try write { db in
            try db.execute(sql: "DELETE FROM verdict WHERE run_id = ?", arguments: [run])
            let seriesID = try db.makeStatement(sql: "SELECT id FROM series WHERE name = ?")
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO verdict (run_id, series_id, statistic, verdict, value,
                        baseline_value, change_pct, evidence, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for record in records {
                let id = try record.series.flatMap { try Int64.fetchOne(seriesID, arguments: [$0]) }
                try insert.execute(arguments: [
                    run, id, record.statistic, record.verdict, record.value, record.baseline,
                    record.changePct, try record.evidence.storedText(), decided,
                ])
            }
        }
    }

    /// Records an SLO evaluation of load run `run` (by `slo check`).
    public func recordEvaluation(_ evaluation: SLOEvaluationValue, of run: Int64, at date: Date)
        throws
    {
        try write { db in
            try insertEvaluation(evaluation, runID: run, evaluatedRunID: run, at: date, in: db)
        }
    }
}
