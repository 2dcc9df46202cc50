import GRDB
import PerfDBModel

/// Records whose Swift properties are the table's columns in camel case (`started_at` →
/// `startedAt`).
protocol SnakeCaseColumns: FetchableRecord, EncodableRecord {}

extension SnakeCaseColumns {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .convertFromSnakeCase
    }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .convertToSnakeCase
    }
}

extension RunRecord: FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "run"

    /// The columns, for queries.
    public enum Columns {
        public static let id = Column("id")
        public static let kind = Column("kind")
        public static let scenario = Column("scenario")
        public static let environment = Column("environment")
        public static let branch = Column("branch")
        public static let commitId = Column("commit_id")
        public static let startedAt = Column("started_at")
        public static let contentDigest = Column("content_digest")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension RunRecord {
    /// Decodes a `run` row by column name: `history` and `runs list` read up to a hundred
    /// thousand of them, and Codable's per-row key conversion cost more than the query.
    public init(row: Row) throws {
        func value<T>(_ enumType: T.Type, _ column: String) throws -> T
        where T: RawRepresentable, T.RawValue == String {
            try row.vocabulary(T.self, "run", column)
        }
        self.init(
            id: try row.decode(forColumn: "id"), kind: try value(RunKind.self, "kind"),
            tool: try row.decode(forColumn: "tool"),
            toolVersion: try row.decode(forColumn: "tool_version"),
            sourceFormat: try value(InputFormat.self, "source_format"),
            sourceFile: try row.decode(forColumn: "source_file"),
            scenario: try row.decode(forColumn: "scenario"),
            environment: try row.decode(forColumn: "environment"),
            branch: try row.decode(forColumn: "branch"),
            commitId: try row.decode(forColumn: "commit_id"),
            buildId: try row.decode(forColumn: "build_id"),
            buildUrl: try row.decode(forColumn: "build_url"),
            pullRequest: try row.decode(forColumn: "pull_request"),
            ciProvider: try row.decode(forColumn: "ci_provider"),
            startedAt: try row.decode(forColumn: "started_at"),
            endedAt: try row.decode(forColumn: "ended_at"),
            durationMs: try row.decode(forColumn: "duration_ms"),
            status: try value(RunStatus.self, "status"),
            exitCode: try row.decode(forColumn: "exit_code"),
            incomplete: try row.decode(forColumn: "incomplete"),
            contentDigest: try row.decode(forColumn: "content_digest"),
            ingestedAt: try row.decode(forColumn: "ingested_at"),
            invalidated: try row.decode(forColumn: "invalidated"),
            invalidatedReason: try row.decode(forColumn: "invalidated_reason"),
            invalidatedAt: try row.decode(forColumn: "invalidated_at"),
            skippedLines: try row.decode(forColumn: "skipped_lines"))
    }
}

extension SeriesRecord: FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "series"

    /// Decodes a `series` row by column name: every check reads the whole catalog, and
    /// Codable's per-row key conversion cost more than the query.
    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), name: try row.decode(forColumn: "name"),
            metric: try row.decode(forColumn: "metric"),
            metricType: try row.vocabulary(MetricType.self, "series", "metric_type"),
            unit: try row.decode(forColumn: "unit"),
            direction: try row.vocabulary(Direction.self, "series", "direction"),
            declared: try row.decode(forColumn: "declared"))
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension Row {
    /// The value of `column` of `table` as one of the words of `T`.
    fileprivate func vocabulary<T>(_ type: T.Type, _ table: String, _ column: String) throws -> T
    where T: RawRepresentable, T.RawValue == String {
        let text: String = try decode(forColumn: column)
        guard let value = T(rawValue: text) else {
            throw PerfDBError(.internal, "\(table).\(column) holds an unknown value \"\(text)\"")
        }
        return value
    }
}

extension BaselineRecord: FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "baseline"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension SLOEvaluationRecord: FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "slo_evaluation"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension SLOResultRecord: FetchableRecord, PersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "slo_result"
}

extension ChaosExperimentRecord: FetchableRecord, PersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "chaos_experiment"
}

extension ChaosActivityRecord: FetchableRecord, PersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "chaos_activity"
}

/// A row of `run_label`.
struct RunLabelRecord: Codable, PersistableRecord, SnakeCaseColumns {
    static let databaseTableName = "run_label"

    var runId: Int64
    var key: String
    var value: String
}

/// A row of `threshold_result`.
struct ThresholdResultRecord: Codable, PersistableRecord, SnakeCaseColumns {
    static let databaseTableName = "threshold_result"

    var runId: Int64
    var seriesId: Int64
    var expression: String
    /// NULL: not evaluated.
    var passed: Bool?
    var abortOnFail: Bool
}

/// A row of `check_result`.
struct CheckResultRecord: Codable, PersistableRecord, SnakeCaseColumns {
    static let databaseTableName = "check_result"

    var runId: Int64
    var groupPath: String
    var name: String
    var passes: Int
    var fails: Int
}

// The vocabulary's enums are stored as their raw text.
extension RunKind: DatabaseValueConvertible {}
extension RunStatus: DatabaseValueConvertible {}
extension MetricType: DatabaseValueConvertible {}
extension Direction: DatabaseValueConvertible {}
extension InputFormat: DatabaseValueConvertible {}
extension BaselineKind: DatabaseValueConvertible {}
extension Verdict: DatabaseValueConvertible {}
extension SLOStatus: DatabaseValueConvertible {}
extension SLOPriority: DatabaseValueConvertible {}
extension SLOComparator: DatabaseValueConvertible {}
extension ChaosFamily: DatabaseValueConvertible {}
extension FaultType: DatabaseValueConvertible {}
extension BlastRadius: DatabaseValueConvertible {}
extension ChaosActivityValue.Phase: DatabaseValueConvertible {}
extension ChaosActivityValue.Kind: DatabaseValueConvertible {}
