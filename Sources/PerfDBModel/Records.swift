import Foundation

/// A stored run: one ingested result with its CI context (table `run`).
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var kind: RunKind
    public var tool: String
    public var toolVersion: String?
    public var sourceFormat: InputFormat
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
    public var status: RunStatus
    public var exitCode: Int?
    public var incomplete: Bool
    public var contentDigest: String
    public var ingestedAt: String
    public var invalidated: Bool
    public var invalidatedReason: String?
    public var invalidatedAt: String?
    public var skippedLines: Int = 0

    /// Creates a run record.
    public init(
        id: Int64?, kind: RunKind, tool: String, toolVersion: String?, sourceFormat: InputFormat,
        sourceFile: String?, scenario: String?, environment: String?, branch: String?,
        commitId: String?, buildId: String?, buildUrl: String?, pullRequest: String?,
        ciProvider: String?, startedAt: String, endedAt: String?, durationMs: Double?,
        status: RunStatus, exitCode: Int?, incomplete: Bool, contentDigest: String,
        ingestedAt: String, invalidated: Bool, invalidatedReason: String?,
        invalidatedAt: String?, skippedLines: Int = 0
    ) {
        self.id = id
        self.kind = kind
        self.tool = tool
        self.toolVersion = toolVersion
        self.sourceFormat = sourceFormat
        self.sourceFile = sourceFile
        self.scenario = scenario
        self.environment = environment
        self.branch = branch
        self.commitId = commitId
        self.buildId = buildId
        self.buildUrl = buildUrl
        self.pullRequest = pullRequest
        self.ciProvider = ciProvider
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.status = status
        self.exitCode = exitCode
        self.incomplete = incomplete
        self.contentDigest = contentDigest
        self.ingestedAt = ingestedAt
        self.invalidated = invalidated
        self.invalidatedReason = invalidatedReason
        self.invalidatedAt = invalidatedAt
        self.skippedLines = skippedLines
    }

    /// A run may enter a baseline: a load run that is neither invalidated nor aborted.
    public var isValid: Bool { kind == .load && !invalidated && status != .aborted }
}

/// The columns of a run a trend and a change point show: its id, start, commit and build.
///
/// A trend reads up to a hundred thousand runs; as many whole ``RunRecord``s take several times
/// the room, for columns no trend shows.
public struct RunIdentity: Codable, Sendable, Equatable {
    public var id: Int64?
    public var startedAt: String
    public var commitId: String?
    public var buildId: String?

    /// Creates a run's identity.
    public init(id: Int64?, startedAt: String, commitId: String?, buildId: String?) {
        self.id = id
        self.startedAt = startedAt
        self.commitId = commitId
        self.buildId = buildId
    }

    /// The identity of a whole run.
    public init(_ run: RunRecord) {
        self.init(
            id: run.id, startedAt: run.startedAt, commitId: run.commitId, buildId: run.buildId)
    }
}

/// A stored series: a metric and its canonical tag set, in k6 notation (table `series`).
public struct SeriesRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var name: String
    public var metric: String
    public var metricType: MetricType
    public var unit: String
    public var direction: Direction
    /// True for a metric overall and a submetric its test declares — the series a k6 summary
    /// holds —, false for a per-tag view perfdb derives from a raw stream's samples.
    public var declared: Bool

    /// Creates a series record.
    public init(
        id: Int64?, name: String, metric: String, metricType: MetricType, unit: String,
        direction: Direction, declared: Bool = true
    ) {
        self.id = id
        self.name = name
        self.metric = metric
        self.metricType = metricType
        self.unit = unit
        self.direction = direction
        self.declared = declared
    }
}

