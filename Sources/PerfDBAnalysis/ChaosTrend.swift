import Foundation
import PerfDBModel

/// One resilience figure of an experiment over time, judged like a load metric.
public struct ChaosFigureTrend: Sendable {
    /// `mttr_s`, `availability_pct`, `error_rate_pct`, or a figure of the load runs under the
    /// fault (`load_p95_ratio`, …).
    public var figure: String
    public var values: [(run: RunRecord, value: Double)]
    /// The target (or budget) the newest value is held to, and whether it meets it.
    public var target: Double?
    public var meetsTarget: Bool?
    /// The side of its target the figure must stay on: `<`, `>`, or `≤` for a budget.
    public var comparator: String
    /// The newest run against the runs before it.
    public var verdict: SeriesVerdict?
    /// When the newest run regressed: the first run of the streak of regressed runs it ends,
    /// where the figure moved.
    public var regressedSince: RunRecord?
    public var slopePctPerWeek: Double?
}

/// The trend of one experiment (by name): MTTR, availability and error rate.
public struct ChaosTrendReport: Sendable {
    public var name: String
    public var family: ChaosFamily?
    public var faultType: FaultType?
    public var entries: [ChaosEntry]
    public var figures: [ChaosFigureTrend]
    /// The experiment's runs that had load runs under them, oldest first, each with its impact.
    public var impacts: [ChaosImpactReport] = []

    /// The figures whose newest value missed its target.
    public var missedTargets: [ChaosFigureTrend] { figures.filter { $0.meetsTarget == false } }
    /// The figures whose newest value regressed from the runs before it.
    public var regressions: [ChaosFigureTrend] {
        figures.filter { $0.verdict?.verdict == .regression }
    }
}

extension [ChaosTrendReport] {
    /// The exit code of `chaos trend`: 2 when a newest run regressed or missed a target.
    public var exitCode: Int32 {
        contains { !$0.missedTargets.isEmpty || !$0.regressions.isEmpty } ? 2 : 0
    }
}

/// `perfdb chaos trend`: each experiment's resilience figures over its runs.
public struct ChaosTrends: Sendable {
    public let config: Config

    /// Targets when neither the experiment nor perfdb.yml (`chaos.targets`, by experiment name
    /// or family) names one: availability > 95 %, error rate < 5 %; MTTR has none.
    public static let defaultAvailabilityTarget = 95.0
    public static let defaultErrorRateTarget = 5.0

    /// Creates the analysis of a configuration.
    public init(config: Config) {
        self.config = config
    }

    /// One report per experiment name, in the order each first ran; `entries` oldest first.
    ///
    /// `impacts`, the experiments' runs with load runs under them, add the load's figures under
    /// the fault, judged the same way and held to `chaos.budgets`.
    public func build(_ entries: [ChaosEntry], impacts: [ChaosImpactReport] = [])
        -> [ChaosTrendReport]
    {
        let names = entries.map(\.experiment.name).reduce(into: [String]()) { names, name in
            if !names.contains(name) { names.append(name) }
        }
        return names.map { experimentName in
            let mine = entries.filter { $0.experiment.name == experimentName }
            let latest = mine.last?.experiment
            let configured =
                config.chaosTargets[experimentName]
                ?? latest?.family.flatMap { config.chaosTargets[$0.rawValue] }
            let mttrTarget = latest?.mttrTargetS ?? configured?.mttrS
            let underLoad = impacts.filter { $0.experiment.name == experimentName }
                .sorted {
                    ($0.chaosRun.startedAt, $0.chaosRun.id ?? 0) < (
                        $1.chaosRun.startedAt, $1.chaosRun.id ?? 0
                    )
                }
            var report = ChaosTrendReport(
                name: experimentName, family: latest?.family, faultType: latest?.faultType,
                entries: mine,
                figures: [
                    figure(
                        "mttr_s", mine, \.mttrS, direction: .lowerIsBetter, target: mttrTarget,
                        minChangePct: 20, minChangeAbs: 1),
                    figure(
                        "availability_pct", mine, \.availabilityPct, direction: .higherIsBetter,
                        target: latest?.availabilityTargetPct ?? configured?.availabilityPct
                            ?? Self.defaultAvailabilityTarget,
                        minChangePct: nil, minChangeAbs: 1),
                    figure(
                        "error_rate_pct", mine, \.errorRatePct, direction: .lowerIsBetter,
                        target: latest?.errorRateTargetPct ?? configured?.errorRatePct
                            ?? Self.defaultErrorRateTarget,
                        minChangePct: nil, minChangeAbs: 1),
                ])
            if !underLoad.isEmpty {
                report.impacts = underLoad
                report.figures += impactFigures(
                    underLoad, budget: budget(name: experimentName, family: latest?.family))
            }
            return report
        }
    }

    /// The budget of an experiment: perfdb.yml's by its name, else by its family, else none
    /// but the default error rate.
    public func budget(name: String, family: ChaosFamily?) -> Config.ChaosBudget {
        var budget =
            config.chaosBudgets[name] ?? family.flatMap { config.chaosBudgets[$0.rawValue] }
            ?? Config.ChaosBudget()
        if budget.errorRatePct == nil {
            budget.errorRatePct = Config.ChaosBudget.defaultErrorRatePct
        }
        return budget
    }

