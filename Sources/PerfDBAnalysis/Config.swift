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
    /// True when the configuration file set `base_branch`.
    public var baseBranchConfigured = false
    /// The file the configuration was read from; nil for the built-in defaults.
    public var source: String?
    /// How many valid runs the automatic baseline takes (their median).
    public var baselineWindow = 10
    /// Fewer baseline runs than this is not enough to judge.
    public var minBaselineRuns = 5
    /// From this many baseline runs on a series is judged against its own run-to-run noise;
    /// before, the rule's `min_spread_pct` floors the noise.
    public var noiseRuns = 8
    /// A shift past the warning threshold in this many runs in a row at least (the run judged
    /// included) is a regression when their mean change stands out of the noise: a sustained
    /// change, not one noisy run.
    public var confirmRuns = 2
    /// The gate's rules per metric family.
    public var durations = GateRule(
        statistics: ["avg", "med", "p90", "p95", "p99"], minChangePct: 10, minChangeAbs: 1,
        minZ: 3.72, warningChangePct: 3, minSpreadPct: 10, minTailSamples: 10)
    public var rates = GateRule(
        statistics: ["rate"], minChangePct: nil, minChangeAbs: 0.01, minZ: 3.72,
        warningChangePct: nil, minSpreadPct: nil, minTailSamples: nil)
    public var throughput = GateRule(
        statistics: ["rate"], minChangePct: 10, minChangeAbs: nil, minZ: 3.72, warningChangePct: 5,
        minSpreadPct: 5, minTailSamples: nil)
    /// Per-series (or per-metric) overrides, keyed by k6 notation or metric name.
    public var series: [String: SeriesOverride] = [:]
    /// Change-point detection.
    public var changePoints = ChangePointDetector()
    /// Drift: how many recent runs, how many for the slope, and the tolerances.
    public var drift = DriftSettings()
    /// The SLOs `slo check` and `check` evaluate.
    public var slos: [SLODefinition] = SLODefinition.defaults
    /// True when perfdb.yml names the SLOs (`slo.objectives`): a configured SLO whose series
    /// the run lacks fails; a built-in one is left out.
    public var slosConfigured = false
    /// The SLOs of a scenario, in place of `slos` (`slo.scenarios` in perfdb.yml).
    public var scenarioSLOs: [String: [SLODefinition]] = [:]
    /// Chaos targets by experiment name or family (`chaos.targets`).
    public var chaosTargets: [String: ChaosTarget] = [:]
    /// Budgets of the load runs under a fault, by experiment name or family (`chaos.budgets`).
    public var chaosBudgets: [String: ChaosBudget] = [:]
    /// Weighted-score cut-offs of an SLO evaluation.
    public var sloPassScore = 0.9
    public var sloWarningScore = 0.75
    /// Types of metrics whose raw stream does not say them (k6's CSV), by metric name.
    public var metricTypes: [String: MetricType] = [:]

    /// The defaults.
    public init() {}

    /// The SLOs a run of `scenario` is held to.
    public func slos(for scenario: String?) -> [SLODefinition] {
        scenario.flatMap { scenarioSLOs[$0] } ?? slos
    }

    /// The SLOs a run of `scenario` with `values` is held to: a built-in SLO whose series the
    /// run does not have (k6's default summary has no p99) is left out rather than failed.
    public func slos(for scenario: String?, values: [SeriesStatistic: Double])
        -> [SLODefinition]
    {
        let chosen = slos(for: scenario)
        guard !slosConfigured, scenario.flatMap({ scenarioSLOs[$0] }) == nil else { return chosen }
        return chosen.filter {
            values[SeriesStatistic(series: $0.series, statistic: $0.statistic)] != nil
        }
    }

    /// What a chaos experiment must reach; nil figures have no target.
    public struct ChaosTarget: Sendable, Equatable {
        public var mttrS: Double?
        public var availabilityPct: Double?
        public var errorRatePct: Double?

        /// Creates a target.
        public init(
            mttrS: Double? = nil, availabilityPct: Double? = nil, errorRatePct: Double? = nil
        ) {
            self.mttrS = mttrS
            self.availabilityPct = availabilityPct
            self.errorRatePct = errorRatePct
        }
    }

    /// How much a fault may degrade the load runs made under it; nil figures have no budget.
    public struct ChaosBudget: Sendable, Equatable {
        /// p95 and p99 of `http_req_duration` under the fault, as a multiple of the normal ones.
        public var p95Ratio: Double?
        public var p99Ratio: Double?
        /// The error rate under the fault, in percent.
        public var errorRatePct: Double?
        /// How far throughput may fall under the fault, in percent of the normal throughput.
        public var throughputDropPct: Double?
        /// How long p95 or errors may stay outside the normal band (raw streams).
        public var degradedS: Double?

        /// The error-rate budget when perfdb.yml names none: the same 5 % as the experiments'
        /// own error-rate target.
        public static let defaultErrorRatePct = 5.0

        /// Creates a budget.
        public init(
            p95Ratio: Double? = nil, p99Ratio: Double? = nil, errorRatePct: Double? = nil,
            throughputDropPct: Double? = nil, degradedS: Double? = nil
        ) {
            self.p95Ratio = p95Ratio
            self.p99Ratio = p99Ratio
            self.errorRatePct = errorRatePct
            self.throughputDropPct = throughputDropPct
            self.degradedS = degradedS
        }
    }

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
        /// The false-alarm rate of a run, as a one-sided normal quantile (3.72: 10⁻⁴): the gate
        /// turns it into the z a change must reach for the noise's runs, the centre and the
        /// number of series judged.
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
        if FileManager.default.fileExists(atPath: implicit) {
            // Named as the user knows it: the file in the working directory.
            var config = try load(path: implicit)
            config.source = "./perfdb.yml"
            return config
        }
        return Config()
    }

    /// Parses YAML text: every key is checked against the keys perfdb.yml has (nested ones
    /// too), then the text is decoded; a mistake names the key and its line.
    public static func parse(_ text: String, file: String) throws -> Config {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw PerfDBError(.badInput, "\(file): not valid YAML: \(error)")
        }
        guard let node else { return Config() }
        let keys = ConfigKeys(file: file, root: node)
        try keys.check(node, against: ConfigKeys.shape, at: [])
        let decoded: ConfigFile
        do {
            decoded = try YAMLDecoder().decode(ConfigFile.self, from: node)
        } catch let error as DecodingError {
            throw keys.fail(error)
        }
        var config = try decoded.applied(to: Config(), keys)
        config.source = file
        return config
    }

    /// Sets the base branch: a pull request's target first, then the file's `base_branch`, then
    /// the repository's default branch, then `main`.
    public mutating func chooseBaseBranch(pullRequestTarget: String?, defaultBranch: String?) {
        if let pullRequestTarget {
            baseBranch = pullRequestTarget
        } else if !baseBranchConfigured, let defaultBranch {
            baseBranch = defaultBranch
        }
    }
}
