import GRDB

/// A row of `run`: one ingested result with its CI context.
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var id: Int64?
    public var kind: String
    public var tool: String
    public var toolVersion: String?
    public var sourceFormat: String
    public var sourceFile: String?
    public var scenario: String?
    public var environment: String?
    public var branch: String?
    public var commitId: String?
    public var buildId: String?
    public var buildUrl: String?
    public var pullRequest: String?
    public var ciProvider: String?
    public var startedAt: String
    public var endedAt: String?
    public var durationMs: Double?
    public var status: String
    public var exitCode: Int?
    public var incomplete: Bool
    public var contentDigest: String
    public var ingestedAt: String
    public var invalidated: Bool
    public var invalidatedReason: String?
    public var invalidatedAt: String?
    public var skippedLines: Int = 0

    /// The columns, for queries.
    public enum Columns {
        public static let id = Column("id")
        public static let kind = Column("kind")
        public static let scenario = Column("scenario")
        public static let environment = Column("environment")
        public static let branch = Column("branch")
        public static let startedAt = Column("started_at")
        public static let contentDigest = Column("content_digest")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A row of `run_label`.
struct RunLabelRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "run_label"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var runId: Int64
    var key: String
    var value: String
}

/// A row of `series`: a metric and its canonical tag set, in k6 notation.
public struct SeriesRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord
{
    public static let databaseTableName = "series"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var id: Int64?
    public var name: String
    public var metric: String
    public var metricType: String
    public var unit: String
    public var direction: String

    /// The columns, for queries.
    public enum Columns {
        public static let id = Column("id")
        public static let name = Column("name")
        public static let metric = Column("metric")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A row of `series_tag`.
struct SeriesTagRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "series_tag"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var seriesId: Int64
    var key: String
    var value: String
}

/// A row of `measurement`: one statistic of one series in one run.
struct MeasurementRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "measurement"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var seriesId: Int64
    var runId: Int64
    var statistic: String
    var value: Double
}

/// A row of `threshold_result`.
struct ThresholdResultRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "threshold_result"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var runId: Int64
    var seriesId: Int64
    var expression: String
    /// NULL: not evaluated.
    var passed: Bool?
    var abortOnFail: Bool
}

/// A row of `check_result`.
struct CheckResultRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "check_result"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var runId: Int64
    var groupPath: String
    var name: String
    var passes: Int
    var fails: Int
}

/// A row of `slo_evaluation`.
public struct SLOEvaluationRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "slo_evaluation"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var id: Int64?
    public var runId: Int64
    public var evaluatedRunId: Int64?
    public var evaluatedAt: String
    public var overallStatus: String
    public var exitCode: Int
    public var score: Double?

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A row of `slo_result`.
public struct SLOResultRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "slo_result"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var evaluationId: Int64
    public var name: String
    public var title: String?
    public var metric: String
    public var statistic: String
    public var comparator: String
    public var target: Double
    public var warning: Double?
    public var unit: String?
    public var actual: Double?
    public var status: String
    public var priority: String
    public var recommendation: String?
}

/// A row of `chaos_experiment`.
public struct ChaosExperimentRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chaos_experiment"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var runId: Int64
    public var experimentId: String?
    public var name: String
    public var family: String?
    public var faultType: String?
    public var blastRadius: String?
    public var target: String?
    public var steadyStateBefore: Bool?
    public var steadyStateAfter: Bool?
    public var outcome: String
    public var rolledBack: Bool
    public var rollbackReason: String?
    public var availabilityPct: Double?
    public var availabilityTargetPct: Double?
    public var errorRatePct: Double?
    public var errorRateTargetPct: Double?
    public var mttrS: Double?
    public var mttrTargetS: Double?
    public var requestsTotal: Int?
    public var requestsFailed: Int?
    public var startedAt: String
    public var endedAt: String?
    public var durationS: Double?
}

/// A row of `chaos_activity`.
public struct ChaosActivityRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chaos_activity"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy
        .convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy
        .convertToSnakeCase

    public var runId: Int64
    public var seq: Int
    public var phase: String
    public var type: String
    public var name: String
    public var status: String
    /// A steady-state probe's tolerance result.
    public var toleranceMet: Bool?
    public var startedAt: String?
    public var endedAt: String?
    public var durationS: Double?
}
