import Foundation
import PerfDBModel

/// A Chaos Toolkit `journal.json` (chaostoolkit-lib 1.x).
///
/// The outcome comes from `deviated` and the steady states, not from `status` alone: the library
/// writes `completed` for a run whose hypothesis failed afterwards.
///
/// Resilience figures from the method's probes (docs/formats.md): availability is the share of
/// probes that succeeded (an HTTP probe also needs a status below 500); MTTR runs from the
/// start of the first failed probe to the end of the first successful probe after the last
/// failure. Fault metadata comes from an experiment extension named `perfdb`, from tags
/// `family:…`, `fault_type:…`, `blast_radius:…`, or from plain tags that name a family (`pms`)
/// or a fault type (`latency`).
struct ChaosToolkitJournalAdapter: InputAdapter {
    static let format = InputFormat.chaosToolkitJournal

    static func recognizes(_ document: JSONValue) -> Bool {
        guard let object = document.objectValue else { return false }
        return object["chaoslib-version"] != nil && object["experiment"] != nil
            && object["run"] != nil
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let root = try reader.object(document, "(document)")
        let experiment = try reader.object(root["experiment"], "experiment")
        let journalStatus = try reader.string(root["status"], "status")
        let deviated = try reader.optionalBool(root["deviated"], "deviated") ?? false
        let steadyStates = root["steady_states"]?.objectValue
        let before = try steadyStateMet(steadyStates?["before"], "steady_states.before", reader)
        let after = try steadyStateMet(steadyStates?["after"], "steady_states.after", reader)
        let outcome: RunStatus
        switch journalStatus {
        case "completed":
            outcome = deviated || before == false || after == false ? .failed : .passed
        case "interrupted", "aborted":
            outcome = .aborted
        case "failed":
            outcome = .failed
        default:
            throw reader.fail("status", "unknown journal status \"\(journalStatus.prefix(40))\"")
        }
        let title =
            try reader.optionalString(experiment["title"], "experiment.title") ?? "untitled"
        var chaos = ChaosExperimentValue(
            name: title, outcome: outcome,
            rolledBack:
                !(try reader.optionalArray(root["rollbacks"], "rollbacks", reader)
                .isEmpty),
            startedAt: try reader.timestamp(root["start"], "start"))
        chaos.endedAt = try reader.optionalTimestamp(root["end"], "end")
        chaos.durationSeconds = try reader.optionalNumber(
            root["duration"], "duration", in: 0...FieldReader.absurdMagnitude)
        chaos.steadyStateBefore = before
        chaos.steadyStateAfter = after
        try readMetadata(experiment, into: &chaos, reader)

        var activities: [ChaosActivityValue] = []
        var lists: [(ChaosActivityValue.Phase, JSONValue?, String)] = [
            (.steadyStateBefore, steadyStates?["before"]?["probes"], "steady_states.before.probes"),
            (.method, root["run"], "run"),
        ]
        // A hypothesis run continuously (or during the method only) leaves one entry per run.
        for (index, item) in try reader.optionalArray(
            steadyStates?["during"], "steady_states.during", reader
        ).enumerated() where !item.isNull {
            let path = "steady_states.during[\(index)]"
            lists.append(
                (.steadyStateDuring, try reader.object(item, path)["probes"], path + ".probes"))
        }
        lists += [
            (.steadyStateAfter, steadyStates?["after"]?["probes"], "steady_states.after.probes"),
            (.rollback, root["rollbacks"], "rollbacks"),
        ]
        for (phase, list, path) in lists {
            for (index, item) in try reader.optionalArray(list, path, reader).enumerated() {
                activities.append(
                    try activity(item, phase: phase, path: "\(path)[\(index)]", reader))
            }
        }
        // Hypothesis runs during the method interleave with it: keep the activities in time
        // order when every one has a start.
        if activities.allSatisfy({ $0.startedAt != nil }) {
            activities = activities.enumerated().sorted {
                ($0.element.startedAt ?? .distantPast, $0.offset)
                    < ($1.element.startedAt ?? .distantPast, $1.offset)
            }.map(\.element)
        }
        chaos.activities = activities
        let probes = try reader.optionalArray(root["run"], "run", reader).enumerated()
            .compactMap { index, item -> (ChaosActivityValue, Bool)? in
                guard
                    let probe = try? activity(item, phase: .method, path: "run[\(index)]", reader),
                    probe.type == .probe
                else { return nil }
                return (probe, probeSucceeded(item))
            }
        if !probes.isEmpty {
            let failed = probes.filter { !$0.1 }.count
            chaos.requestsTotal = probes.count
            chaos.requestsFailed = failed
            chaos.availabilityPct = 100 * Double(probes.count - failed) / Double(probes.count)
            chaos.errorRatePct = 100 * Double(failed) / Double(probes.count)
            chaos.mttrSeconds = meanTimeToRecover(probes)
        }
        var batch = IngestBatch(
            kind: .chaos, tool: "chaostoolkit", format: format, status: outcome)
        batch.toolVersion = try reader.optionalString(root["chaoslib-version"], "chaoslib-version")
        batch.startedAt = chaos.startedAt
        batch.endedAt = chaos.endedAt
        batch.durationMs = chaos.durationSeconds.map { $0 * 1000 }
        batch.chaos = chaos
        return batch
    }

