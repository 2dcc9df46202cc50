import Foundation
import PerfDBModel

/// How the baseline of a run was chosen: the pin in force, or the automatic window of valid
/// runs since the last acceptance and before the first unaccepted regression.
public struct BaselineChoice: Sendable, Equatable {
    public var source: BaselineSource
    /// The pin in force, if any.
    public var entry: BaselineRecord?
    /// The runs the baseline may draw from, oldest first.
    public var runs: [RunRecord]
    /// An unaccepted regression that holds the automatic baseline back, if any.
    public var heldBackAt: RunRecord?
    /// The acceptance the automatic baseline starts from, if any.
    public var acceptedAt: RunRecord?
    /// The base branch's run of the merge-base commit the automatic baseline ends at, if any.
    public var mergeBaseRun: RunRecord?
    /// A held-back run the gate found to be an outlier, left out of the baseline.
    public var outlier: OutlierEvidence?

    /// The choice its inputs make: the pinned run or window when a pin is in force, else the
    /// history from the newest baseline entry's run on and before the held-back regression.
    public init(_ inputs: BaselineInputs) {
        if let pin = inputs.pin {
            source = pin.kind == .run ? .pinnedRun : .pinnedWindow
            entry = pin
            runs = inputs.pinnedRuns
            return
        }
        source = .automatic
        var runs = inputs.history
        if let accepted = inputs.acceptedRun {
            runs = runs.filter { $0.startedAt >= accepted.startedAt }
        }
        if let held = inputs.heldBackAt {
            runs = runs.filter { $0.startedAt < held.startedAt }
        }
        self.runs = runs
        heldBackAt = inputs.heldBackAt
        acceptedAt = inputs.acceptedRun
        mergeBaseRun = inputs.mergeBaseRun
    }

    /// The evidence a verdict stores of the choice.
    public var evidence: BaselineEvidence {
        BaselineEvidence(
            kind: source, runs: runs.compactMap(\.id), heldBackAt: heldBackAt?.id,
            acceptedAt: acceptedAt?.id, pin: entry.map(PinEvidence.init), outlier: outlier)
    }

    /// The runs a verdict needs at least to judge against this baseline.
    public func neededRuns(_ config: Config) -> Int {
        source == .pinnedRun ? 1 : config.minBaselineRuns
    }
}

/// The one baseline computation `check`, `slo check`, `trend` and `baseline drift` share.
public enum Baseline {
    /// The baseline values of `pair`.
    ///
    /// Its values in the chosen runs; for an automatic baseline
    /// only the runs before the first material change point in the bad direction (or from the
    /// last material change point on, when enough runs follow it), the newest
    /// `baselineWindow` of them. Without a rule (a series the gate does not judge) no change
    /// point narrows it.
    public static func values(
        _ pair: SeriesStatistic, rule: ResolvedRule?, choice: BaselineChoice, values: RunValues,
        config: Config
    ) -> [(run: Int64, value: Double)] {
        selection(pair, rule: rule, choice: choice, values: values, config: config).values
    }

    /// The baseline values of `pair`, the runs after them that moved past the warning
    /// threshold in the bad direction (a shift that may be sustained; oldest first), and every
    /// value the baseline may draw from and the shifted ones, not only the newest
    /// `baselineWindow`: fifty runs measure a series' noise far better than ten.
    ///
    /// The shift starts at the first material change point in the bad direction; without one,
    /// it is the newest runs each past the warning threshold against the runs before them, when
    /// there are `confirmRuns − 1` of them at least (``recentShift(_:rule:warning:config:)``).
    public static func selection(
        _ pair: SeriesStatistic, rule: ResolvedRule?, choice: BaselineChoice, values: RunValues,
        config: Config
    ) -> (
        values: [(run: Int64, value: Double)], shifted: [(run: Int64, value: Double)],
        noiseSample: [Double]
    ) {
        selection(
            choice.runs.compactMap { run in
                guard let id = run.id, let value = values.value(pair, run: id) else { return nil }
                return (id, value)
            }, rule: rule, choice: choice, config: config)
    }

    /// ``selection(_:rule:choice:values:config:)`` of a series whose values in the choice's
    /// runs, in their order, are `column`.
    static func selection(
        _ column: [(run: Int64, value: Double)], rule: ResolvedRule?, choice: BaselineChoice,
        config: Config, memo: ChangePointMemo? = nil
    ) -> (
        values: [(run: Int64, value: Double)], shifted: [(run: Int64, value: Double)],
        noiseSample: [Double]
    ) {
        var column = column
        guard choice.source == .automatic else { return (column, [], column.map(\.value)) }
        guard let rule else {
            return (Array(column.suffix(config.baselineWindow)), [], column.map(\.value))
        }
        var shifted: [(run: Int64, value: Double)] = []
        let points = materialChangePoints(
            column.map(\.value), rule: rule, config: config, memo: memo)
        if let firstBad = points.first(where: {
            rule.direction.isWorse(from: $0.meanBefore, to: $0.meanAfter)
        }) {
            shifted = Array(column[firstBad.index...])
            column = Array(column[..<firstBad.index])
        } else if let last = points.last, column.count - last.index >= config.minBaselineRuns {
            column = Array(column[last.index...])
        } else if let warning = rule.warningChangePct ?? rule.minChangePct {
            let recent = recentShift(column, rule: rule, warning: warning, config: config)
            if recent > 0 {
                shifted = Array(column.suffix(recent))
                column = Array(column.dropLast(recent))
            }
        }
        // The noise of the runs on both sides of a shift: a step between them is one
        // neighbour's step of many, which the noise's median leaves out.
        return (
            Array(column.suffix(config.baselineWindow)), shifted,
            column.map(\.value) + shifted.map(\.value)
        )
    }

