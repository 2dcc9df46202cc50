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

extension SeriesRecord: FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "series"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
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