    private static func steadyStateMet(_ value: JSONValue?, _ path: String, _ reader: FieldReader)
        throws -> Bool?
    {
        guard let value, !value.isNull else { return nil }
        let state = try reader.object(value, path)
        return try reader.optionalBool(state["steady_state_met"], "\(path).steady_state_met")
    }

    private static func activity(
        _ item: JSONValue, phase: ChaosActivityValue.Phase, path: String, _ reader: FieldReader
    ) throws -> ChaosActivityValue {
        let fields = try reader.object(item, path)
        let definition = try reader.object(fields["activity"], "\(path).activity")
        return ChaosActivityValue(
            phase: phase,
            type: try reader.oneOf(
                ChaosActivityValue.Kind.self, definition["type"], "\(path).activity.type"),
            name: try reader.string(definition["name"], "\(path).activity.name"),
            status: try reader.string(fields["status"], "\(path).status"),
            toleranceMet: try reader.optionalBool(fields["tolerance_met"], "\(path).tolerance_met"),
            startedAt: try reader.optionalTimestamp(fields["start"], "\(path).start"),
            endedAt: try reader.optionalTimestamp(fields["end"], "\(path).end"),
            durationSeconds: try reader.optionalNumber(
                fields["duration"], "\(path).duration", in: 0...FieldReader.absurdMagnitude))
    }

    /// A probe succeeded when Chaos Toolkit says so and, for HTTP, the status is below 500.
    private static func probeSucceeded(_ item: JSONValue) -> Bool {
        guard item["status"]?.stringValue == "succeeded" else { return false }
        if let status = item["output"]?["status"]?.numberValue { return status < 500 }
        if let tolerated = item["tolerance_met"]?.boolValue { return tolerated }
        return true
    }

    /// Seconds from the first failed probe to the first success after the last failure; zero
    /// when no probe failed, nil when the system had not recovered by the last probe.
    private static func meanTimeToRecover(_ probes: [(ChaosActivityValue, Bool)]) -> Double? {
        guard let firstFailure = probes.firstIndex(where: { !$0.1 }) else { return 0 }
        guard let lastFailure = probes.lastIndex(where: { !$0.1 }),
            let recovery = probes[(lastFailure + 1)...].first(where: { $0.1 }),
            let outageStart = probes[firstFailure].0.startedAt,
            let recoveredAt = recovery.0.endedAt ?? recovery.0.startedAt
        else { return nil }
        return max(0, recoveredAt.timeIntervalSince(outageStart))
    }

    private static func readMetadata(
        _ experiment: JSONObject, into chaos: inout ChaosExperimentValue, _ reader: FieldReader
    ) throws {
        var fields: [String: String] = [:]
        for tag in experiment["tags"]?.arrayValue ?? [] {
            guard let text = tag.stringValue else { continue }
            if let colon = text.firstIndex(of: ":") {
                fields[String(text[..<colon])] = String(text[text.index(after: colon)...])
            } else if ChaosFamily(rawValue: text.lowercased()) != nil {
                // Plain tags name a family (`pms`) or a fault type (`latency`).
                fields["family"] = fields["family"] ?? text.lowercased()
            } else if FaultType(
                rawValue: text.uppercased().replacingOccurrences(of: "-", with: "_"))
                != nil
            {
                fields["fault_type"] =
                    fields["fault_type"]
                    ?? text.uppercased().replacingOccurrences(of: "-", with: "_")
            }
        }
        for (index, element) in (experiment["extensions"]?.arrayValue ?? []).enumerated() {
            guard let object = element.objectValue, object["name"]?.stringValue == "perfdb" else {
                continue
            }
            for (key, value) in object.members where key != "name" {
                if let text = value.stringValue {
                    fields[key] = text
                } else if let number = value.numberValue {
                    fields[key] = JSONWriter.formatNumber(number)
                } else {
                    throw reader.fail("experiment.extensions[\(index)].\(key)", "expected a string")
                }
            }
        }
        let path = "experiment (extension perfdb or tags)"
        if let family = fields["family"] {
            chaos.family = try reader.oneOf(ChaosFamily.self, .string(family), "\(path).family")
        }
        if let fault = fields["fault_type"] {
            chaos.faultType = try reader.oneOf(FaultType.self, .string(fault), "\(path).fault_type")
        }
        if let radius = fields["blast_radius"] {
            chaos.blastRadius = try reader.oneOf(
                BlastRadius.self, .string(radius), "\(path).blast_radius")
        }
        chaos.target = fields["target"]
        chaos.experimentID = fields["id"]
        if let target = fields["mttr_target_s"] {
            chaos.mttrTargetSeconds = try reader.number(
                .number(Double(target) ?? .nan), "\(path).mttr_target_s")
        }
    }
}

extension FieldReader {
    fileprivate func optionalArray(_ value: JSONValue?, _ path: String, _ reader: FieldReader)
        throws -> [JSONValue]
    {
        guard let value, !value.isNull else { return [] }
        return try array(value, path)
    }
}
