import Foundation
import PerfDBModel
import Yams

/// perfdb.yml as written: every key optional, names as in the file.
///
/// Decoded by Yams once its keys are checked (``ConfigKeys``), then laid over the defaults
/// (``applied(to:_:)``).
struct ConfigFile: Decodable {
    var baseBranch: String?
    var baseline: Baseline?
    var gate: Gate?
    var series: [String: Override]?
    var changePoints: ChangePoints?
    var drift: Drift?
    var slo: SLO?
    var ingest: Ingest?
    var chaos: Chaos?

    private enum CodingKeys: String, CodingKey {
        case baseBranch = "base_branch", baseline, gate, series
        case changePoints = "change_points", drift, slo, ingest, chaos
    }

    struct Chaos: Decodable {
        var targets: [String: Target]?
        var budgets: [String: Budget]?

        struct Budget: Decodable {
            var p95Ratio: Double?
            var p99Ratio: Double?
            var errorRatePct: Double?
            var throughputDropPct: Double?
            var degradedS: Double?

            private enum CodingKeys: String, CodingKey {
                case p95Ratio = "p95_ratio", p99Ratio = "p99_ratio"
                case errorRatePct = "error_rate_pct", throughputDropPct = "throughput_drop_pct"
                case degradedS = "degraded_s"
            }
        }

        struct Target: Decodable {
            var mttrS: Double?
            var availabilityPct: Double?
            var errorRatePct: Double?

            private enum CodingKeys: String, CodingKey {
                case mttrS = "mttr_s", availabilityPct = "availability_pct"
                case errorRatePct = "error_rate_pct"
            }
        }
    }

    struct Baseline: Decodable {
        var window: Int?
        var minRuns: Int?
        var noiseRuns: Int?

        private enum CodingKeys: String, CodingKey {
            case window, minRuns = "min_runs", noiseRuns = "noise_runs"
        }
    }

    struct Gate: Decodable {
        var durations: Rule?
        var rates: Rule?
        var throughput: Rule?
        var confirmRuns: Int?

        private enum CodingKeys: String, CodingKey {
            case durations, rates, throughput, confirmRuns = "confirm_runs"
        }
    }

    struct Rule: Decodable {
        var statistics: [String]?
        var minChangePct: Double?
        var minChangeAbs: Double?
        var minZ: Double?
        var warningChangePct: Double?
        var minSpreadPct: Double?
        var minTailSamples: Double?

        private enum CodingKeys: String, CodingKey {
            case statistics, minChangePct = "min_change_pct", minChangeAbs = "min_change_abs"
            case minZ = "min_z", warningChangePct = "warning_change_pct"
            case minSpreadPct = "min_spread_pct", minTailSamples = "min_tail_samples"
        }

        var patch: Config.GateRulePatch {
            Config.GateRulePatch(
                statistics: statistics, minChangePct: minChangePct, minChangeAbs: minChangeAbs,
                minZ: minZ, warningChangePct: warningChangePct, minSpreadPct: minSpreadPct,
                minTailSamples: minTailSamples)
        }
    }

    struct Override: Decodable {
        var gate: Bool?
        var direction: Direction?
        var rule: Rule

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            gate = try container.decodeIfPresent(Bool.self, forKey: .gate)
            direction = try container.decodeIfPresent(Direction.self, forKey: .direction)
            rule = try Rule(from: decoder)
        }

