import Foundation

/// An SLO evaluation as stored: the overall status and each SLO's result.
public struct SLOEvaluationValue: Sendable, Equatable {
    /// PASS, WARNING, FAIL or CRITICAL.
    public var overallStatus: SLOStatus
    /// The exit code the evaluation maps to: 0 all passed, 1 warnings, 2 critical.
    public var exitCode: Int
    /// When it was evaluated.
    public var evaluatedAt: Date?
    /// A weighted score in 0…1, when the evaluation computed one.
    public var score: Double?
    /// The per-SLO results.
    public var results: [SLOResultValue]

    /// Creates an evaluation.
    public init(
        overallStatus: SLOStatus, exitCode: Int, evaluatedAt: Date?, score: Double?,
        results: [SLOResultValue]
    ) {
        self.overallStatus = overallStatus
        self.exitCode = exitCode
        self.evaluatedAt = evaluatedAt
        self.score = score
        self.results = results
    }
}

/// The status of one SLO or of a whole evaluation.
public enum SLOStatus: String, Codable, Sendable, CaseIterable {
    case pass = "PASS"
    case warning = "WARNING"
    case fail = "FAIL"
    case critical = "CRITICAL"
}

/// An SLO's priority: a failed P0 blocks the deployment.
public enum SLOPriority: String, Codable, Sendable, CaseIterable {
    case p0 = "P0"
    case p1 = "P1"
    case p2 = "P2"
}

/// How an SLO compares the actual value with its target.
public enum SLOComparator: String, Codable, Sendable, CaseIterable {
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="
}

/// One SLO's result.
public struct SLOResultValue: Sendable, Equatable {
    public var name: String
    public var title: String?
    /// The series judged, in k6 notation.
    public var series: String
    public var statistic: String
    public var comparator: SLOComparator
    public var target: Double
    public var warning: Double?
    public var unit: String?
    public var actual: Double?
    public var status: SLOStatus
    public var priority: SLOPriority
    public var recommendation: String?

    /// Creates a result.
    public init(
        name: String, title: String?, series: String, statistic: String,
        comparator: SLOComparator, target: Double, warning: Double?, unit: String?,
        actual: Double?, status: SLOStatus, priority: SLOPriority, recommendation: String?
    ) {
        self.name = name
        self.title = title
        self.series = series
        self.statistic = statistic
        self.comparator = comparator
        self.target = target
        self.warning = warning
        self.unit = unit
        self.actual = actual
        self.status = status
        self.priority = priority
        self.recommendation = recommendation
    }
}
