import Foundation
import PerfDBModel

/// What a scope's own history says about the gate's settings: per series, its run-to-run noise,
/// the smallest change the gate can call a regression, and how often the current settings
/// would raise a false alarm on runs like the ones stored.
public struct CalibrationReport: Sendable {
    public var scope: Scope
    public var runs: Int
    public var resamples: Int
    public var rows: [CalibrationRow]
    /// The smallest `min_z` per family that keeps every series' estimated false-alarm rate at
    /// or under `targetFalseAlarmPct`; nil when no tried value does.
    public var suggestedMinZ: [MetricFamily: Double]
    /// The false-alarm rate the suggestions aim at, in percent of checks.
    public var targetFalseAlarmPct: Double
}

/// One series and statistic of a calibration.
public struct CalibrationRow: Sendable, Equatable {
    public var pair: SeriesStatistic
    public var family: MetricFamily
    public var runs: Int
    public var centre: Double
    /// Run-to-run noise in percent of the centre.
    public var noisePct: Double
    /// The smallest change the gate calls a regression, in percent of the centre.
    public var detectableChangePct: Double
    /// Estimated share of checks of an unchanged run that end in a regression, in percent.
    public var falseAlarmPct: Double
    /// Estimated share of checks of an unchanged run that end in a warning, in percent.
    public var falseWarningPct: Double
    /// The smallest `min_z` tried whose false-alarm rate is at or under the target.
    public var quietMinZ: Double?
}

/// `perfdb calibrate`: resamples a scope's stable runs to estimate each series' false-alarm
/// rate under the current settings and its minimum detectable effect.
///
/// Each resample draws a baseline of `baseline.window` runs and one more run, with
/// replacement, from the scope's valid runs — runs that are, as far as anyone knows, the same
/// code — and judges that run with the gate. A history with real changes in it makes the rates
/// pessimistic; `--last` can keep it to a stable stretch.
public struct Calibration: Sendable {
    public let config: Config
    /// The `min_z` values tried for the suggestion.
    public static let minZGrid: [Double] = [2, 2.5, 3, 3.5, 4, 5, 6]

    /// Creates a calibration of a configuration.
    public init(config: Config) {
        self.config = config
    }

    /// The calibration of the runs of `inputs` (oldest first), `resamples` checks per series,
    /// suggestions aimed at `targetFalseAlarmPct`.
    public func run(
        _ inputs: RunsInputs, series catalog: [String: SeriesRecord], resamples: Int,
        targetFalseAlarmPct: Double = 0.1, seed: UInt64 = 1
    ) -> CalibrationReport {
        let policy = GatePolicy(config: config)
        let gate = Gate(config: config)
        var random = SplitMix(seed: seed)
        let newest = inputs.runs.last.flatMap { $0.id.flatMap { inputs.values[$0] } } ?? [:]
        // As the gate: the z needed is the false-alarm rate of a run of this many series.
        let family = policy.family(newest, catalog: catalog)
        var rows: [CalibrationRow] = []
        for pair in newest.keys.sorted() {
            guard let series = catalog[pair.series],
                let rule = policy.rule(for: pair, catalog: catalog, values: newest)
            else { continue }
            let judged = family.size(declared: series.declared)
            let column: [(run: Int64, value: Double)] = inputs.runs.compactMap { run in
                run.id.flatMap { id in inputs.values.value(pair, run: id).map { (id, $0) } }
            }
            guard column.count > config.minBaselineRuns,
                let centre = Statistics.median(column.map(\.value)), centre != 0
            else { continue }
            let window = min(config.baselineWindow, column.count - 1)
            var alarms = 0
            var warnings = 0
            var alarmsAt = Self.minZGrid.map { _ in 0 }
            for _ in 0..<resamples {
                let baseline = (0..<window).map { _ in column[random.below(column.count)] }
                let value = column[random.below(column.count)].value
                let verdict = gate.judge(
                    pair, unit: series.unit, rule: rule, value: value, baseline: baseline,
                    needed: config.minBaselineRuns, spreadless: false, judged: judged)
                if verdict.verdict == .regression { alarms += 1 }
                if verdict.verdict == .warning { warnings += 1 }
                for (index, minZ) in Self.minZGrid.enumerated() {
                    var stricter = rule
                    stricter.minZ = minZ
                    let trial = gate.judge(
                        pair, unit: series.unit, rule: stricter, value: value,
                        baseline: baseline, needed: config.minBaselineRuns, spreadless: false,
                        judged: judged)
                    if trial.verdict == .regression { alarmsAt[index] += 1 }
                }
            }
            // As the gate measures it: durations on the log scale, as one noise step up.
            let values = column.map(\.value)
            let logScale = Gate.judgesOnLogScale(rule, [centre] + values)
            let measured = gate.measureNoise(
                logScale ? values.map { Foundation.log($0) } : values, centre: centre, rule: rule,
                logScale: logScale)
            let noise = logScale ? centre * Foundation.expm1(measured.value) : measured.value
            let zNeeded = measured.zNeeded(minZ: rule.minZ, judged: judged, centreRuns: window)
            rows.append(
                CalibrationRow(
                    pair: pair, family: rule.family, runs: column.count, centre: centre,
                    noisePct: noise / abs(centre) * 100,
                    detectableChangePct: Gate.detectableChange(
                        spread: noise, centre: centre, rule: rule, logScale: logScale,
                        threshold: zNeeded) ?? 0,
                    falseAlarmPct: Double(alarms) / Double(max(resamples, 1)) * 100,
                    falseWarningPct: Double(warnings) / Double(max(resamples, 1)) * 100,
                    quietMinZ: Self.minZGrid.indices.first { index in
                        Double(alarmsAt[index]) / Double(max(resamples, 1)) * 100
                            <= targetFalseAlarmPct
                    }.map { Self.minZGrid[$0] }))
        }
        var suggested: [MetricFamily: Double] = [:]
        for family in Set(rows.map(\.family)) {
            let mine = rows.filter { $0.family == family }
            suggested[family] = Self.minZGrid.first { minZ in
                mine.allSatisfy { ($0.quietMinZ ?? .infinity) <= minZ }
            }
        }
        return CalibrationReport(
            scope: inputs.scope, runs: inputs.runs.count, resamples: resamples, rows: rows,
            suggestedMinZ: suggested, targetFalseAlarmPct: targetFalseAlarmPct)
    }
}

/// A small, seeded pseudo-random generator (SplitMix64): calibrations repeat exactly.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
