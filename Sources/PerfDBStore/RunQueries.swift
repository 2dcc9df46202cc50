import Foundation
import GRDB
import PerfDBModel

extension Warehouse {
    /// Marks a run invalid: it stays, marked, and never enters a baseline.
    public func invalidate(_ reference: RunReference, reason: String, now: Date = Date()) throws
        -> RunRecord
    {
        try PerfDBError.requireReason(reason, "--reason must say why the run is invalid")
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

    /// Unties a load run from the chaos run it was linked to: it is a normal run again.
    public func unlink(_ reference: RunReference) throws -> ChaosLink {
        try write { db in
            let run = try self.run(reference, in: db)
            guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
            guard let link = try SQLiteReader(db: db, path: path).chaosLink(of: id) else {
                throw PerfDBError(.usage, "run \(id) is not linked to a chaos run")
            }
            try db.execute(sql: "DELETE FROM chaos_link WHERE run_id = ?", arguments: [id])
            return link
        }
    }
}
