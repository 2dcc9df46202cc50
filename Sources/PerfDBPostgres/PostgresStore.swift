import Foundation
import PerfDBModel

/// The warehouse on a PostgreSQL server as commands use it: one connection, and an operation
/// that is safe to repeat tried again on a new connection when the connection is lost (a
/// server restart, a network cut), until the connect timeout has passed since the loss.
///
/// Repeating is safe where the operation is idempotent: reads, storing a run (its content
/// digest is unique: a run whose commit was lost with the connection is then found, a
/// duplicate), recording verdicts (they replace the run's verdicts) and invalidating.
public final class PostgresStore: Store, @unchecked Sendable {
    public let url: PostgresURL
    private let password: String?
    private let connectTimeout: Duration
    private let access: StoreAccess
    /// How long `perfdb query` lets a statement run.
    public var statementTimeout: Duration = .seconds(30)
    private let lock = NSLock()
    private var current: PostgresWarehouse?

    /// Connects (retrying until `connectTimeout`) and checks the schema as `access` says.
    public init(
        url: PostgresURL, password: String?, connectTimeout: Duration = .seconds(30),
        access: StoreAccess
    ) throws {
        self.url = url
        self.password = password
        self.connectTimeout = connectTimeout
        self.access = access
        current = try connect(within: connectTimeout)
    }

    public var location: String { url.redacted }

    private func connect(within timeout: Duration) throws -> PostgresWarehouse {
        try PostgresWarehouse.open(
            url, password: password, connectTimeout: timeout, migrate: access != .readOnly,
            create: access == .readWrite)
    }

    /// Runs `operation` on the connection; when `repeatable`, again on a new connection after
    /// the connection was lost.
    private func perform<T>(repeatable: Bool, _ operation: (PostgresWarehouse) throws -> T)
        throws -> T
    {
        lock.lock()
        defer { lock.unlock() }
        let clock = ContinuousClock()
        var lostAt: ContinuousClock.Instant?
        while true {
            // A connection that went while idle is replaced before anything is sent on it, for
            // every operation: nothing of it can have run.
            if current?.isClosed == true {
                current = nil
                lostAt = lostAt ?? clock.now
            }
            let warehouse: PostgresWarehouse
            if let current {
                warehouse = current
            } else {
                let waited = lostAt.map { clock.now - $0 } ?? .zero
                warehouse = try connect(within: max(connectTimeout - waited, .zero))
                current = warehouse
            }
            do {
                return try operation(warehouse)
            } catch let error as PerfDBError
                where repeatable && warehouse.mayRepeat(after: error)
            {
                warehouse.close()
                current = nil
                let since = lostAt ?? clock.now
                lostAt = since
                if clock.now - since >= connectTimeout { throw error }
            }
        }
    }

    public func reading<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try perform(repeatable: true) { try $0.reading(body) }
    }

    public func store(_ submission: RunSubmission, replace: Bool, now: Date) throws
        -> StoreOutcome
    {
        // A replacement repeated after a lost commit would replace its own run: not repeated.
        try perform(repeatable: !replace) { try $0.store(submission, replace: replace, now: now) }
    }

    public func recordVerdicts(_ records: [VerdictRecord], run: Int64, now: Date) throws {
        try perform(repeatable: true) { try $0.recordVerdicts(records, run: run, now: now) }
    }

    public func recordEvaluation(_ evaluation: SLOEvaluationValue, of run: Int64, at date: Date)
        throws
    {
        try perform(repeatable: false) { try $0.recordEvaluation(evaluation, of: run, at: date) }
    }

    public func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?, now: Date
    ) throws -> BaselineRecord {
        try perform(repeatable: false) {
            try $0.recordBaseline(
                kind: kind, run: run, scope: scope, windowSize: windowSize, reason: reason,
                setBy: setBy, now: now)
        }
    }

    public func invalidate(_ reference: RunReference, reason: String, now: Date) throws
        -> RunRecord
    {
        try perform(repeatable: true) { try $0.invalidate(reference, reason: reason, now: now) }
    }

    public func delete(_ reference: RunReference) throws -> RunRecord {
        try perform(repeatable: false) { try $0.delete(reference) }
    }

    public func unlink(_ reference: RunReference) throws -> ChaosLink {
        try perform(repeatable: false) { try $0.unlink(reference) }
    }

    public func query(_ sql: String) throws -> QueryResult {
        try perform(repeatable: true) { try $0.query(sql, timeout: statementTimeout) }
    }

    public func doctor() throws -> DoctorReport {
        try perform(repeatable: true) { try $0.doctor() }
    }

    /// Folds other databases' runs in (repeated after a lost connection: a merge is idempotent).
    public func merge(_ sources: [MergeContents]) throws -> MergeReport {
        try perform(repeatable: true) { try $0.merge(sources) }
    }

    /// Hands a snapshot of every table to `sink` (`perfdb backup`).
    public func export(into sink: (TableRows) throws -> Void) throws {
        try perform(repeatable: false) { try $0.export(into: sink) }
    }

    /// True when the warehouse holds raw-stream runs with the digest of perfdb before
    /// `xxh64v2` (ingest then computes that digest too, to recognise them): one statement.
    public func holdsLegacyStreamDigests() throws -> Bool {
        try perform(repeatable: true) {
            try $0.single(
                "SELECT EXISTS (SELECT 1 FROM run WHERE content_digest LIKE 'xxh64:%')",
                as: Bool.self) ?? false
        }
    }

    /// Hangs up.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        current?.close()
        current = nil
    }
}
