import Foundation
import PerfDBModel
import PostgresNIO

/// Curating history on PostgreSQL: the baseline log, invalidation and deletion, each in one
/// transaction, with SQLite's rules.
extension PostgresWarehouse {
    /// The advisory lock taken while a scope's pins are chained, so that two pins set at once
    /// chain in one order.
    static let baselineLock: Int64 = 0x7065_7266_6462_6c

    /// Adds an entry to the baseline log; a new pin supersedes the pin in force.
    public func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?, now: Date = Date()
    ) throws -> BaselineRecord {
        try PerfDBError.requireReason(reason, "--reason must say why")
        guard let runID = run.id else { throw PerfDBError(.internal, "run without id") }
        let window = kind == .window ? windowSize.map(Int64.init) : nil
        return try transaction {
            try execute("SELECT pg_advisory_xact_lock(\(Self.baselineLock))")
            guard
                let id = try single(
                    """
                    INSERT INTO baseline (scenario, environment, branch, kind, run_id,
                        window_size, set_at, set_by, reason)
                    VALUES (\(scope.scenario), \(scope.environment), \(scope.branch),
                        \(kind.rawValue), \(runID), \(window), \(Timestamp.format(now)),
                        \(setBy), \(reason))
                    RETURNING id
                    """, as: Int64.self)
            else { throw PerfDBError(.internal, "\(url.redacted): baseline insert lost its id") }
            if kind != .accept { try chainPins(of: scope) }
            guard
                let entry = try reader.records(
                    "SELECT * FROM baseline WHERE id = \(id)", as: BaselineRecord.self
                ).first
            else { throw PerfDBError(.internal, "\(url.redacted): baseline \(id) vanished") }
            return entry
        }
    }

    /// Chains the pins of a scope by the time they were set: each is superseded by the next,
    /// and only the newest is in force.
    func chainPins(of scope: Scope) throws {
        try execute(
            """
            UPDATE baseline b SET superseded_at = n.next_at, superseded_by = n.next_id
            FROM (
                SELECT id, lead(set_at) OVER w AS next_at, lead(id) OVER w AS next_id
                FROM baseline
                WHERE (scenario = \(scope.scenario) OR (scenario IS NULL AND \(scope.scenario)::text IS NULL))
                  AND (environment = \(scope.environment) OR (environment IS NULL AND \(scope.environment)::text IS NULL))
                  AND branch = \(scope.branch) AND kind IN ('run', 'window')
                WINDOW w AS (ORDER BY set_at, id)
            ) n
            WHERE b.id = n.id
            """)
    }

    /// Marks a run invalid: it stays, marked, and never enters a baseline.
    public func invalidate(_ reference: RunReference, reason: String, now: Date = Date()) throws
        -> RunRecord
    {
        try PerfDBError.requireReason(reason, "--reason must say why the run is invalid")
        return try transaction {
            var run = try reader.run(reference)
            guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
            run.invalidated = true
            run.invalidatedReason = reason
            run.invalidatedAt = Timestamp.format(now)
            try execute(
                """
                UPDATE run SET invalidated = 1, invalidated_reason = \(reason),
                    invalidated_at = \(run.invalidatedAt)
                WHERE id = \(id)
                """)
            return run
        }
    }

    /// Unties a load run from the chaos run it was linked to: it is a normal run again.
    public func unlink(_ reference: RunReference) throws -> ChaosLink {
        try transaction {
            let run = try reader.run(reference)
            guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
            guard let link = try reader.chaosLink(of: id) else {
                throw PerfDBError(.usage, "run \(id) is not linked to a chaos run")
            }
            try execute("DELETE FROM chaos_link WHERE run_id = \(id)")
            return link
        }
    }

    /// Deletes a run and everything stored with it; a pinned baseline run is refused.
    public func delete(_ reference: RunReference) throws -> RunRecord {
        try transaction {
            let run = try reader.run(reference)
            guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
            let pins = try single(
                "SELECT count(*) FROM baseline WHERE run_id = \(id)", as: Int64.self)
            if (pins ?? 0) > 0 {
                throw PerfDBError(
                    .usage,
                    "run \(id) is a pinned baseline; pin another baseline before deleting it")
            }
            try execute("DELETE FROM run WHERE id = \(id)")
            return run
        }
    }

    /// A reader on this connection, inside whatever transaction is open.
    var reader: PostgresReader { PostgresReader(connection: connection, logger: logger, url: url) }

}