        private enum CodingKeys: String, CodingKey {
            case gate, direction
        }
    }

    struct ChangePoints: Decodable {
        var maxPvalue: Double?
        var window: Int?
        var minMagnitude: Double?

        private enum CodingKeys: String, CodingKey {
            case maxPvalue = "max_pvalue", window, minMagnitude = "min_magnitude"
        }
    }

    struct Drift: Decodable {
        var recentRuns: Int?
        var slopeRuns: Int?
        var maxDriftPct: Double?
        var maxSlopePctPerWeek: Double?

        private enum CodingKeys: String, CodingKey {
            case recentRuns = "recent_runs", slopeRuns = "slope_runs"
            case maxDriftPct = "max_drift_pct", maxSlopePctPerWeek = "max_slope_pct_per_week"
        }
    }

    struct SLO: Decodable {
        var passScore: Double?
        var warningScore: Double?
        var objectives: [Objective]?
        var scenarios: [String: Scenario]?

        private enum CodingKeys: String, CodingKey {
            case passScore = "pass_score", warningScore = "warning_score", objectives, scenarios
        }

        /// The SLOs of one scenario, in place of `objectives`.
        struct Scenario: Decodable {
            var objectives: [Objective]
        }
    }

    struct Objective: Decodable {
        var name: String
        var title: String?
        var series: String
        var statistic: String
        var comparator: SLOComparator
        var target: Double
        var warning: Double?
        var unit: String?
        var priority: SLOPriority
        var weight: Double?
        var relative: String?
        var relativeWarning: String?
        var recommendation: String?
        var scale: Double?

        private enum CodingKeys: String, CodingKey {
            case name, title, series, statistic, comparator, target, warning, unit, priority
            case weight, relative, relativeWarning = "relative_warning", recommendation, scale
        }
    }

    struct Ingest: Decodable {
        var metricTypes: [String: MetricType]?

        private enum CodingKeys: String, CodingKey {
            case metricTypes = "metric_types"
        }
    }

    /// The defaults with what the file sets; values out of range are refused by key.
    func applied(to defaults: Config, _ keys: ConfigKeys) throws -> Config {
        var config = defaults
        if let baseBranch {
            config.baseBranch = baseBranch
            config.baseBranchConfigured = true
        }
        if let window = baseline?.window {
            config.baselineWindow = try keys.atLeast(1, window, "baseline.window")
        }
        if let minRuns = baseline?.minRuns {
            config.minBaselineRuns = try keys.atLeast(1, minRuns, "baseline.min_runs")
        }
        if let runs = gate?.confirmRuns {
            config.confirmRuns = try keys.atLeast(2, runs, "gate.confirm_runs")
        }
        if let runs = baseline?.noiseRuns {
            config.noiseRuns = try keys.atLeast(3, runs, "baseline.noise_runs")
        }
        if let rule = gate?.durations {
            config.durations = rule.patch.applied(to: config.durations)
        }
        if let rule = gate?.rates { config.rates = rule.patch.applied(to: config.rates) }
        if let rule = gate?.throughput {
            config.throughput = rule.patch.applied(to: config.throughput)
        }
        for (name, override) in series ?? [:] {
            config.series[name] = Config.SeriesOverride(
                gate: override.gate, direction: override.direction, rule: override.rule.patch)
        }
        if let value = changePoints?.maxPvalue {
            config.changePoints.maxPValue = try keys.within(
                0...1, value, "change_points.max_pvalue")
        }
        if let value = changePoints?.window {
            config.changePoints.window = try keys.atLeast(4, value, "change_points.window")
        }
        if let value = changePoints?.minMagnitude {
            config.changePoints.minMagnitude = try keys.within(
                0...100, value, "change_points.min_magnitude")
        }
        if let value = drift?.recentRuns {
            config.drift.recentRuns = try keys.atLeast(1, value, "drift.recent_runs")
        }
        if let value = drift?.slopeRuns {
            config.drift.slopeRuns = try keys.atLeast(3, value, "drift.slope_runs")
        }
        if let value = drift?.maxDriftPct { config.drift.maxDriftPct = value }
        if let value = drift?.maxSlopePctPerWeek { config.drift.maxSlopePctPerWeek = value }
        if let value = slo?.passScore {
            config.sloPassScore = try keys.within(0...1, value, "slo.pass_score")
        }
        if let value = slo?.warningScore {
            config.sloWarningScore = try keys.within(0...1, value, "slo.warning_score")
        }
        if let objectives = slo?.objectives {
            config.slos = try Self.definitions(objectives, keys, path: "slo.objectives")
            config.slosConfigured = true
        }
        for (scenario, entry) in slo?.scenarios ?? [:] {
            config.scenarioSLOs[scenario] = try Self.definitions(
                entry.objectives, keys, path: "slo.scenarios.\(scenario).objectives")
        }
        for (name, target) in chaos?.targets ?? [:] {
            config.chaosTargets[name] = Config.ChaosTarget(
                mttrS: target.mttrS, availabilityPct: target.availabilityPct,
                errorRatePct: target.errorRatePct)
        }
        for (name, budget) in chaos?.budgets ?? [:] {
            let path = "chaos.budgets.\(name)"
            func positive(_ value: Double?, _ key: String) throws -> Double? {
                try value.map { try keys.positive($0, "\(path).\(key)") }
            }
            config.chaosBudgets[name] = Config.ChaosBudget(
                p95Ratio: try positive(budget.p95Ratio, "p95_ratio"),
                p99Ratio: try positive(budget.p99Ratio, "p99_ratio"),
                errorRatePct: try budget.errorRatePct.map {
                    try keys.within(0...100, $0, "\(path).error_rate_pct")
                },
                throughputDropPct: try budget.throughputDropPct.map {
                    try keys.within(0...100, $0, "\(path).throughput_drop_pct")
                },
                degradedS: try positive(budget.degradedS, "degraded_s"))
        }
        config.metricTypes = ingest?.metricTypes ?? [:]
        return config
    }
}

