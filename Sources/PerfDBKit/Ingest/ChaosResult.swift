import Foundation

/// A chaos experiment as stored: what fault was injected where, how it ended and the
/// resilience figures it yielded.
public struct ChaosExperimentValue: Sendable, Equatable {
    public var experimentID: String?
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
    public var mttrSeconds: Double?
    public var mttrTargetSeconds: Double?
    public var requestsTotal: Int?
    public var requestsFailed: Int?
    public var startedAt: Date
    public var endedAt: Date?
    public var durationSeconds: Double?
    /// The experiment's activities in order (Chaos Toolkit journals).
    public var activities: [ChaosActivityValue] = []

    /// Creates an experiment with the fields every source has.
    public init(name: String, outcome: RunStatus, rolledBack: Bool, startedAt: Date) {
        self.name = name
        self.outcome = outcome
        self.rolledBack = rolledBack
        self.startedAt = startedAt
    }
}

/// One action or probe of a chaos experiment.
public struct ChaosActivityValue: Sendable, Equatable {
    /// Where in the experiment it ran.
    public enum Phase: String, Sendable, CaseIterable {
        case steadyStateBefore = "steady_state_before"
        case method
        /// A hypothesis run during the method (`--hypothesis-strategy continuously`).
        case steadyStateDuring = "steady_state_during"
        case steadyStateAfter = "steady_state_after"
        case rollback
    }

    public var phase: Phase
    /// `action` or `probe`.
    public var type: String
    public var name: String
    /// The tool's status: for Chaos Toolkit, whether the activity ran (`succeeded`), not
    /// whether a steady-state probe's tolerance held.
    public var status: String
    /// A steady-state probe's tolerance result; nil for other activities.
    public var toleranceMet: Bool?
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationSeconds: Double?

    /// Creates an activity.
    public init(
        phase: Phase, type: String, name: String, status: String, toleranceMet: Bool? = nil,
        startedAt: Date?, endedAt: Date?, durationSeconds: Double?
    ) {
        self.phase = phase
        self.type = type
        self.name = name
        self.status = status
        self.toleranceMet = toleranceMet
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationSeconds = durationSeconds
    }
}

/// The scenario families of chaos experiments.
public enum ChaosFamily: String, Sendable, CaseIterable {
    case network, service, database, pms, resource
}

/// The fault types the orchestrator injects.
public enum FaultType: String, Sendable, CaseIterable {
    case latency = "LATENCY"
    case exception = "EXCEPTION"
    case timeout = "TIMEOUT"
    case circuitBreak = "CIRCUIT_BREAK"
    case rateLimit = "RATE_LIMIT"
    case resourceExhaustion = "RESOURCE_EXHAUSTION"
}

/// How much of the system a fault reaches.
public enum BlastRadius: String, Sendable, CaseIterable {
    case singleRequest = "SINGLE_REQUEST"
    case singleService = "SINGLE_SERVICE"
    case serviceCluster = "SERVICE_CLUSTER"
    case entireSystem = "ENTIRE_SYSTEM"
}

/// The chaos orchestrator's result JSON (`"format": "perfdb-chaos-result"`, version 1), defined
/// in docs/formats.md and reports/chaos-result.schema.json.
struct ChaosResultAdapter: InputAdapter {
    static let format = InputFormat.chaosResult

    static func recognizes(_ document: JSONValue) -> Bool {
        document["format"]?.stringValue == "perfdb-chaos-result"
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let root = try reader.object(document, "(document)")
        let version = try reader.number(root["version"], "version")
        guard version == 1 else {
            throw reader.fail("version", "unsupported version \(JSONWriter.formatNumber(version))")
        }
        let experiment = try reader.object(root["experiment"], "experiment")
        let outcome = try reader.oneOf(RunStatus.self, root["outcome"], "outcome")
        var chaos = ChaosExperimentValue(
            name: try reader.string(experiment["name"], "experiment.name"),
            outcome: outcome,
            rolledBack: try reader.bool(root["rolled_back"], "rolled_back"),
            startedAt: try reader.timestamp(root["started_at"], "started_at"))
        chaos.experimentID = try reader.optionalString(experiment["id"], "experiment.id")
        if let family = experiment["family"], !family.isNull {
            chaos.family = try reader.oneOf(ChaosFamily.self, family, "experiment.family")
        }
        if let faultType = experiment["fault_type"], !faultType.isNull {
            chaos.faultType = try reader.oneOf(FaultType.self, faultType, "experiment.fault_type")
        }
        if let radius = experiment["blast_radius"], !radius.isNull {
            chaos.blastRadius = try reader.oneOf(
                BlastRadius.self, radius, "experiment.blast_radius")
        }
        chaos.target = try reader.optionalString(experiment["target"], "experiment.target")
        chaos.endedAt = try reader.optionalTimestamp(root["ended_at"], "ended_at")
        let bound = 0...FieldReader.absurdMagnitude
        chaos.durationSeconds = try reader.optionalNumber(
            root["duration_s"], "duration_s", in: bound)
        chaos.steadyStateBefore = try reader.optionalBool(
            root["steady_state_before"], "steady_state_before")
        chaos.steadyStateAfter = try reader.optionalBool(
            root["steady_state_after"], "steady_state_after")
        chaos.rollbackReason = try reader.optionalString(root["rollback_reason"], "rollback_reason")
        if let metrics = root["metrics"], !metrics.isNull {
            let figures = try reader.object(metrics, "metrics")
            chaos.availabilityPct = try reader.optionalNumber(
                figures["availability_pct"], "metrics.availability_pct", in: 0...100)
            chaos.errorRatePct = try reader.optionalNumber(
                figures["error_rate_pct"], "metrics.error_rate_pct", in: 0...100)
            chaos.mttrSeconds = try reader.optionalNumber(
                figures["mttr_s"], "metrics.mttr_s", in: bound)
            chaos.mttrTargetSeconds = try reader.optionalNumber(
                figures["mttr_target_s"], "metrics.mttr_target_s", in: bound)
            chaos.requestsTotal = try reader.optionalCount(
                figures["requests_total"], "metrics.requests_total")
            chaos.requestsFailed = try reader.optionalCount(
                figures["requests_failed"], "metrics.requests_failed")
            if let total = chaos.requestsTotal, let failed = chaos.requestsFailed, failed > total {
                throw reader.fail(
                    "metrics.requests_failed", "\(failed) failed of only \(total) requests")
            }
        }
        if let targets = root["targets"], !targets.isNull {
            let figures = try reader.object(targets, "targets")
            chaos.availabilityTargetPct = try reader.optionalNumber(
                figures["availability_pct"], "targets.availability_pct", in: 0...100)
            chaos.errorRateTargetPct = try reader.optionalNumber(
                figures["error_rate_pct"], "targets.error_rate_pct", in: 0...100)
        }
        var batch = IngestBatch(
            kind: .chaos, tool: "perfdb-chaos-orchestrator", format: format, status: outcome)
        batch.startedAt = chaos.startedAt
        batch.endedAt = chaos.endedAt
        batch.durationMs = chaos.durationSeconds.map { $0 * 1000 }
        batch.chaos = chaos
        return batch
    }
}
