import Foundation
import PerfDBModel
import Yams

/// What perfdb.yml can set: the base branch, baselines, the gate's thresholds per metric family and
/// per series, change-point and drift parameters, and the SLOs.
///
/// Every key is optional; the defaults are documented in docs/statistics.md.
public struct Config: Sendable {
    /// The branch whose runs make the automatic baseline.
    public var baseBranch = "main"
    /// How many valid runs the automatic baseline takes (their median).
    public var baselineWindow = 10
    /// Fewer baseline runs than this is not enough to judge.
    public var minBaselineRuns = 5
    /// The gate's rules per metric family.
    public var durations = GateRule(
        statistics: ["avg", "med", "p90", "p95", "p99"], minChangePct: 10, minChangeAbs: 2,
        minZ: 3, warningChangePct: 5, minSpreadPct: 5, minTailSamples: 10)
    public var rates = GateRule(
        statistics: ["rate"], minChangePct: nil, minChangeAbs: 0.01, minZ: 3,
        warningChangePct: nil, minSpreadPct: nil, minTailSamples: nil)
    public var throughput = GateRule(
        statistics: ["rate"], minChangePct: 10, minChangeAbs: nil, minZ: 3, warningChangePct: 5,
        minSpreadPct: 5, minTailSamples: nil)
    /// Per-series (or per-metric) overrides, keyed by k6 notation or metric name.
    public var series: [String: SeriesOverride] = [:]
    /// Change-point detection.
    public var changePoints = ChangePointDetector()
    /// Drift: how many recent runs, how many for the slope, and the tolerances.
    public var drift = DriftSettings()
    /// The SLOs `slo check` and `check` evaluate.
    public var slos: [SLODefinition] = SLODefinition.defaults
    /// Weighted-score cut-offs of an SLO evaluation.
    public var sloPassScore = 0.9
    public var sloWarningScore = 0.75
    /// Types of metrics whose raw stream does not say them (k6's CSV), by metric name.
    public var metricTypes: [String: MetricType] = [:]

    /// The defaults.
    public init() {}

    /// How far back gathering reads for these settings.
    public var gatherSettings: GatherSettings {
        GatherSettings(
            baseBranch: baseBranch, historyLimit: max(changePoints.window, baselineWindow),
            driftRuns: max(drift.recentRuns, drift.slopeRuns))
    }

    /// The gate's rule for one metric family.
    public struct GateRule: Sendable, Equatable {
        /// The statistics judged.
        public var statistics: [String]
        /// A regression changes by at least this many percent.
        public var minChangePct: Double?
        /// A regression changes by at least this much, in the series' unit.
        public var minChangeAbs: Double?
        /// A regression is at least this many robust standard deviations from the baseline.
        public var minZ: Double
        /// A smaller significant change, past this many percent, is a warning.
        public var warningChangePct: Double?
        /// The baseline's spread is taken as at least this percentage of its median, so a
        /// baseline that happened to be very steady does not make every small change
        /// significant.
        public var minSpreadPct: Double?
        /// A percentile pNN is judged only when the run has at least this many samples beyond
        /// it (count × (1 − NN/100)); with fewer it is as noisy as the maximum.
        public var minTailSamples: Double?
    }

    /// Gate settings given in perfdb.yml: each one left out keeps the value of the rule it
    /// refines.
    public struct GateRulePatch: Sendable, Equatable {
        public var statistics: [String]?
        public var minChangePct: Double?
        public var minChangeAbs: Double?
        public var minZ: Double?
        public var warningChangePct: Double?
        public var minSpreadPct: Double?
        public var minTailSamples: Double?

        /// `base` with the settings given here.
        public func applied(to base: GateRule) -> GateRule {
            var rule = base
            if let statistics { rule.statistics = statistics }
            if let minChangePct { rule.minChangePct = minChangePct }
            if let minChangeAbs { rule.minChangeAbs = minChangeAbs }
            if let minZ { rule.minZ = minZ }
            if let warningChangePct { rule.warningChangePct = warningChangePct }
            if let minSpreadPct { rule.minSpreadPct = minSpreadPct }
            if let minTailSamples { rule.minTailSamples = minTailSamples }
            return rule
        }
    }