extension ConfigFile {
    /// The SLOs a list of objectives defines; two of one name are refused.
    static func definitions(_ objectives: [Objective], _ keys: ConfigKeys, path: String) throws
        -> [SLODefinition]
    {
        let definitions = try objectives.enumerated().map { index, objective in
            try objective.definition(keys, path: "\(path)[\(index)]")
        }
        let names = definitions.map(\.name)
        if Set(names).count != names.count {
            throw keys.fail(path, "two objectives have the same name")
        }
        return definitions
    }
}

extension ConfigFile.Objective {
    /// The SLO the objective defines.
    func definition(_ keys: ConfigKeys, path: String) throws -> SLODefinition {
        var definition = SLODefinition(
            name: name, title: title, series: series, statistic: statistic,
            comparator: comparator, target: target, warning: warning, unit: unit,
            priority: priority, weight: weight ?? 1, recommendation: recommendation)
        if let scale { definition.scale = scale }
        if let relative {
            guard let criterion = RelativeCriterion(parsing: relative) else {
                throw keys.fail("\(path).relative", "expected a criterion like <=+10% or >=-5%")
            }
            definition.relative = criterion
        }
        if let relativeWarning {
            guard let criterion = RelativeCriterion(parsing: relativeWarning) else {
                throw keys.fail("\(path).relative_warning", "expected a criterion like <=+20%")
            }
            definition.relativeWarning = criterion
        }
        return definition
    }
}

/// The keys perfdb.yml may have, checked before decoding so that a misspelt key is an error
/// naming it, and errors that name a key and the line it is on.
struct ConfigKeys {
    let file: String
    let root: Node

    /// Which keys a node may have.
    indirect enum Shape: Sendable {
        /// A value (its type is the decoder's business).
        case value
        /// A mapping with these keys.
        case keys([String: Shape])
        /// A mapping whose keys are names (series, metrics) and whose values have one shape.
        case named(Shape)
        /// A list of one shape.
        case list(Shape)
    }

    private static let rule: [String: Shape] = [
        "statistics": .value, "min_change_pct": .value, "min_change_abs": .value, "min_z": .value,
        "warning_change_pct": .value, "min_spread_pct": .value, "min_tail_samples": .value,
    ]

    private static let objective = Shape.keys([
        "name": .value, "title": .value, "series": .value, "statistic": .value,
        "comparator": .value, "target": .value, "warning": .value, "unit": .value,
        "priority": .value, "weight": .value, "relative": .value, "relative_warning": .value,
        "recommendation": .value, "scale": .value,
    ])

    /// Every key of perfdb.yml.
    static let shape = Shape.keys([
        "base_branch": .value,
        "baseline": .keys(["window": .value, "min_runs": .value, "noise_runs": .value]),
        "gate": .keys([
            "durations": .keys(rule), "rates": .keys(rule), "throughput": .keys(rule),
            "confirm_runs": .value,
        ]),
        "series": .named(.keys(rule.merging(["gate": .value, "direction": .value]) { a, _ in a })),
        "change_points": .keys(["max_pvalue": .value, "window": .value, "min_magnitude": .value]),
        "drift": .keys([
            "recent_runs": .value, "slope_runs": .value, "max_drift_pct": .value,
            "max_slope_pct_per_week": .value,
        ]),
        "slo": .keys([
            "pass_score": .value, "warning_score": .value, "objectives": .list(objective),
            "scenarios": .named(.keys(["objectives": .list(objective)])),
        ]),
        "chaos": .keys([
            "targets": .named(
                .keys(["mttr_s": .value, "availability_pct": .value, "error_rate_pct": .value])),
            "budgets": .named(
                .keys([
                    "p95_ratio": .value, "p99_ratio": .value, "error_rate_pct": .value,
                    "throughput_drop_pct": .value, "degraded_s": .value,
                ])),
        ]),
        "ingest": .keys(["metric_types": .named(.value)]),
    ])

