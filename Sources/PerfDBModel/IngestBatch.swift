import Foundation

/// Everything one input file yields, in memory, before it is stored in one transaction.
///
/// Every adapter produces one; units are already normalised (durations in milliseconds).
public struct IngestBatch: Sendable {
    /// The kind of run: a load test, an SLO evaluation or a chaos experiment.
    public var kind: RunKind
    /// The tool that produced the result (k6, perfdb-slo-validator, chaostoolkit, …).
    public var tool: String
    /// The tool's version, when the file says.
    public var toolVersion: String?
    /// The input format it was read as.
    public var format: InputFormat
    /// The run's verdict as the file tells it (before any exit code is applied).
    public var status: RunStatus
    /// When the run started and ended, when the file says.
    public var startedAt: Date?
    public var endedAt: Date?
    /// The run's duration in milliseconds, when the file says.
    public var durationMs: Double?
    /// A scenario or environment the file itself names (flags and CI context win).
    public var scenario: String?
    public var environment: String?
    /// The stored metric series and their statistics.
    public var series: [SeriesValues] = []
    /// k6 thresholds.
    public var thresholds: [ThresholdValue] = []
    /// k6 checks.
    public var checks: [CheckValue] = []
    /// The SLO evaluation of an SLO report.
    public var slo: SLOEvaluationValue?
    /// The chaos experiment of a chaos result or journal.
    public var chaos: ChaosExperimentValue?
    /// Latency distributions of trend series (raw streams).
    public var distributions: [SeriesKey: DistributionBuckets] = [:]
    /// In-run timelines (raw streams).
    public var timelines: [TimelineSeries] = []
    /// Kinds of error the run counted (Locust's failures and exceptions).
    public var errors: [ErrorKindValue] = []
    /// Labels the file itself carries (tags with one value across a raw stream).
    public var labels: [String: String] = [:]
    /// The input was cut short but accepted.
    public var incomplete = false
    /// Lines left out with --skip-bad-lines.
    public var skippedLines = 0
    /// Warnings to show after storing.
    public var warnings: [String] = []
    /// Samples read from a raw stream.
    public var points = 0
    /// Submetrics a raw stream declares whose thresholds it does not carry (k6 writes a
    /// threshold on `http_req_duration{name:x}` into no line of its stream).
    public var submetricsWithoutThresholds: [String] = []

    /// Creates a batch with no contents.
    public init(kind: RunKind, tool: String, format: InputFormat, status: RunStatus) {
        self.kind = kind
        self.tool = tool
        self.format = format
        self.status = status
    }
}

/// One series of a run with its statistics.
public struct SeriesValues: Sendable, Equatable {
    /// The series' identity: metric and tags.
    public var key: SeriesKey
    /// The k6 metric type.
    public var type: MetricType
    /// The unit of its values: `ms`, `bytes`, `count`, `ratio`, `per_second` or empty.
    public var unit: String
    /// Which way it gets worse.
    public var direction: Direction
    /// Statistic name (`avg`, `p95`, `count`, …) → value, in the source's order.
    public var statistics: [(name: String, value: Double)]
    /// True for a metric overall and a submetric the test declares (what a k6 summary holds),
    /// false for a per-tag view derived from a raw stream's samples.
    public var declared: Bool

    /// Creates a series with its statistics.
    public init(
        key: SeriesKey, type: MetricType, unit: String, direction: Direction,
        statistics: [(name: String, value: Double)], declared: Bool = true
    ) {
        self.key = key
        self.type = type
        self.unit = unit
        self.direction = direction
        self.statistics = statistics
        self.declared = declared
    }

    public static func == (lhs: SeriesValues, rhs: SeriesValues) -> Bool {
        lhs.key == rhs.key && lhs.type == rhs.type && lhs.unit == rhs.unit
            && lhs.direction == rhs.direction && lhs.declared == rhs.declared
            && lhs.statistics.map(\.name) == rhs.statistics.map(\.name)
            && lhs.statistics.map(\.value) == rhs.statistics.map(\.value)
    }
}

/// A k6 threshold and whether it passed.
public struct ThresholdValue: Sendable, Equatable {
    /// The series the threshold is on.
    public var series: SeriesKey
    /// The expression, for example `p(95)<3000`.
    public var expression: String
    /// True when the run passed it, false when it crossed it, nil when it was not evaluated
    /// (`k6 run --no-thresholds`, or a statistic the input does not carry).
    public var passed: Bool?
    /// k6's `abortOnFail`: crossing it stops the test.
    public var abortOnFail: Bool

    /// Creates a threshold result.
    public init(series: SeriesKey, expression: String, passed: Bool?, abortOnFail: Bool = false) {
        self.series = series
        self.expression = expression
        self.passed = passed
        self.abortOnFail = abortOnFail
    }
}

/// A k6 check's passes and fails within its group.
public struct CheckValue: Sendable, Equatable {
    /// The group path as k6 writes it (`::booking`); empty for the root group.
    public var groupPath: String
    /// The check's name.
    public var name: String
    /// How often it passed and failed.
    public var passes: Int
    public var fails: Int

    /// Creates a check result.
    public init(groupPath: String, name: String, passes: Int, fails: Int) {
        self.groupPath = groupPath
        self.name = name
        self.passes = passes
        self.fails = fails
    }
}

/// One kind of error a run counted, with how often: a failed request's message per request
/// name (Locust's failures) or an exception the test code raised (Locust's exceptions).
public struct ErrorKindValue: Sendable, Equatable {
    /// What counted it.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Requests that failed, by method, name and message.
        case failure
        /// Exceptions raised by the test code, by message.
        case exception
    }

    public var kind: Kind
    /// The request's method and name (failures only).
    public var method: String?
    public var name: String?
    /// The error message.
    public var message: String
    /// How often it happened.
    public var occurrences: Int
    /// When it was first and last seen, when the file says.
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// More about it: an exception's traceback.
    public var detail: String?

    /// Creates an error kind.
    public init(
        kind: Kind, method: String? = nil, name: String? = nil, message: String,
        occurrences: Int, firstSeen: Date? = nil, lastSeen: Date? = nil, detail: String? = nil
    ) {
        self.kind = kind
        self.method = method
        self.name = name
        self.message = message
        self.occurrences = occurrences
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.detail = detail
    }
}

/// One series' statistics per time bucket inside a run.
public struct TimelineSeries: Sendable {
    public var key: SeriesKey
    public var type: MetricType
    public var unit: String
    public var direction: Direction
    public var bucketSeconds: Double
    public var buckets: [TimelineBucket]

    /// Creates a timeline.
    public init(
        key: SeriesKey, type: MetricType, unit: String, direction: Direction,
        bucketSeconds: Double, buckets: [TimelineBucket]
    ) {
        self.key = key
        self.type = type
        self.unit = unit
        self.direction = direction
        self.bucketSeconds = bucketSeconds
        self.buckets = buckets
    }
}

/// One time bucket of a timeline.
public struct TimelineBucket: Sendable, Equatable {
    public var start: Date
    public var count: Int
    public var avg: Double?
    public var min: Double?
    public var max: Double?
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?
    public var rate: Double?
    public var sum: Double?

    /// Creates a bucket.
    public init(
        start: Date, count: Int, avg: Double?, min: Double?, max: Double?, p50: Double?,
        p95: Double?, p99: Double?, rate: Double?, sum: Double?
    ) {
        self.start = start
        self.count = count
        self.avg = avg
        self.min = min
        self.max = max
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.rate = rate
        self.sum = sum
    }
}