/// One entry of a scope's baseline log (table `baseline`).
public struct BaselineRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var scenario: String?
    public var environment: String?
    public var branch: String
    /// A pinned run, a frozen window ending at the run, or an acceptance.
    public var kind: BaselineKind
    public var runId: Int64
    public var windowSize: Int?
    public var setAt: String
    public var setBy: String?
    public var reason: String
    public var supersededAt: String?
    public var supersededBy: Int64?

    /// Creates a baseline log entry.
    public init(
        id: Int64?, scenario: String?, environment: String?, branch: String, kind: BaselineKind,
        runId: Int64, windowSize: Int?, setAt: String, setBy: String?, reason: String,
        supersededAt: String?, supersededBy: Int64?
    ) {
        self.id = id
        self.scenario = scenario
        self.environment = environment
        self.branch = branch
        self.kind = kind
        self.runId = runId
        self.windowSize = windowSize
        self.setAt = setAt
        self.setBy = setBy
        self.reason = reason
        self.supersededAt = supersededAt
        self.supersededBy = supersededBy
    }

    /// The scope the entry belongs to.
    public var scope: Scope { Scope(scenario: scenario, environment: environment, branch: branch) }
}

/// A stored SLO evaluation (table `slo_evaluation`).
public struct SLOEvaluationRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var runId: Int64
    public var evaluatedRunId: Int64?
    public var evaluatedAt: String
    public var overallStatus: SLOStatus
    public var exitCode: Int
    public var score: Double?

    /// Creates an evaluation record.
    public init(
        id: Int64?, runId: Int64, evaluatedRunId: Int64?, evaluatedAt: String,
        overallStatus: SLOStatus, exitCode: Int, score: Double?
    ) {
        self.id = id
        self.runId = runId
        self.evaluatedRunId = evaluatedRunId
        self.evaluatedAt = evaluatedAt
        self.overallStatus = overallStatus
        self.exitCode = exitCode
        self.score = score
    }
}

/// One SLO's stored result within an evaluation (table `slo_result`).
public struct SLOResultRecord: Codable, Sendable, Equatable {
    public var evaluationId: Int64
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

    /// The record of `result` within evaluation `evaluationId`.
    public init(_ result: SLOResultValue, evaluationId: Int64) {
        self.evaluationId = evaluationId
        name = result.name
        title = result.title
        series = result.series
        statistic = result.statistic
        comparator = result.comparator
        target = result.target
        warning = result.warning
        unit = result.unit
        actual = result.actual
        status = result.status
        priority = result.priority
        recommendation = result.recommendation
    }
}

/// A stored chaos experiment (table `chaos_experiment`).
public struct ChaosExperimentRecord: Codable, Sendable, Equatable {
    public var runId: Int64
    public var experimentId: String?
    public var name: String
    public var family: ChaosFamily?
    public var faultType: FaultType?
    public var blastRadius: BlastRadius?
    public var target: String?
    public var steadyStateBefore: Bool?
    public var steadyStateAfter: Bool?
    public var outcome: RunStatus
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

    /// The record of an experiment value, stored with run `runId`.
    public init(_ chaos: ChaosExperimentValue, runId: Int64) {
        self.runId = runId
        experimentId = chaos.experimentID
        name = chaos.name
        family = chaos.family
        faultType = chaos.faultType
        blastRadius = chaos.blastRadius
        target = chaos.target
        steadyStateBefore = chaos.steadyStateBefore
        steadyStateAfter = chaos.steadyStateAfter
        outcome = chaos.outcome
        rolledBack = chaos.rolledBack
        rollbackReason = chaos.rollbackReason
        availabilityPct = chaos.availabilityPct
        availabilityTargetPct = chaos.availabilityTargetPct
        errorRatePct = chaos.errorRatePct
        errorRateTargetPct = chaos.errorRateTargetPct
        mttrS = chaos.mttrSeconds
        mttrTargetS = chaos.mttrTargetSeconds
        requestsTotal = chaos.requestsTotal
        requestsFailed = chaos.requestsFailed
        startedAt = Timestamp.format(chaos.startedAt)
        endedAt = chaos.endedAt.map(Timestamp.format)
        durationS = chaos.durationSeconds
    }
}

