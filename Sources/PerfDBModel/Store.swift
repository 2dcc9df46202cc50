import Foundation

/// The warehouse as commands see it, whatever engine holds it: reads gathered in one read
/// transaction, and each write (a run, a decision, a curation) in one write transaction.
///
/// `Warehouse` (a SQLite file) and `PostgresStore` (a PostgreSQL server) implement it; the
/// commands and the read side's pipeline are written once over it.
public protocol Store: AnyObject, Sendable {
    /// Where the warehouse is, for messages: a file path, or a URL without its password.
    var location: String { get }
    /// Runs `body` with a reader on one consistent snapshot.
    func reading<T>(_ body: (any StoreReader) throws -> T) throws -> T
    /// As `reading`, for a gather that reads many runs' measurements: the engine may read them
    /// on more than one connection, all at the same snapshot.
    func gathering<T>(_ body: (any StoreReader) throws -> T) throws -> T
    /// Stores an ingested run; the same content digest again is a duplicate unless `replace`.
    func store(_ submission: RunSubmission, replace: Bool, now: Date) throws -> StoreOutcome
    /// Records a check's verdicts of `run`, replacing the run's earlier ones.
    func recordVerdicts(_ records: [VerdictRecord], run: Int64, now: Date) throws
    /// Records an SLO evaluation of load run `run`.
    func recordEvaluation(_ evaluation: SLOEvaluationValue, of run: Int64, at date: Date) throws
    /// Adds an entry to the baseline log; a new pin supersedes the pin in force.
    func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?, now: Date
    ) throws -> BaselineRecord
    /// Marks a run invalid: it stays, marked, and never enters a baseline.
    func invalidate(_ reference: RunReference, reason: String, now: Date) throws -> RunRecord
    /// Deletes a run and everything stored with it; a pinned baseline run is refused.
    func delete(_ reference: RunReference) throws -> RunRecord
    /// Unties a load run from the chaos run it ran under; it is a normal run again.
    func unlink(_ reference: RunReference) throws -> ChaosLink
    /// Runs one read-only SQL statement.
    func query(_ sql: String) throws -> QueryResult
    /// Checks the warehouse and counts what it holds; problems are listed, not repaired.
    func doctor() throws -> DoctorReport
}

extension Store {
    /// One connection reads it all, as `reading` does.
    public func gathering<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try reading(body)
    }

    /// Stores an ingested run now.
    public func store(_ submission: RunSubmission, replace: Bool = false) throws -> StoreOutcome {
        try store(submission, replace: replace, now: Date())
    }

    /// Records a check's verdicts now.
    public func recordVerdicts(_ records: [VerdictRecord], run: Int64) throws {
        try recordVerdicts(records, run: run, now: Date())
    }

    /// Adds an entry to the baseline log now.
    public func recordBaseline(
        kind: BaselineKind, run: RunRecord, scope: Scope, windowSize: Int?, reason: String,
        setBy: String?
    ) throws -> BaselineRecord {
        try recordBaseline(
            kind: kind, run: run, scope: scope, windowSize: windowSize, reason: reason,
            setBy: setBy, now: Date())
    }

    /// Marks a run invalid now.
    public func invalidate(_ reference: RunReference, reason: String) throws -> RunRecord {
        try invalidate(reference, reason: reason, now: Date())
    }
}

/// How a command opens the warehouse.
public enum StoreAccess: Sendable {
    /// Read and write; creates the warehouse and applies pending migrations.
    case readWrite
    /// Read and write a warehouse that exists (commands that record decisions, curate or
    /// copy); a missing one is exit 66 and is not created.
    case existing
    /// Read only; the warehouse must exist.
    case readOnly
}
