import Foundation
import PerfDBModel

/// A series' history for `perfdb trend`: its values run by run, the baseline in force for
/// the newest run, and the change points.
public struct TrendReport: Sendable {
    public var series: SeriesRecord
    public var statistic: String
    public var scope: Scope
    /// The runs shown, oldest first (those without a value too), by the columns a trend shows.
    public var runs: [RunIdentity]
    /// The runs with a value, oldest first.
    public var points: [TrendPoint]
    /// The baseline centre for the newest run, and how it was chosen.
    public var baseline: Double?
    public var baselineSource: BaselineSource?
    /// How far a value may stray from the baseline before the gate calls the change material
    /// (the rule's larger of its relative and absolute minimum), in the series' unit; nil when
    /// the gate does not judge the series or there is no baseline.
    public var tolerance: Double?
    public var changePoints: [ChangePointReport]
    /// Theil–Sen slope over the points, in percent of the median per week.
    public var slopePctPerWeek: Double?
    /// The stored distributions of the shown runs merged into one (raw streams only).
    public var merged: MergedDistribution?

    /// The run of a point.
    public func run(of point: TrendPoint) -> RunIdentity { runs[point.index] }
}

/// One run of a trend with its value: the run by its place in ``TrendReport/runs``, so a
/// hundred thousand points do not each hold a copy of their run's row.
public struct TrendPoint: Sendable, Equatable {
    /// Where the run is in ``TrendReport/runs``.
    public var index: Int
    public var value: Double
    /// The stored verdict of the series and statistic in the run.
    public var verdict: Verdict?
}

/// Several runs' stored distributions of a series merged into one.
public struct MergedDistribution: Sendable, Equatable {
    public var runs: Int
    public var count: Int
    public var p50: Double?
    public var p90: Double?
    public var p95: Double?
    public var p99: Double?
}

/// Builds trend reports from their inputs.
public struct Trend: Sendable {
    public let config: Config

    /// Creates a builder.
    public init(config: Config) {
        self.config = config
    }

    /// The trend of the inputs' series and statistic over the runs shown.
    public func build(_ inputs: TrendInputs) throws -> TrendReport {
        let series = inputs.series
        let pair = SeriesStatistic(series: series.name, statistic: inputs.statistic)
        // Reserved once: grown by doubling, a hundred thousand runs would briefly take twice
        // their room.
        var points: [TrendPoint] = []
        points.reserveCapacity(inputs.runs.count)
        for (index, run) in inputs.runs.enumerated() {
            guard let id = run.id, let value = inputs.values[id] else { continue }
            points.append(TrendPoint(index: index, value: value, verdict: inputs.verdicts[id]))
        }
        guard !points.isEmpty else {
            throw PerfDBError(
                .inputNotFound,
                "no values of \(series.name) \(inputs.statistic) in \(inputs.scope) (try another --stat or scope)"
            )
        }
        // The gate's definition of a material change, so `trend` and `check` agree; a series the
        // gate does not judge shows every change point.
        let rule = GatePolicy(config: config).rule(for: series)
        let detected = config.changePoints.changePoints(points.map(\.value)).filter { point in
            rule.map { Baseline.isMaterial(point, rule: $0) } ?? true
        }
        let changePoints = detected.map { point in
            ChangePointReport(
                pair: pair, run: inputs.runs[points[point.index].index], before: point.meanBefore,
                after: point.meanAfter, changePct: point.changePct, pValue: point.pValue,
                isRegression: series.direction.isWorse(from: point.meanBefore, to: point.meanAfter))
        }
        var baseline: Double?
        var source: BaselineSource?
        if let baselineInputs = inputs.baseline {
            let choice = BaselineChoice(baselineInputs)
            // The baseline's runs' values in the shape the baseline takes; only theirs.
            var values: RunValues = [:]
            for id in baselineInputs.runs.compactMap(\.id) {
                if let value = inputs.values[id] { values[id] = [pair: value] }
            }
            baseline = Baseline.centre(
                pair, rule: GatePolicy(config: config).rule(for: series), choice: choice,
                values: values, config: config)
            source = choice.source
        }
        let tolerance = baseline.flatMap { centre -> Double? in
            guard let rule else { return nil }
            let relative = rule.minChangePct.map { abs(centre) * $0 / 100 }
            let widest = [relative, rule.minChangeAbs].compactMap { $0 }.max()
            return widest.flatMap { $0 > 0 ? $0 : nil }
        }
        var merged: MergedDistribution?
        if series.metricType == .trend, !inputs.distributions.isEmpty {
            var distribution = Distribution()
            for (_, one) in inputs.distributions.sorted(by: { $0.key < $1.key }) {
                distribution.merge(Distribution(one))
            }
            merged = MergedDistribution(
                runs: inputs.distributions.count, count: distribution.count,
                p50: distribution.quantile(0.5), p90: distribution.quantile(0.9),
                p95: distribution.quantile(0.95), p99: distribution.quantile(0.99))
        }
        return TrendReport(
            series: series, statistic: inputs.statistic, scope: inputs.scope, runs: inputs.runs,
            points: points,
            baseline: baseline, baselineSource: source, tolerance: tolerance,
            changePoints: changePoints,
            slopePctPerWeek: Self.slopePctPerWeek(
                times: points.map { inputs.runs[$0.index].startedAt }, values: points.map(\.value)),
            merged: merged)
    }

    /// Theil–Sen slope of values over time, as percent of their median per week.
    public static func slopePctPerWeek(_ points: [(RunRecord, Double)]) -> Double? {
        slopePctPerWeek(times: points.map(\.0.startedAt), values: points.map(\.1))
    }

    /// ``slopePctPerWeek(_:)`` of values started at `times` (ISO 8601), without copying runs.
    public static func slopePctPerWeek(times: [String], values: [Double]) -> Double? {
        let dated = zip(times, values).compactMap { time, value in
            Timestamp.parse(time).map { ($0.timeIntervalSince1970 / 604_800, value) }
        }
        guard dated.count >= 3, let median = Statistics.median(dated.map(\.1)), median != 0,
            let slope = Statistics.theilSenSlope(x: dated.map(\.0), y: dated.map(\.1))
        else { return nil }
        return slope / abs(median) * 100
    }
}