/// One stored action or probe of a chaos experiment (table `chaos_activity`).
public struct ChaosActivityRecord: Codable, Sendable, Equatable {
    public var runId: Int64
    public var seq: Int
    public var phase: ChaosActivityValue.Phase
    public var type: ChaosActivityValue.Kind
    public var name: String
    public var status: String
    /// A steady-state probe's tolerance result.
    public var toleranceMet: Bool?
    public var startedAt: String?
    public var endedAt: String?
    public var durationS: Double?

    /// The record of activity number `seq` of run `runId`.
    public init(_ activity: ChaosActivityValue, runId: Int64, seq: Int) {
        self.runId = runId
        self.seq = seq
        phase = activity.phase
        type = activity.type
        name = activity.name
        status = activity.status
        toleranceMet = activity.toleranceMet
        startedAt = activity.startedAt.map(Timestamp.format)
        endedAt = activity.endedAt.map(Timestamp.format)
        durationS = activity.durationSeconds
    }
}

/// One stored timeline bucket.
public struct TimelineRow: Sendable, Equatable {
    public var start: String
    public var seconds: Double
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
        start: String, seconds: Double, count: Int, avg: Double?, min: Double?, max: Double?,
        p50: Double?, p95: Double?, p99: Double?, rate: Double?, sum: Double?
    ) {
        self.start = start
        self.seconds = seconds
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

/// One run with everything stored with it.
public struct RunDetail: Sendable {
    public var run: RunRecord
    public var labels: [(key: String, value: String)]
    /// Series in name order, each with its statistics in the stored order.
    public var metrics: [(series: SeriesRecord, statistics: [(name: String, value: Double)])]
    /// `passed` is nil for a threshold the tool did not evaluate.
    public var thresholds: [(series: String, expression: String, passed: Bool?, abortOnFail: Bool)]
    public var checks: [(groupPath: String, name: String, passes: Int, fails: Int)]
    public var slo: (evaluation: SLOEvaluationRecord, results: [SLOResultRecord])?
    public var chaos: (experiment: ChaosExperimentRecord, activities: [ChaosActivityRecord])?
    /// The kinds of error the run counted, in stored order.
    public var errors: [ErrorKindValue] = []
    /// For a load run made under a fault: the chaos experiment run it is tied to.
    public var chaosLink: ChaosLink?

    /// Creates a run's details.
    public init(
        run: RunRecord, labels: [(key: String, value: String)],
        metrics: [(series: SeriesRecord, statistics: [(name: String, value: Double)])],
        thresholds: [(series: String, expression: String, passed: Bool?, abortOnFail: Bool)],
        checks: [(groupPath: String, name: String, passes: Int, fails: Int)],
        slo: (evaluation: SLOEvaluationRecord, results: [SLOResultRecord])?,
        chaos: (experiment: ChaosExperimentRecord, activities: [ChaosActivityRecord])?
    ) {
        self.run = run
        self.labels = labels
        self.metrics = metrics
        self.thresholds = thresholds
        self.checks = checks
        self.slo = slo
        self.chaos = chaos
    }
}

/// A load run tied to the chaos experiment run it ran under (table `chaos_link`): such a run
/// never enters the normal baseline, trends or drift of its scope.
public struct ChaosLink: Sendable, Equatable {
    /// How the link was made.
    public enum LinkedBy: String, Sendable, Equatable {
        /// `ingest --chaos-run`.
        case explicit
        /// The load run's span lies within the experiment run's, in the same environment.
        case time
    }

    public var runId: Int64
    public var chaosRunId: Int64
    public var linkedBy: LinkedBy
    public var linkedAt: String
    /// The experiment's name.
    public var experiment: String

    /// Creates a link.
    public init(
        runId: Int64, chaosRunId: Int64, linkedBy: LinkedBy, linkedAt: String, experiment: String
    ) {
        self.runId = runId
        self.chaosRunId = chaosRunId
        self.linkedBy = linkedBy
        self.linkedAt = linkedAt
        self.experiment = experiment
    }
}