    /// Checks `node` and everything under it against `shape`.
    func check(_ node: Node, against shape: Shape, at path: [String]) throws {
        switch shape {
        case .value:
            return
        case .keys(let keys):
            guard case .mapping(let mapping) = node else {
                throw fail(node, path, "expected a mapping")
            }
            for (keyNode, value) in mapping {
                let name = keyNode.string ?? "\(keyNode)"
                guard let inner = keys[name] else {
                    throw fail(
                        keyNode, path + [name],
                        "unknown key (expected one of \(keys.keys.sorted().joined(separator: ", ")))"
                    )
                }
                try check(value, against: inner, at: path + [name])
            }
        case .named(let inner):
            guard case .mapping(let mapping) = node else {
                throw fail(node, path, "expected a mapping")
            }
            for (keyNode, value) in mapping {
                try check(value, against: inner, at: path + [keyNode.string ?? "\(keyNode)"])
            }
        case .list(let inner):
            guard case .sequence(let items) = node else {
                throw fail(node, path, "expected a list")
            }
            for (index, item) in items.enumerated() {
                var indexed = path
                indexed[indexed.count - 1] += "[\(index)]"
                try check(item, against: inner, at: indexed)
            }
        }
    }

    /// An error naming the key at `path` and its line.
    func fail(_ node: Node?, _ path: [String], _ problem: String) -> PerfDBError {
        let key = path.isEmpty ? "(top level)" : path.joined(separator: ".")
        let line = node?.mark.map { "line \($0.line): " } ?? ""
        return PerfDBError(.badInput, "\(file): \(line)key \(key): \(problem)")
    }

    /// An error naming a dotted key (`slo.objectives[0].relative`) and the line it is on.
    func fail(_ key: String, _ problem: String) -> PerfDBError {
        let path = key.split(separator: ".").map(String.init)
        return fail(lookup(path), path, problem)
    }

    /// A decoding error as one that names the key and its line.
    func fail(_ error: DecodingError) -> PerfDBError {
        let (context, problem): (DecodingError.Context, String) =
            switch error {
            case .typeMismatch(let type, let context): (context, "expected \(Self.describe(type))")
            case .valueNotFound(let type, let context): (context, "expected \(Self.describe(type))")
            case .keyNotFound(let key, let context):
                (
                    DecodingError.Context(
                        codingPath: context.codingPath + [key], debugDescription: ""), "missing"
                )
            case .dataCorrupted(let context): (context, Self.corruption(context))
            @unknown default:
                (DecodingError.Context(codingPath: [], debugDescription: ""), "\(error)")
            }
        var path: [String] = []
        for key in context.codingPath {
            if let index = key.intValue, !path.isEmpty {
                path[path.count - 1] += "[\(index)]"
            } else {
                path.append(key.stringValue)
            }
        }
        return fail(lookup(path), path, problem)
    }

    /// What a value of `type` is, for messages.
    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "a value of the right kind"
        }
    }

    /// The problem of a value no type accepts: an enum's allowed values.
    private static func corruption(_ context: DecodingError.Context) -> String {
        let description = context.debugDescription
        for (type, allowed) in [
            ("Direction", Direction.allCases.map(\.rawValue)),
            ("SLOComparator", SLOComparator.allCases.map(\.rawValue)),
            ("SLOPriority", SLOPriority.allCases.map(\.rawValue)),
            ("MetricType", MetricType.allCases.map(\.rawValue)),
        ] where description.contains(type) {
            return "expected one of \(allowed.joined(separator: ", "))"
        }
        return "expected a number"
    }

    /// The node at a dotted path, for its line.
    private func lookup(_ path: [String]) -> Node? {
        var node: Node? = root
        for component in path {
            var name = component
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"),
                let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)])
            {
                indices.insert(index, at: 0)
                name = String(name[..<open])
            }
            node = node?[name]
            for index in indices {
                guard case .sequence(let items)? = node, items.indices.contains(index) else {
                    return node
                }
                node = items[index]
            }
        }
        return node
    }

    /// `value` when it is at least `minimum`, else an error naming `key`.
    func atLeast(_ minimum: Int, _ value: Int, _ key: String) throws -> Int {
        guard value >= minimum else {
            throw fail(key, "expected a whole number of at least \(minimum)")
        }
        return value
    }

    /// `value` when it lies in `range`, else an error naming `key`.
    func within(_ range: ClosedRange<Double>, _ value: Double, _ key: String) throws -> Double {
        guard range.contains(value) else {
            throw fail(key, "\(value) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// `value` when it is a finite number above zero, else an error naming `key`.
    func positive(_ value: Double, _ key: String) throws -> Double {
        guard value > 0, value.isFinite else { throw fail(key, "expected a number above 0") }
        return value
    }
}
