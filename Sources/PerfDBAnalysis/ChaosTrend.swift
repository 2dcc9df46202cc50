import Foundation
import PerfDBModel

/// One resilience figure of an experiment over time, judged like a load metric.
public struct ChaosFigureTrend: Sendable {
    /// `mttr_s`, `availability_pct` or `error_rate_pct`.
    public var figure: String
    public var values: [(run: RunRecord, value: Double)]
    /// The target the newest value is held to, and whether it meets it.
    public var target: Double?
    public var meetsTarget: Bool?
    /// The newest run against the runs before it.
    public var verdict: SeriesVerdict?
    public var slopePctPerWeek: Double?
}

/// The trend of one experiment (by name): MTTR, availability and error rate.
public struct ChaosTrendReport: Sendable {
    public var name: String
    public var family: ChaosFamily?
    public var faultType: FaultType?
    public var entries: [ChaosEntry]
    public var figures: [ChaosFigureTrend]

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
    public func build(_ entries: [ChaosEntry]) -> [ChaosTrendReport] {
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
            return ChaosTrendReport(
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
        }
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
        var verdict: SeriesVerdict?
        if let newest = values.last {
            let before = values.dropLast().filter { $0.0.status != .aborted }
                .suffix(config.baselineWindow)
            verdict = Gate(config: config).judge(
                SeriesStatistic(series: name, statistic: "value"),
                unit: name == "mttr_s" ? "s" : "%", rule: rule, value: newest.1,
                baseline: before.compactMap { run, value in run.id.map { ($0, value) } },
                needed: config.minBaselineRuns, spreadless: false)
        }
        let meets = values.last.flatMap { _, value in
            target.map { direction == .lowerIsBetter ? value < $0 : value > $0 }
        }
        return ChaosFigureTrend(
            figure: name, values: values, target: target, meetsTarget: meets, verdict: verdict,
            slopePctPerWeek: Trend.slopePctPerWeek(values))
    }
}
