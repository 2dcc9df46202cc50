import Foundation
import GRDB

/// `perfdb slo check` and `perfdb slo trend`: SLOs evaluated on stored load runs.
public struct SLOService: Sendable {
    public let warehouse: Warehouse
    public let config: Config

    /// Creates the service.
    public init(warehouse: Warehouse, config: Config) {
        self.warehouse = warehouse
        self.config = config
    }

    /// Evaluates the configured SLOs on a load run (relative criteria against its baseline),
    /// and stores the evaluation unless `store` is false.
    public func check(_ reference: RunReference, store: Bool = true, now: Date = Date()) throws
        -> (run: RunRecord, evaluation: SLOEvaluationValue)
    {
        let gate = RegressionGate(warehouse: warehouse, config: config)
        let (run, runID, scope) = try gate.loadRun(reference, judgedBy: "SLOs judge")
        let choice = try gate.baselineChoice(for: run, scope: scope)
        let values = try warehouse.measurements(of: [run] + choice.runs)
        let runValues = values[runID] ?? [:]
        var evaluation = SLOEvaluator.evaluate(
            config.slos, config: config,
            value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
            baseline: { series, statistic in
                let pair = SeriesStatistic(series: series, statistic: statistic)
                let column = choice.runs.compactMap { $0.id.flatMap { values[$0]?[pair] } }
                return Statistics.median(Array(column.suffix(config.baselineWindow)))
            })
        evaluation.evaluatedAt = now
        if store {
            try warehouse.write { db in
                try warehouse.insertEvaluation(
                    evaluation, runID: runID, evaluatedRunID: runID, at: now, in: db)
            }
        }
        return (run, evaluation)
    }

    /// Each of the newest `last` valid runs of `scope` with its SLO statuses (absolute
    /// criteria), oldest first.
    public func trend(scope: Scope, last: Int) throws -> SLOTrend {
        let runs = try warehouse.history(scope: scope, before: nil, limit: last)
        let values = try warehouse.measurements(of: runs)
        let rows = runs.map { run -> (RunRecord, SLOEvaluationValue) in
            let runValues = run.id.flatMap { values[$0] } ?? [:]
            var absolute = config
            absolute.slos = config.slos.map { definition in
                var copy = definition
                copy.relative = nil
                copy.relativeWarning = nil
                return copy
            }
            return (
                run,
                SLOEvaluator.evaluate(
                    absolute.slos, config: absolute,
                    value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
                    baseline: { _, _ in nil })
            )
        }
        return SLOTrend(scope: scope, definitions: config.slos, rows: rows)
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
