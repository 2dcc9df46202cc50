import Foundation
import PerfDBModel

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
        try reader.requireVersion(root, 1)
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
