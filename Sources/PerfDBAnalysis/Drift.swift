import Foundation
import PerfDBModel

/// One series' drift: the baseline against the median of the recent runs, and the slow creep
/// of its Theil–Sen slope.
public struct DriftRow: Sendable, Equatable {
    public var pair: SeriesStatistic
    public var unit: String
    public var direction: Direction
    public var baseline: Double
    public var recent: Double
    public var recentRuns: Int
    public var driftPct: Double?
    public var slopePctPerWeek: Double?
    public var slopeRuns: Int
    /// Past the drift tolerance in the bad direction.
    public var drifted: Bool
    /// Past the slope tolerance in the bad direction.
    public var creeping: Bool
}

/// `perfdb baseline drift`: how far a scope has moved from its baseline.
public struct DriftReport: Sendable {
    public var scope: Scope
    public var baselineSource: BaselineSource
    public var latest: RunRecord
    public var rows: [DriftRow]
    public var settings: Config.DriftSettings

    /// True when any series drifted or creeps past its tolerance.
    public var flagged: Bool { rows.contains { $0.drifted || $0.creeping } }
}

/// Computes drift reports from their inputs.
public struct Drift: Sendable {
    public let config: Config

    /// Creates an analyzer.
    public init(config: Config) {
        self.config = config
    }

    /// Drift of every gated series of the scope's newest run.
    public func analyze(_ inputs: DriftInputs) -> DriftReport {
        let settings = config.drift
        let history = inputs.history
        let latest = inputs.baseline.run
        let choice = BaselineChoice(inputs.baseline)
        let values = inputs.values
        let policy = GatePolicy(config: config)
        let latestValues = latest.id.flatMap { values[$0] } ?? [:]
        let gate = Gate(config: config)
        // As the gate: `min_z` is the false-alarm rate of the whole report, not of each series.
        let family = policy.family(latestValues, catalog: inputs.series)
        var rows: [DriftRow] = []
        for pair in latestValues.keys.sorted() {
            let selection = Baseline.selection(
                pair, rule: policy.rule(for: pair, catalog: inputs.series, values: latestValues),
                choice: choice, values: values, config: config)
            let baselineValues = selection.values.map(\.value)
            guard let series = inputs.series[pair.series],
                let rule = policy.rule(for: pair, catalog: inputs.series, values: latestValues),
                let baseline = Statistics.median(baselineValues)
            else { continue }
            // As the gate: no verdict on fewer baseline runs than it judges with.
            let enough = baselineValues.count >= choice.neededRuns(config)
            let recentColumn = history.suffix(settings.recentRuns).compactMap {
                $0.id.flatMap { values.value(pair, run: $0) }
            }
            guard let recent = Statistics.median(recentColumn) else { continue }
            let slopePoints = history.suffix(settings.slopeRuns).compactMap { run in
                run.id.flatMap { values.value(pair, run: $0) }.map { (run, $0) }
            }
            let slope = Trend.slopePctPerWeek(slopePoints)
            let driftPct = baseline != 0 ? (recent - baseline) / abs(baseline) * 100 : nil
            let bad = { rule.direction.isWorse(change: $0) }
            let absolute = rule.minChangeAbs.map { abs(recent - baseline) >= $0 } ?? true
            // The recent median must also stand out of the series' noise, as a regression
            // must: its distance from the baseline's median against both medians' standard
            // errors (√(π/2) σ / √n each), durations on the log scale.
            let sample = selection.noiseSample + recentColumn
            let logScale = Gate.judgesOnLogScale(rule, [baseline, recent] + sample)
            let scale: (Double) -> Double = logScale ? { Foundation.log($0) } : { $0 }
            let measured = gate.measureNoise(
                sample.map(scale), centre: baseline, rule: rule, logScale: logScale)
            let standardError =
                measured.value
                * (Double.pi / 2
                * (1 / Double(max(recentColumn.count, 1))
                    + 1 / Double(max(baselineValues.count, 1))))
                .squareRoot()
            let zNeeded = measured.zNeeded(
                minZ: rule.minZ, judged: family.size(declared: series.declared))
            let standsOut = abs(scale(recent) - scale(baseline)) >= zNeeded * standardError
            let drifted =
                enough && driftPct.map { bad($0) && abs($0) > settings.maxDriftPct } == true
                && absolute && standsOut
            // A creep must also add up to the absolute floor over the slope's span.
            let spanWeeks = Self.spanWeeks(slopePoints.map(\.0))
            let creepTotal = slope.map { abs($0) / 100 * abs(baseline) * spanWeeks } ?? 0
            // A creep is judged against the series' noise: what it added over the slope's span
            // must stand out of the run-to-run noise as a regression must.
            let noise = Statistics.successiveNoise(slopePoints.map(\.1)) ?? 0
            let creepZ = Gate.threshold(
                minZ: rule.minZ, noiseRuns: slopePoints.count,
                judged: family.size(declared: series.declared))
            let creeping =
                enough && slopePoints.count >= choice.neededRuns(config)
                && slope.map { bad($0) && abs($0) > settings.maxSlopePctPerWeek } == true
                && (rule.minChangeAbs.map { creepTotal >= $0 } ?? true)
                && creepTotal >= creepZ * noise
            rows.append(
                DriftRow(
                    pair: pair, unit: series.unit, direction: rule.direction, baseline: baseline,
                    recent: recent, recentRuns: recentColumn.count, driftPct: driftPct,
                    slopePctPerWeek: slope, slopeRuns: slopePoints.count, drifted: drifted,
                    creeping: creeping))
        }
        rows.sort {
            ($0.drifted || $0.creeping) != ($1.drifted || $1.creeping)
                ? ($0.drifted || $0.creeping) : $0.pair < $1.pair
        }
        return DriftReport(
            scope: inputs.baseline.scope, baselineSource: choice.source, latest: latest,
            rows: rows, settings: settings)
    }

    /// Weeks between the first and the last run.
    static func spanWeeks(_ runs: [RunRecord]) -> Double {
        guard let first = runs.first.flatMap({ Timestamp.parse($0.startedAt) }),
            let last = runs.last.flatMap({ Timestamp.parse($0.startedAt) })
        else { return 0 }
        return last.timeIntervalSince(first) / 604_800
    }
}
