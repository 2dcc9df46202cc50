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
    public enum Phase: String, Codable, Sendable, CaseIterable {
        case steadyStateBefore = "steady_state_before"
        case method
        /// A hypothesis run during the method (`--hypothesis-strategy continuously`).
        case steadyStateDuring = "steady_state_during"
        case steadyStateAfter = "steady_state_after"
        case rollback
    }

    /// An action changes the system; a probe observes it.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case action
        case probe
    }

    public var phase: Phase
    public var type: Kind
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
        phase: Phase, type: Kind, name: String, status: String, toleranceMet: Bool? = nil,
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
public enum ChaosFamily: String, Codable, Sendable, CaseIterable {
    case network, service, database, pms, resource
}

/// The fault types the orchestrator injects.
public enum FaultType: String, Codable, Sendable, CaseIterable {
    case latency = "LATENCY"
    case exception = "EXCEPTION"
    case timeout = "TIMEOUT"
    case circuitBreak = "CIRCUIT_BREAK"
    case rateLimit = "RATE_LIMIT"
    case resourceExhaustion = "RESOURCE_EXHAUSTION"
}

/// How much of the system a fault reaches.
public enum BlastRadius: String, Codable, Sendable, CaseIterable {
    case singleRequest = "SINGLE_REQUEST"
    case singleService = "SINGLE_SERVICE"
    case serviceCluster = "SERVICE_CLUSTER"
    case entireSystem = "ENTIRE_SYSTEM"
}
