import Foundation
import GRDB

/// A row of `baseline`: one entry of a scope's baseline log.
public struct BaselineRecord: Codable, Sendable, Equatable, FetchableRecord,
    MutablePersistableRecord
{
    public static let databaseTableName = "baseline"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var id: Int64?
    public var scenario: String?
    public var environment: String?
    public var branch: String
    /// `run` (pinned run), `window` (frozen window ending at the run) or `accept`.
    public var kind: String
    public var runId: Int64
    public var windowSize: Int?
    public var setAt: String
    public var setBy: String?
    public var reason: String
    public var supersededAt: String?
    public var supersededBy: Int64?

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The scope the entry belongs to.
    public var scope: Scope { Scope(scenario: scenario, environment: environment, branch: branch) }
}

/// What a baseline entry does.
public enum BaselineKind: String, Sendable, CaseIterable {
    /// Compare with one pinned run.
    case run
    /// Compare with the median of a frozen window of runs ending at a run.
    case window
    /// Accept the level at a run: regressions up to it no longer hold the baseline back.
    case accept
}

extension Warehouse {
    /// The pinned baseline of `scope` in force (`run` or `window`), if any.
    public func pinnedBaseline(_ scope: Scope) throws -> BaselineRecord? {
        try newestEntry(
            of: scope, where: "kind IN ('run', 'window') AND superseded_at IS NULL")
    }

    /// The newest baseline entry of `scope` (any kind): regressions decided before it are
    /// accepted, and the automatic baseline starts at its run.
    public func latestBaselineEntry(_ scope: Scope) throws -> BaselineRecord? {
        try newestEntry(of: scope, where: "1")
    }

    /// The entry of `scope` set last among those `condition` admits.
    private func newestEntry(of scope: Scope, where condition: String) throws -> BaselineRecord? {
        try read { db in
            try BaselineRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM baseline
                    WHERE scenario IS ? AND environment IS ? AND branch = ? AND \(condition)
                    ORDER BY set_at DESC, id DESC LIMIT 1
                    """, arguments: [scope.scenario, scope.environment, scope.branch])
        }
    }

    /// Adds an entry to the baseline log; a new pin supersedes the pin in force.
    public func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?, now: Date = Date()
    ) throws -> BaselineRecord {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PerfDBError(.usage, "--reason must say why")
        }
        guard let runID = run.id else { throw PerfDBError(.internal, "run without id") }
        return try write { db in
            var entry = BaselineRecord(
                id: nil, scenario: scope.scenario, environment: scope.environment,
                branch: scope.branch, kind: kind.rawValue, runId: runID,
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

    /// The baseline log, newest first; all scopes when `scope` is nil.
    public func baselineLog(_ scope: Scope?) throws -> [BaselineRecord] {
        try read { db in
            guard let scope else {
                return try BaselineRecord.order(Column("set_at").desc, Column("id").desc)
                    .fetchAll(db)
            }
            return try BaselineRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM baseline
                    WHERE scenario IS ? AND environment IS ? AND branch = ?
                    ORDER BY set_at DESC, id DESC
                    """, arguments: [scope.scenario, scope.environment, scope.branch])
        }
    }
}
