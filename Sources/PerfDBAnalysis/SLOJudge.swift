import Foundation
import PerfDBModel

/// `perfdb slo check` and `perfdb slo trend`: SLOs evaluated on stored load runs.
public struct SLOJudge: Sendable {
    public let config: Config

    /// Creates the judge of a configuration.
    public init(config: Config) {
        self.config = config
    }

    /// Evaluates the configured SLOs on the run of `inputs`; relative criteria against its
    /// baseline (the same baseline `check` judges against).
    public func check(_ inputs: CheckInputs) -> SLOEvaluationValue {
        let choice = BaselineChoice(inputs.baseline)
        let runValues = inputs.run.id.flatMap { inputs.values[$0] } ?? [:]
        let policy = GatePolicy(config: config)
        return SLOEvaluator.evaluate(
            config.slos(for: inputs.run.scenario, values: runValues), config: config,
            value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
            baseline: { series, statistic in
                Baseline.centre(
                    SeriesStatistic(series: series, statistic: statistic),
                    rule: inputs.series[series].flatMap(policy.rule(for:)), choice: choice,
                    values: inputs.values, config: config)
            })
    }

    /// Each run of `inputs` with its SLO statuses (absolute criteria), oldest first.
    public func trend(_ inputs: RunsInputs) -> SLOTrend {
        var absolute = config
        absolute.slos = config.slos(for: inputs.scope.scenario).map { definition in
            var copy = definition
            copy.relative = nil
            copy.relativeWarning = nil
            return copy
        }
        let rows = inputs.runs.map { run -> (RunRecord, SLOEvaluationValue) in
            let runValues = run.id.flatMap { inputs.values[$0] } ?? [:]
            return (
                run,
                SLOEvaluator.evaluate(
                    absolute.slos, config: absolute,
                    value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
                    baseline: { _, _ in nil })
            )
        }
        return SLOTrend(scope: inputs.scope, definitions: absolute.slos, rows: rows)
    }
}

/// SLO compliance over time.
public struct SLOTrend: Sendable {
    public var scope: Scope
    public var definitions: [SLODefinition]
    public var rows: [(run: RunRecord, evaluation: SLOEvaluationValue)]

    /// The share of runs (percent) in which `name` passed.
    public func compliance(_ name: String) -> Double? {
        let statuses = rows.compactMap { row in
            row.evaluation.results.first { $0.name == name }?.status
        }
        guard !statuses.isEmpty else { return nil }
        return 100 * Double(statuses.filter { $0 == .pass }.count) / Double(statuses.count)
    }
}