    /// Overrides for one series or metric: whether it is gated, which way is bad, and gate
    /// settings over those of its metric family.
    public struct SeriesOverride: Sendable, Equatable {
        public var gate: Bool?
        public var direction: Direction?
        public var rule = GateRulePatch()
    }

    /// Drift parameters.
    public struct DriftSettings: Sendable, Equatable {
        /// The recent runs whose median is compared with the baseline.
        public var recentRuns = 5
        /// The runs the Theil–Sen slope is fitted over.
        public var slopeRuns = 20
        /// Drift of the recent median past the baseline beyond this is flagged.
        public var maxDriftPct = 10.0
        /// A slope in the bad direction beyond this (percent of the baseline per week) is flagged.
        public var maxSlopePctPerWeek = 5.0
    }

    /// Reads `path`; an unknown key or a value of the wrong type is an error naming the key.
    public static func load(path: String) throws -> Config {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PerfDBError(.inputNotFound, "\(path): cannot read the configuration")
        }
        return try parse(text, file: path)
    }

    /// The configuration `--config` names, else ./perfdb.yml when present, else the defaults.
    public static func resolve(explicitPath: String?, directory: String) throws -> Config {
        if let explicitPath { return try load(path: explicitPath) }
        let implicit = URL(fileURLWithPath: directory).appending(path: "perfdb.yml").path
        if FileManager.default.fileExists(atPath: implicit) { return try load(path: implicit) }
        return Config()
    }

    /// Parses YAML text.
    public static func parse(_ text: String, file: String) throws -> Config {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw PerfDBError(.badInput, "\(file): not valid YAML: \(error)")
        }
        var configuration = Config()
        guard let node else { return configuration }
        let reader = YAMLReader(file: file)
        let root = try reader.mapping(node, "(document)")
        try reader.allow(
            root,
            [
                "base_branch", "baseline", "gate", "series", "change_points", "drift", "slo",
                "ingest",
            ],
            at: "")
        if let value = root["base_branch"] {
            configuration.baseBranch = try reader.string(value, "base_branch")
        }
        if let baseline = root["baseline"] {
            let map = try reader.mapping(baseline, "baseline")
            try reader.allow(map, ["window", "min_runs"], at: "baseline")
            if let window = map["window"] {
                configuration.baselineWindow = try reader.int(window, "baseline.window", min: 1)
            }
            if let minRuns = map["min_runs"] {
                configuration.minBaselineRuns = try reader.int(minRuns, "baseline.min_runs", min: 1)
            }
        }
        if let gate = root["gate"] {
            let map = try reader.mapping(gate, "gate")
            try reader.allow(map, ["durations", "rates", "throughput"], at: "gate")
            if let rule = map["durations"] {
                configuration.durations = try reader.rule(
                    rule, "gate.durations", configuration.durations)
            }
            if let rule = map["rates"] {
                configuration.rates = try reader.rule(rule, "gate.rates", configuration.rates)
            }
            if let rule = map["throughput"] {
                configuration.throughput = try reader.rule(
                    rule, "gate.throughput", configuration.throughput)
            }
        }
        if let series = root["series"] {
            let map = try reader.mapping(series, "series")
            for (keyNode, value) in map {
                let name = try reader.string(keyNode, "series")
                configuration.series[name] = try reader.override(value, "series.\(name)")
            }
        }
        if let changePoints = root["change_points"] {
            let map = try reader.mapping(changePoints, "change_points")
            try reader.allow(map, ["max_pvalue", "window", "min_magnitude"], at: "change_points")
            if let value = map["max_pvalue"] {
                configuration.changePoints.maxPValue = try reader.double(
                    value, "change_points.max_pvalue", in: 0...1)
            }
            if let value = map["window"] {
                configuration.changePoints.window = try reader.int(
                    value, "change_points.window", min: 4)
            }
            if let value = map["min_magnitude"] {
                configuration.changePoints.minMagnitude = try reader.double(
                    value, "change_points.min_magnitude", in: 0...100)
            }
        }
        if let drift = root["drift"] {
            let map = try reader.mapping(drift, "drift")
            try reader.allow(
                map, ["recent_runs", "slope_runs", "max_drift_pct", "max_slope_pct_per_week"],
                at: "drift")
            if let value = map["recent_runs"] {
                configuration.drift.recentRuns = try reader.int(value, "drift.recent_runs", min: 1)
            }
            if let value = map["slope_runs"] {
                configuration.drift.slopeRuns = try reader.int(value, "drift.slope_runs", min: 3)
            }
            if let value = map["max_drift_pct"] {
                configuration.drift.maxDriftPct = try reader.double(value, "drift.max_drift_pct")
            }
            if let value = map["max_slope_pct_per_week"] {
                configuration.drift.maxSlopePctPerWeek = try reader.double(
                    value, "drift.max_slope_pct_per_week")
            }
        }
        if let slo = root["slo"] {
            let map = try reader.mapping(slo, "slo")
            try reader.allow(map, ["pass_score", "warning_score", "objectives"], at: "slo")
            if let value = map["pass_score"] {
                configuration.sloPassScore = try reader.double(value, "slo.pass_score", in: 0...1)
            }
            if let value = map["warning_score"] {
                configuration.sloWarningScore = try reader.double(
                    value, "slo.warning_score", in: 0...1)
            }
            if let objectives = map["objectives"] {
                guard case .sequence(let list) = objectives else {
                    throw reader.fail("slo.objectives", "expected a list")
                }
                configuration.slos = try list.enumerated().map { index, item in
                    try reader.objective(item, "slo.objectives[\(index)]")
                }
                let names = configuration.slos.map(\.name)
                if Set(names).count != names.count {
                    throw reader.fail("slo.objectives", "two objectives have the same name")
                }
            }
        }
        if let ingest = root["ingest"] {
            let map = try reader.mapping(ingest, "ingest")
            try reader.allow(map, ["metric_types"], at: "ingest")
            if let types = map["metric_types"] {
                for (keyNode, value) in try reader.mapping(types, "ingest.metric_types") {
                    let name = try reader.string(keyNode, "ingest.metric_types")
                    let path = "ingest.metric_types.\(name)"
                    guard let type = MetricType(rawValue: try reader.string(value, path)) else {
                        throw reader.fail(path, "expected trend, counter, rate or gauge")
                    }
                    configuration.metricTypes[name] = type
                }
            }
        }
        return configuration
    }
}

