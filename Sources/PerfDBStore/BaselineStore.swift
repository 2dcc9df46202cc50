import Foundation
import GRDB
import PerfDBModel

extension Warehouse {
    /// Adds an entry to the baseline log; a new pin supersedes the pin in force.
    public func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?, now: Date = Date()
    ) throws -> BaselineRecord {
        try PerfDBError.requireReason(reason, "--reason must say why")
        guard let runID = run.id else { throw PerfDBError(.internal, "run without id") }
        return try write { db in
            var entry = BaselineRecord(
                id: nil, scenario: scope.scenario, environment: scope.environment,
                branch: scope.branch, kind: kind, runId: runID,
                windowSize: kind == .window ? windowSize : nil, setAt: Timestamp.format(now),
                setBy: setBy, reason: reason, supersededAt: nil, supersededBy: nil)
            try entry.insert(db)
            if kind != .accept { try Self.chainPins(of: scope, in: db) }
            return try BaselineRecord.fetchOne(db, key: entry.id) ?? entry
        }
    }

    /// Chains the pins of a scope by the time they were set: each is superseded by the next,
    /// and only the newest is in force.
    static func chainPins(of scope: Scope, in db: Database) throws {
        let pins = try Row.fetchAll(
            db,
            sql: """
                SELECT id, set_at FROM baseline
                WHERE scenario IS ? AND environment IS ? AND branch = ?
                  AND kind IN ('run', 'window')
                ORDER BY set_at, id
                """, arguments: [scope.scenario, scope.environment, scope.branch])
        for (index, pin) in pins.enumerated() {
            let next = index + 1 < pins.count ? pins[index + 1] : nil
            try db.execute(
                sql: "UPDATE baseline SET superseded_at = ?, superseded_by = ? WHERE id = ?",
                arguments: [next?["set_at"] as String?, next?["id"] as Int64?, pin["id"] as Int64])
        }
    }
}