    /// The load's figures under the fault, one value per chaos run (the worst of its load runs),
    /// each judged against the earlier runs and held to its budget.
    func impactFigures(_ impacts: [ChaosImpactReport], budget: Config.ChaosBudget)
        -> [ChaosFigureTrend]
    {
        func series(_ figure: KeyPath<ChaosImpactReport.Worst, Double?>)
            -> [(run: RunRecord, value: Double)]
        {
            impacts.compactMap { impact in
                impact.worst[keyPath: figure].map { (impact.chaosRun, $0) }
            }
        }
        func rule(minChangePct: Double?, minChangeAbs: Double?) -> ResolvedRule {
            ResolvedRule(
                family: .durations, statistics: ["value"], direction: .lowerIsBetter,
                minChangePct: minChangePct, minChangeAbs: minChangeAbs,
                minZ: config.durations.minZ, warningChangePct: nil, minSpreadPct: 5,
                minTailSamples: nil)
        }
        return [
            judged(
                "load_p95_ratio", series(\.p95Ratio), unit: "×",
                rule: rule(minChangePct: 20, minChangeAbs: nil), target: budget.p95Ratio),
            judged(
                "load_p99_ratio", series(\.p99Ratio), unit: "×",
                rule: rule(minChangePct: 20, minChangeAbs: nil), target: budget.p99Ratio),
            judged(
                "load_error_rate_pct", series(\.errorRatePct), unit: "pt",
                rule: rule(minChangePct: nil, minChangeAbs: 1), target: budget.errorRatePct),
            judged(
                "load_throughput_drop_pct", series(\.throughputDropPct),
                unit: "pt", rule: rule(minChangePct: nil, minChangeAbs: 5),
                target: budget.throughputDropPct),
            judged(
                "load_degraded_s", series(\.degradedS), unit: "s",
                rule: rule(minChangePct: 20, minChangeAbs: 2), target: budget.degradedS),
        ].filter { !$0.values.isEmpty }
    }

    /// A budget's figure: its values judged run by run; the newest held to `target` (at most).
    func judged(
        _ name: String, _ values: [(run: RunRecord, value: Double)], unit: String,
        rule: ResolvedRule, target: Double?
    ) -> ChaosFigureTrend {
        var trend = Self.judged(name, values, unit: unit, rule: rule, config: config)
        trend.target = target
        trend.comparator = "≤"
        trend.meetsTarget = values.last.flatMap { _, value in target.map { value <= $0 } }
        return trend
    }

    /// A figure judged run by run: each run against up to `baseline.window` earlier runs that
    /// were not themselves regressions, so that a degradation that grew keeps failing until it
    /// is gone rather than becoming the new normal; experiments are few, so three earlier runs
    /// suffice (or `baseline.min_runs` when lower).
    static func judged(
        _ name: String, _ values: [(run: RunRecord, value: Double)], unit: String,
        rule: ResolvedRule, config: Config
    ) -> ChaosFigureTrend {
        let gate = Gate(config: config)
        let pair = SeriesStatistic(series: name, statistic: "value")
        var regressed: [Bool] = []
        var verdict: SeriesVerdict?
        for (index, (run, value)) in values.enumerated() {
            let before = values.indices.prefix(index).filter {
                !regressed[$0] && values[$0].run.status != .aborted
            }.suffix(config.baselineWindow)
            let judged = gate.judge(
                pair, unit: unit, rule: rule, value: value,
                baseline: before.compactMap { earlier in
                    values[earlier].run.id.map { ($0, values[earlier].value) }
                },
                needed: min(config.minBaselineRuns, 3), spreadless: false)
            regressed.append(judged.verdict == .regression && run.status != .aborted)
            verdict = judged
        }
        var since: RunRecord?
        if regressed.last == true {
            var first = values.count - 1
            while first > 0, regressed[first - 1] { first -= 1 }
            since = values[first].run
        }
        return ChaosFigureTrend(
            figure: name, values: values, target: nil, meetsTarget: nil, comparator: "<",
            verdict: verdict, regressedSince: since,
            slopePctPerWeek: Trend.slopePctPerWeek(values))
    }

    private func figure(
        _ name: String, _ entries: [ChaosEntry], _ path: KeyPath<ChaosExperimentRecord, Double?>,
        direction: Direction, target: Double?, minChangePct: Double?, minChangeAbs: Double?
    ) -> ChaosFigureTrend {
        // An aborted or interrupted experiment measured no recovery: it has no figures.
        let values = entries.filter { $0.experiment.outcome != .aborted }.compactMap { entry in
            entry.experiment[keyPath: path].map { (entry.run, $0) }
        }
        let rule = ResolvedRule(
            family: .durations, statistics: [name], direction: direction,
            minChangePct: minChangePct, minChangeAbs: minChangeAbs, minZ: config.durations.minZ,
            warningChangePct: nil, minSpreadPct: 5, minTailSamples: nil)
        var trend = Self.judged(
            name, values, unit: name == "mttr_s" ? "s" : "%", rule: rule, config: config)
        trend.target = target
        trend.comparator = direction == .lowerIsBetter ? "<" : ">"
        trend.meetsTarget = values.last.flatMap { _, value in
            target.map { direction == .lowerIsBetter ? value < $0 : value > $0 }
        }
        return trend
    }
}