/// Typed access to a YAML node tree with errors that name the file and the key.
private struct YAMLReader {
    let file: String

    func fail(_ path: String, _ problem: String) -> PerfDBError {
        PerfDBError(.badInput, "\(file): key \(path.isEmpty ? "(top level)" : path): \(problem)")
    }

    func mapping(_ node: Node, _ path: String) throws -> Node.Mapping {
        guard case .mapping(let mapping) = node else { throw fail(path, "expected a mapping") }
        return mapping
    }

    func allow(_ mapping: Node.Mapping, _ keys: Set<String>, at path: String) throws {
        for key in mapping.keys {
            let name = key.string ?? "\(key)"
            guard keys.contains(name) else {
                throw fail(
                    path.isEmpty ? name : "\(path).\(name)",
                    "unknown key (expected one of \(keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail(path, "expected text") }
        return scalar.string
    }

    func double(_ node: Node, _ path: String, in range: ClosedRange<Double>? = nil) throws -> Double
    {
        guard let value = Double(try string(node, path)), value.isFinite else {
            throw fail(path, "expected a number")
        }
        if let range, !range.contains(value) {
            throw fail(path, "\(value) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    func int(_ node: Node, _ path: String, min: Int) throws -> Int {
        guard let value = Int(try string(node, path)), value >= min else {
            throw fail(path, "expected a whole number of at least \(min)")
        }
        return value
    }

    func bool(_ node: Node, _ path: String) throws -> Bool {
        switch try string(node, path).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(path, "expected true or false")
        }
    }

    func strings(_ node: Node, _ path: String) throws -> [String] {
        guard case .sequence(let list) = node else { throw fail(path, "expected a list") }
        return try list.map { try string($0, path) }
    }

    /// The keys of a gate rule, in a family (`gate.durations`) or a series override.
    static let ruleKeys: Set<String> = [
        "statistics", "min_change_pct", "min_change_abs", "min_z", "warning_change_pct",
        "min_spread_pct", "min_tail_samples",
    ]

    func rule(_ node: Node, _ path: String, _ base: Config.GateRule) throws
        -> Config.GateRule
    {
        let map = try mapping(node, path)
        try allow(map, Self.ruleKeys, at: path)
        return try patch(map, path).applied(to: base)
    }

    func override(_ node: Node, _ path: String) throws -> Config.SeriesOverride {
        let map = try mapping(node, path)
        try allow(map, Self.ruleKeys.union(["gate", "direction"]), at: path)
        var result = Config.SeriesOverride()
        if let value = map["gate"] { result.gate = try bool(value, "\(path).gate") }
        if let value = map["direction"] {
            let text = try string(value, "\(path).direction")
            guard let direction = Direction(rawValue: text) else {
                throw fail(
                    "\(path).direction",
                    "expected lower_is_better, higher_is_better or neutral")
            }
            result.direction = direction
        }
        result.rule = try patch(map, path)
        return result
    }

    /// The gate settings a mapping gives.
    private func patch(_ map: Node.Mapping, _ path: String) throws -> Config.GateRulePatch {
        var patch = Config.GateRulePatch()
        if let value = map["statistics"] {
            patch.statistics = try strings(value, "\(path).statistics")
        }
        if let value = map["min_change_pct"] {
            patch.minChangePct = try double(value, "\(path).min_change_pct")
        }
        if let value = map["min_change_abs"] {
            patch.minChangeAbs = try double(value, "\(path).min_change_abs")
        }
        if let value = map["min_z"] { patch.minZ = try double(value, "\(path).min_z") }
        if let value = map["warning_change_pct"] {
            patch.warningChangePct = try double(value, "\(path).warning_change_pct")
        }
        if let value = map["min_spread_pct"] {
            patch.minSpreadPct = try double(value, "\(path).min_spread_pct")
        }
        if let value = map["min_tail_samples"] {
            patch.minTailSamples = try double(value, "\(path).min_tail_samples")
        }
        return patch
    }

    func objective(_ node: Node, _ path: String) throws -> SLODefinition {
        let map = try mapping(node, path)
        try allow(
            map,
            [
                "name", "title", "series", "statistic", "comparator", "target", "warning", "unit",
                "priority", "weight", "relative", "relative_warning", "recommendation", "scale",
            ], at: path)
        func required(_ key: String) throws -> Node {
            guard let value = map[key] else { throw fail("\(path).\(key)", "missing") }
            return value
        }
        let comparatorText = try string(try required("comparator"), "\(path).comparator")
        guard let comparator = SLOComparator(rawValue: comparatorText) else {
            throw fail("\(path).comparator", "expected <, <=, > or >=")
        }
        let priorityText = try string(try required("priority"), "\(path).priority")
        guard let priority = SLOPriority(rawValue: priorityText) else {
            throw fail("\(path).priority", "expected P0, P1 or P2")
        }
        var definition = SLODefinition(
            name: try string(try required("name"), "\(path).name"),
            title: try map["title"].map { try string($0, "\(path).title") },
            series: try string(try required("series"), "\(path).series"),
            statistic: try string(try required("statistic"), "\(path).statistic"),
            comparator: comparator,
            target: try double(try required("target"), "\(path).target"),
            warning: try map["warning"].map { try double($0, "\(path).warning") },
            unit: try map["unit"].map { try string($0, "\(path).unit") },
            priority: priority,
            weight: try map["weight"].map { try double($0, "\(path).weight") } ?? 1,
            recommendation: try map["recommendation"].map {
                try string($0, "\(path).recommendation")
            })
        if let scale = map["scale"] { definition.scale = try double(scale, "\(path).scale") }
        if let relative = map["relative"] {
            definition.relative = try RelativeCriterion(
                parsing: try string(relative, "\(path).relative")
            )
            .orThrow(fail("\(path).relative", "expected a criterion like <=+10% or >=-5%"))
        }
        if let relative = map["relative_warning"] {
            definition.relativeWarning = try RelativeCriterion(
                parsing: try string(relative, "\(path).relative_warning")
            ).orThrow(fail("\(path).relative_warning", "expected a criterion like <=+20%"))
        }
        return definition
    }
}

extension Optional {
    fileprivate func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