    /// How many of the newest values are a shift that may be sustained: the longest run of them
    /// (up to `baselineWindow`) each past `warning` percent in the bad direction and the floor
    /// of a confirmed shift (``Gate/confirmedFloor(_:)``) against the median of the
    /// `baselineWindow` values before them (at least `minBaselineRuns`); 0 when fewer than
    /// `confirmRuns − 1`.
    ///
    /// Each run must be past the warning threshold on its own, so that a stable series seldom
    /// has even one such run; whether together they stand out of the noise is the gate's
    /// confirmation to judge.
    static func recentShift(
        _ column: [(run: Int64, value: Double)], rule: ResolvedRule, warning: Double,
        config: Config
    ) -> Int {
        var length = 0
        while length < config.baselineWindow {
            let candidate = length + 1
            let earlier = column.dropLast(candidate).suffix(config.baselineWindow)
            guard earlier.count >= config.minBaselineRuns,
                let centre = Statistics.median(earlier.map(\.value)), centre != 0
            else { break }
            let past = column.suffix(candidate).allSatisfy { _, value in
                Gate.isPast(value, from: centre, rule: rule, warning: warning)
            }
            guard past else { break }
            length = candidate
        }
        return length >= config.confirmRuns - 1 ? length : 0
    }

    /// The median of ``values(_:rule:choice:values:config:)``.
    public static func centre(
        _ pair: SeriesStatistic, rule: ResolvedRule?, choice: BaselineChoice, values: RunValues,
        config: Config
    ) -> Double? {
        Statistics.median(
            Self.values(pair, rule: rule, choice: choice, values: values, config: config).map(
                \.value))
    }

    /// The detector's change points that are material.
    ///
    /// Material: at least the gate's warning threshold (else its minimum effect) and the floor
    /// of a shift confirmed over runs in a row (``Gate/confirmedFloor(_:)``): a change point is
    /// such a shift. `check`, `trend` and the baseline use this one definition: a change point
    /// below it neither holds a baseline back nor is reported.
    public static func materialChangePoints(_ values: [Double], rule: ResolvedRule, config: Config)
        -> [ChangePoint]
    {
        materialChangePoints(values, rule: rule, config: config, memo: nil)
    }

    /// ``materialChangePoints(_:rule:config:)``, the detector's answers kept in `memo`: a check
    /// asks about the same history once for the baseline and once for the change points the
    /// run completes.
    static func materialChangePoints(
        _ values: [Double], rule: ResolvedRule, config: Config, memo: ChangePointMemo?
    ) -> [ChangePoint] {
        guard mayHoldMaterialChange(values, rule: rule) else { return [] }
        let points: [ChangePoint]
        if let known = memo?.points[values] {
            points = known
        } else {
            points = config.changePoints.changePoints(values, windows: memo?.windows)
            memo?.points[values] = points
        }
        return points.filter { isMaterial($0, rule: rule) }
    }

    /// False when no two segments of `values` can have means as far apart as
    /// ``isMaterial(_:rule:)`` asks.
    ///
    /// Two means of values lie within their range, so a range under the absolute floor, or
    /// under the relative threshold of the smallest value (all of one sign), rules every change
    /// point out before the detector runs. Most of a raw stream's thousand series (connection
    /// times of microseconds) are ruled out so.
    static func mayHoldMaterialChange(_ values: [Double], rule: ResolvedRule) -> Bool {
        guard let low = values.min(), let high = values.max() else { return false }
        // A margin for the rounding of the detector's sums.
        let range = (high - low) * (1 + 1e-9)
        guard range >= Gate.confirmedFloor(rule) else { return false }
        if let threshold = rule.warningChangePct ?? rule.minChangePct, low > 0 || high < 0 {
            let nearest = min(abs(low), abs(high))
            return range / nearest * 100 >= threshold
        }
        return true
    }

    /// True when a change point is as large as ``materialChangePoints(_:rule:config:)`` asks.
    public static func isMaterial(_ point: ChangePoint, rule: ResolvedRule) -> Bool {
        let delta = abs(point.meanAfter - point.meanBefore)
        let absolute = delta >= Gate.confirmedFloor(rule)
        let relative =
            (rule.warningChangePct ?? rule.minChangePct).map { threshold in
                point.changePct.map { abs($0) >= threshold } ?? true
            } ?? true
        return absolute && relative
    }
}

/// The change points the detector found in series of values, kept for one judgement.
final class ChangePointMemo {
    var points: [[Double]: [ChangePoint]] = [:]
    let windows = ChangePointDetector.Windows()
}
