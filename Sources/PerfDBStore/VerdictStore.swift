import Foundation
import GRDB
internal import GRDBSQLite
import PerfDBModel

extension Warehouse {
    /// Records a check's verdicts of `run` in one transaction, replacing the run's earlier ones.
    public func recordVerdicts(_ records: [VerdictRecord], run: Int64, now: Date = Date()) throws {
        let decided = Timestamp.format(now)
        try write { db in
            try db.execute(sql: "DELETE FROM verdict WHERE run_id = ?", arguments: [run])
            // Each series' id looked up once (a raw stream's thousand verdicts name four hundred
            // series), each row bound through SQLite's own calls.
            let seriesID = try db.makeStatement(sql: "SELECT id FROM series WHERE name = ?")
            var ids: [String: Int64?] = [:]
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO verdict (run_id, series_id, statistic, verdict, value,
                        baseline_value, change_pct, evidence, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let raw = insert.sqliteStatement
            defer { sqlite3_reset(raw) }
            func bind(_ index: Int32, _ text: String?) {
                guard let text else { return _ = sqlite3_bind_null(raw, index) }
                sqlite3_bind_text(raw, index, text, -1, RawStatements.transient)
            }
            func bind(_ index: Int32, _ number: Double?) {
                guard let number else { return _ = sqlite3_bind_null(raw, index) }
                sqlite3_bind_double(raw, index, number)
            }
            for record in records {
                var id: Int64?
                if let name = record.series {
                    if let known = ids[name] {
                        id = known
                    } else {
                        id = try Int64.fetchOne(seriesID, arguments: [name])
                        ids[name] = id
                    }
                }
                sqlite3_reset(raw)
                sqlite3_bind_int64(raw, 1, run)
                if let id { sqlite3_bind_int64(raw, 2, id) } else { sqlite3_bind_null(raw, 2) }
                bind(3, record.statistic)
                bind(4, record.verdict.rawValue)
                bind(5, record.value)
                bind(6, record.baseline)
                bind(7, record.changePct)
                bind(8, try record.evidence.storedText())
                bind(9, decided)
                let done = sqlite3_step(raw)
                guard done == SQLITE_DONE else { throw RawStatements.error(db, code: done) }
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
