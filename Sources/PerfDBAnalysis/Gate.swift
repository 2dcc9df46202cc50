import Foundation
import PerfDBModel

/// The verdict on one series and statistic of a run, with the evidence behind it.
public struct SeriesVerdict: Sendable, Equatable {
    public var pair: SeriesStatistic
    public var unit: String
    public var direction: Direction
    public var verdict: Verdict
    /// The run's value; nil when the run lacks the series.
    public var value: Double?
    /// The baseline's centre (median) and robust spread (1.4826 × MAD).
    public var baseline: Double?
    public var spread: Double?
    /// The change from the baseline, in percent and in the series' unit.
    public var changePct: Double?
    public var changeAbs: Double?
    /// Robust z-score of the change; nil against a single pinned run.
    public var z: Double?
    /// The baseline runs the centre was taken over.
    public var baselineRuns: [Int64]
    /// Mann–Whitney U between the run's stored distribution and its baseline runs' merged
    /// one, when both exist: the two-sided p-value and P(run value > baseline value).
    public var mannWhitneyP: Double?
    public var superiority: Double?
    /// A percentile's 99 % order-statistic interval in the run's stored histogram and in its
    /// baseline runs' merged ones (raw streams, changed verdicts only): `[low, high]`.
    public var interval: [Double]?
    public var baselineInterval: [Double]?
    /// The smallest change (percent of the baseline) this series' noise and rule let the gate
    /// call a regression.
    public var detectableChangePct: Double?
    /// The z the change had to reach: `minZ`, widened for a noise measured from few runs and
    /// for the number of series judged in the run.
    public var threshold: Double?
    /// The noise on the scale the change was judged on (logarithms for durations), with the
    /// runs it was measured from.
    var noise: MeasuredNoise?
    var logScale = false
    /// The verdict the figures gave a run made under a fault, before it was set to ok.
    var faultVerdict: Verdict?
    /// The rule applied.
    public var rule: ResolvedRule
    /// One sentence on why.
    public var reason: String

    /// The evidence stored with the verdict.
    public var evidence: SeriesEvidence {
        SeriesEvidence(
            unit: unit, direction: direction, changeAbs: changeAbs, spread: spread,
            z: z.map(ZScore.init), n: baselineRuns.count, baselineRuns: baselineRuns,
            method: verdict == .insufficientData
                ? "not judged"
                : (z == nil ? "relative change vs pinned run" : "robust z")
                    + (mannWhitneyP == nil ? "" : "; Mann-Whitney U on stored distributions")
                    + (interval == nil
                        ? "" : "; 99 % order-statistic intervals from the histograms"),
            detectableChangePct: detectableChangePct,
            mannWhitneyP: mannWhitneyP, superiority: superiority, interval: interval,
            baselineInterval: baselineInterval,
            thresholds: ThresholdsEvidence(
                family: rule.family.rawValue, minChangePct: rule.minChangePct,
                minChangeAbs: rule.minChangeAbs, minZ: rule.minZ, zNeeded: threshold,
                warningChangePct: rule.warningChangePct),
            reason: reason)
    }
}

/// A series' run-to-run noise as the gate measured it.
public struct MeasuredNoise: Sendable, Equatable {
    /// The noise a change is divided by: measured, or a floor when that is larger.
    public var value: Double
    /// The runs it was measured from; nil when the rule's `min_spread_pct` floor set it before
    /// there were `noise_runs` runs.
    public var runs: Int?
    /// True when it was measured from `noise_runs` runs or more (the steps between them).
    public var isOwn = false

    /// The z a change (the mean of `runs` runs) must reach against `value`.
    ///
    /// The t quantile of the runs (``Gate/threshold(minZ:noiseRuns:judged:centreRuns:runs:)``),
    /// also for a measured noise raised to the 0.5 % floor: eight runs 0.3 % apart may come from
    /// a noise of 0.6 %, and the floor is no more certain than the runs that fell under it.
    public func zNeeded(minZ: Double, judged: Int = 1, centreRuns: Int? = nil, runs k: Int = 1)
        -> Double
    {
        Gate.threshold(
            minZ: minZ, noiseRuns: runs, judged: judged, centreRuns: centreRuns, runs: k)
    }
}

/// A change point in a series' history that a run completes.
public struct ChangePointReport: Sendable, Equatable {
    public var pair: SeriesStatistic
    /// The first run after the change.
    public var run: RunIdentity
    public var before: Double
    public var after: Double
    public var changePct: Double?
    public var pValue: Double
    /// True when the change is in the series' bad direction.
    public var isRegression: Bool

    /// The evidence a check stores of it.
    public var evidence: ChangePointEvidence {
        ChangePointEvidence(
            series: pair.series, stat: pair.statistic, runId: run.id, commit: run.commitId,
            startedAt: run.startedAt, before: before, after: after, changePct: changePct,
            pValue: pValue, direction: isRegression ? "regression" : "improvement")
    }
}

/// What `perfdb check` found.
public struct CheckReport: Sendable {
    public var run: RunRecord
    public var scope: Scope
    public var baseline: BaselineChoice
    /// Every gated series and statistic, worst first.
    public var verdicts: [SeriesVerdict]
    public var slo: SLOEvaluationValue?
    public var changePoints: [ChangePointReport]
    /// The run's verdict: regression (a regressed series or a CRITICAL SLO), warning,
    /// insufficient-data, or ok.
    public var verdict: Verdict
    /// The exit code for the pipeline.
    public var exitCode: Int32
    /// The baseline runs the verdict needs at least.
    public var neededRuns = 1
    /// The file the SLOs came from; nil for the built-in ones.
    public var sloSource: String?
    /// The chaos run the judged run ran under: its changes are the fault's, not regressions.
    public var underChaos: ChaosLink?

    /// What the store records: one row per verdict, then the run's.
    public var records: [VerdictRecord] {
        verdicts.map { verdict in
            VerdictRecord(
                series: verdict.pair.series, statistic: verdict.pair.statistic,
                verdict: verdict.verdict, value: verdict.value, baseline: verdict.baseline,
                changePct: verdict.changePct, evidence: .series(verdict.evidence))
        } + [
            VerdictRecord(
                series: nil, statistic: nil, verdict: verdict, value: nil, baseline: nil,
                changePct: nil, evidence: .run(evidence))
        ]
    }

    /// The evidence of the run's overall verdict.
    public var evidence: RunEvidence {
        RunEvidence(
            baseline: baseline.evidence, exitCode: exitCode, slo: slo?.overallStatus,
            changePoints: changePoints.map(\.evidence))
    }
}

/// The CI gate: every gated series of a run against its baseline, the run's SLOs, and the
/// change points the run completes.
///
/// A function of its inputs (docs/statistics.md).
public struct Gate: Sendable {
    public let config: Config
    let policy: GatePolicy

    /// Creates the gate of a configuration.
    public init(config: Config) {
        self.config = config
        policy = GatePolicy(config: config)
    }

    /// Judges the run of `inputs`.
    public func judge(
        _ inputs: CheckInputs, failOn: Verdict = .regression, onMissing: MissingPolicy? = nil
    ) -> CheckReport {
        let run = inputs.run
        let choice = baselineChoice(inputs)
        let values = inputs.values
        let runValues = run.id.flatMap { values[$0] } ?? [:]
        let choicePlaces = values.places(choice.runs)

        // The gated pairs: what the run has, and what most baseline runs have.
        var pairs = Set<SeriesStatistic>()
        for pair in values.pairs {
            let expected = runValues[pair] == nil ? values.count(pair, at: choicePlaces) : 0
            guard runValues[pair] != nil || (expected > 0 && expected * 2 >= choice.runs.count),
                policy.rule(for: pair, catalog: inputs.series, values: runValues) != nil
            else { continue }
            pairs.insert(pair)
        }

        let heldLevel: [Int64] =
            choice.heldBackAt.map { held in
                inputs.baseline.history.filter { $0.startedAt > held.startedAt && $0.id != run.id }
                    .compactMap(\.id)
            } ?? []
        let family = policy.family(pairs, catalog: inputs.series)
        let ordered = pairs.sorted()
        let history = CompletedHistory(runs: inputs.baseline.history + [run], values: values)
        // Each pair on its own — its verdict, then the change points the run completes — and
        // the pairs on every core: a raw stream's run has a thousand.
        let judged = Parallel.map(ordered.count) { index -> (SeriesVerdict, [ChangePointReport])? in
            let pair = ordered[index]
            guard let series = inputs.series[pair.series], let rule = policy.rule(for: series)
            else { return nil }
            // The baseline's history and "without the run" are the same values.
            let memo = ChangePointMemo()
            let judged = family.size(declared: series.declared)
            let selection = Baseline.selection(
                values.column(pair, at: choicePlaces), rule: rule, choice: choice,
                config: config, memo: memo)
            let baseline = selection.values
            let needed = choice.neededRuns(config)
            var verdict = judge(
                pair, unit: series.unit, rule: rule, value: runValues[pair],
                baseline: baseline, needed: needed,
                spreadless: choice.source == .pinnedRun, noiseSample: selection.noiseSample,
                judged: judged)
            // The runs after an unaccepted regression are the shift it started, if it was one.
            // The regressed run itself counts when runs before it were already shifted (it
            // confirmed a shift under way); alone it may be an outlier, no evidence of a level.
            let held =
                selection.shifted.isEmpty ? [] : choice.heldBackAt.flatMap(\.id).map { [$0] } ?? []
            let level = (held + heldLevel).compactMap { id in
                values.value(pair, run: id).map { (run: id, value: $0) }
            }
            confirm(
                &verdict, shifted: selection.shifted + level, judged: judged,
                before: selection.noiseSample.dropLast(selection.shifted.count),
                heldRun: held.first)
            return (
                verdict, completedChangePoints(pair, rule: rule, history: history, memo: memo)
            )
        }
        var verdicts = judged.compactMap { $0?.0 }
        verdicts.sort {
            $0.verdict != $1.verdict ? $0.verdict > $1.verdict : $0.pair < $1.pair
        }
        let changePoints = judged.flatMap { $0?.1 ?? [] }
        let slo = SLOEvaluator.evaluate(
            config.slos(for: run.scenario, values: runValues), config: config,
            value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
            baseline: { series, statistic in
                Baseline.centre(
                    SeriesStatistic(series: series, statistic: statistic),
                    rule: inputs.series[series].flatMap(policy.rule(for:)), choice: choice,
                    values: values, config: config)
            })

        var verdict = verdicts.map(\.verdict).filter { $0 != .insufficientData }.max() ?? .ok
        if verdict == .improved { verdict = .ok }
        if slo.overallStatus == .critical {
            verdict = .regression
        } else if slo.overallStatus != .pass, verdict < .warning {
            verdict = .warning
        }
        let missing = verdicts.contains { $0.verdict == .insufficientData && $0.value == nil }
        let tooShort = choice.runs.count < choice.neededRuns(config)
        if verdict < .warning, missing || tooShort || verdicts.isEmpty {
            verdict = .insufficientData
        }
        // A run made under a fault is measured against the normal baseline, but its
        // degradation is what the fault did, not a regression of the code.
        if let link = inputs.underChaos {
            verdict = .ok
            for index in verdicts.indices
            where verdicts[index].verdict == .regression || verdicts[index].verdict == .warning {
                verdicts[index].reason =
                    "under fault (chaos run \(link.chaosRunId)), not gated: "
                    + verdicts[index].reason
                verdicts[index].faultVerdict = verdicts[index].verdict
                verdicts[index].verdict = .ok
            }
        }
        var report = CheckReport(
            run: run, scope: inputs.baseline.scope, baseline: choice, verdicts: verdicts, slo: slo,
            changePoints: changePoints, verdict: verdict,
            exitCode: Self.exitCode(verdict, failOn: failOn, onMissing: onMissing))
        report.underChaos = inputs.underChaos
        report.neededRuns = choice.neededRuns(config)
        report.sloSource = config.source
        compareDistributions(&report, inputs.distributions)
        return report
    }

    // MARK: Distributions

    /// The duration series whose stored distributions ``compareDistributions(_:_:)`` compares
    /// in `report`: those a verdict names a change of (regression, warning, improved).
    ///
    /// The distributions are evidence only — a test of the whole distribution never vetoes a
    /// change of one statistic (a slower tail moves p95 while the ranks of most requests stay
    /// put) — so a raw-stream check reads and compares them for these few series alone, and
    /// costs about what a summary's check does however many series the stream holds.
    public func comparedSeries(_ report: CheckReport) -> Set<String> {
        Set(
            report.verdicts.filter { verdict in
                verdict.rule.family == .durations
                    && [.regression, .warning, .improved].contains(
                        verdict.faultVerdict ?? verdict.verdict)
            }.map(\.pair.series))
    }

    /// Adds to each verdict of a ``comparedSeries(_:)`` series the comparison of its stored
    /// distributions.
    ///
    /// The run's distribution against its baseline runs' merged ones: Mann–Whitney U, and for
    /// a percentile its 99 % intervals. `distributions`: by series name, then run id.
    public func compareDistributions(
        _ report: inout CheckReport, _ distributions: [String: [Int64: DistributionBuckets]]
    ) {
        guard let runID = report.run.id, !distributions.isEmpty else { return }
        let compared = comparedSeries(report)
        var comparisons: [String: (p: Double, superiority: Double)?] = [:]
        var histograms: [String: (run: Distribution, baseline: Distribution)?] = [:]
        // In the order of the pairs, so that each series' histograms merge the baseline runs of
        // its first statistic whatever the verdicts' order.
        let order = report.verdicts.indices.sorted {
            report.verdicts[$0].pair < report.verdicts[$1].pair
        }
        for index in order {
            let pair = report.verdicts[index].pair
            guard compared.contains(pair.series),
                [.regression, .warning, .improved].contains(
                    report.verdicts[index].faultVerdict ?? report.verdicts[index].verdict)
            else { continue }
            if histograms[pair.series] == nil {
                histograms[pair.series] = Self.histograms(
                    distributions[pair.series] ?? [:], run: runID,
                    baseline: report.verdicts[index].baselineRuns)
            }
            guard let (mine, theirs) = histograms[pair.series] ?? nil else { continue }
            if comparisons[pair.series] == nil {
                comparisons[pair.series] = Distribution.mannWhitney(mine, theirs).map {
                    ($0.p, $0.superiority)
                }
            }
            report.verdicts[index].mannWhitneyP = comparisons[pair.series]??.p
            report.verdicts[index].superiority = comparisons[pair.series]??.superiority
            if let level = Statistic.percentile(pair.statistic).map({ $0 / 100 }) {
                Self.addIntervals(
                    &report.verdicts[index], level: level, run: mine, baseline: theirs)
            }
        }
    }

    /// The exit code of a verdict: 0 pass, 1 warning, 2 gate failed, 3 not enough data (or what
    /// `onMissing` makes of it).
    public static func exitCode(_ verdict: Verdict, failOn: Verdict, onMissing: MissingPolicy?)
        -> Int32
    {
        switch verdict {
        case .ok, .improved: return 0
        case .regression: return 2
        case .warning: return failOn == .warning ? 2 : 1
        case .insufficientData:
            switch onMissing {
            case .none: return 3
            case .pass: return 0
            case .warn: return failOn == .warning ? 2 : 1
            case .fail: return 2
            }
        }
    }

    // MARK: Judging

    /// Relative change in the bad direction, gated by a robust z-score against the baseline's
    /// median and MAD, and by a minimum effect, relative and absolute.
    ///
    /// `needed` baseline values at least; `spreadless` judges the relative change alone (one
    /// pinned run has no spread); `noiseSample`, the series' values in every run the baseline
    /// may draw from, measures the noise when it holds more than the baseline.
    public func judge(
        _ pair: SeriesStatistic, unit: String, rule: ResolvedRule, value: Double?,
        baseline: [(run: Int64, value: Double)], needed: Int, spreadless: Bool,
        noiseSample: [Double]? = nil, judged: Int = 1
    ) -> SeriesVerdict {
        var verdict = SeriesVerdict(
            pair: pair, unit: unit, direction: rule.direction, verdict: .insufficientData,
            value: value, baseline: nil, spread: nil, changePct: nil, changeAbs: nil, z: nil,
            baselineRuns: baseline.map(\.run), mannWhitneyP: nil, superiority: nil, rule: rule,
            reason: "")
        let numbers = baseline.map(\.value)
        guard let value else {
            verdict.reason = "missing from the run (present in the baseline)"
            return verdict
        }
        guard numbers.count >= needed, let centre = Statistics.median(numbers) else {
            verdict.reason = "\(numbers.count) baseline runs, \(needed) needed"
            return verdict
        }
        // The noise from every run the baseline may draw from, when there are more of them.
        let sample = noiseSample.flatMap { $0.count > numbers.count ? $0 : nil } ?? numbers
        let delta = value - centre
        let changePct = centre != 0 ? delta / abs(centre) * 100 : (delta == 0 ? 0 : nil)
        // Durations vary by factors, not by amounts: their noise and change are measured on
        // the log scale, so a noisy endpoint's long right tail is not taken for a regression.
        let logScale = Self.judgesOnLogScale(rule, [value, centre] + sample)
        var spread: Double?
        var z: Double?
        var threshold = rule.minZ
        var warningZ = rule.minZ
        if !spreadless {
            let scaled = logScale ? sample.map { Foundation.log($0) } : sample
            let measured = measureNoise(scaled, centre: centre, rule: rule, logScale: logScale)
            let noise = measured.value
            verdict.noise = measured
            verdict.logScale = logScale
            threshold = measured.zNeeded(
                minZ: rule.minZ, judged: judged, centreRuns: numbers.count)
            warningZ = measured.zNeeded(minZ: rule.minZ, centreRuns: numbers.count)
            let change = logScale ? Foundation.log(value / centre) : delta
            z =
                noise > 0
                ? change / noise : (change == 0 ? 0 : (change > 0 ? .infinity : -.infinity))
            // In the series' unit: one noise step up from the centre.
            spread = logScale ? centre * Foundation.expm1(noise) : noise
        }
        verdict.baseline = centre
        verdict.spread = spread
        verdict.changeAbs = delta
        verdict.changePct = changePct
        verdict.z = z
        let worse = rule.direction.isWorse(change: delta)
        verdict.detectableChangePct = Self.detectableChange(
            spread: spread, centre: centre, rule: rule, logScale: logScale, threshold: threshold)
        verdict.threshold = threshold
        let significant = z.map { abs($0) >= threshold } ?? true
        let absolute = rule.minChangeAbs.map { abs(delta) >= $0 } ?? true
        func relative(_ threshold: Double?) -> Bool {
            guard let threshold else { return true }
            guard let changePct else { return true }
            return abs(changePct) >= threshold
        }
        let effect = absolute && relative(rule.minChangePct)
        let describe = Self.describeChange(changePct: changePct, delta: delta, unit: unit, z: z)
        if delta != 0 && significant && effect {
            verdict.verdict = worse ? .regression : .improved
            verdict.reason =
                "\(describe): past the thresholds" + Self.thresholds(rule, z: threshold)
        } else if worse && z.map({ abs($0) >= warningZ }) ?? true && absolute
            && rule.warningChangePct != nil
            && relative(rule.warningChangePct)
        {
            verdict.verdict = .warning
            verdict.reason =
                "\(describe): past the warning threshold of \(Figure.format(rule.warningChangePct ?? 0)) %"
        } else {
            verdict.verdict = .ok
            verdict.reason = "\(describe): within" + Self.thresholds(rule, z: threshold)
        }
        return verdict
    }

    /// The baseline choice of `inputs`, released from an outlier: a held-back regression whose
    /// level did not persist.
    ///
    /// When at least `outlierRunsAfter` runs followed the held-back run and, for every series it
    /// regressed, the median of the newest `baselineWindow` of them is no regression against
    /// the runs before it (the same gate, with the series' own noise), the run was an outlier
    /// (a noisy host, a deploy in the middle): it leaves the baseline and holds nothing back.
    /// A median, not every later run, so that a noisy series' next high run does not read as
    /// the level persisting; a run that, so judged, regressed no series is released as well.
    /// When it moved most series at once, the environment is suspected
    /// rather than the code. `perfdb accept` stays possible either way.
    func baselineChoice(_ inputs: CheckInputs) -> BaselineChoice {
        let held = BaselineChoice(inputs.baseline)
        guard held.source == .automatic, let outlier = held.heldBackAt, let outlierID = outlier.id
        else { return held }
        let later = inputs.baseline.history.filter { $0.startedAt > outlier.startedAt }
        guard later.count >= Self.outlierRunsAfter else { return held }
        let outlierValues = inputs.values[outlierID] ?? [:]
        // Judged as the gate judged the run: with the z needed for this many series.
        let family = policy.family(outlierValues, catalog: inputs.series)
        var moved = Set<String>()
        var gated = Set<String>()
        for (pair, value) in outlierValues {
            guard let series = inputs.series[pair.series],
                let rule = policy.rule(for: pair, catalog: inputs.series, values: outlierValues)
            else { continue }
            gated.insert(pair.series)
            let judged = family.size(declared: series.declared)
            let earlier = held.runs.compactMap { run in
                run.id.flatMap { id in
                    inputs.values.value(pair, run: id).map { (run: id, value: $0) }
                }
            }
            let before = Array(earlier.suffix(config.baselineWindow))
            let levelRuns: [(run: Int64, value: Double)] = later.suffix(config.baselineWindow)
                .compactMap { run in
                    run.id.flatMap { id in inputs.values.value(pair, run: id).map { (id, $0) } }
                }
            let level = levelRuns.map(\.value)
            // The noise of the runs on both sides: a few runs before an outlier tell too
            // little about it, and a step between them is one neighbour's step of many.
            let noiseSample = earlier.map(\.value) + level
            func verdict(_ value: Double) -> SeriesVerdict {
                judge(
                    pair, unit: series.unit, rule: rule, value: value, baseline: before,
                    needed: config.minBaselineRuns, spreadless: false, noiseSample: noiseSample,
                    judged: judged)
            }
            // What held the baseline may be a shift confirmed over runs in a row, each under
            // the one-run thresholds: a series moved when the run is past the warning threshold,
            let mine = verdict(value)
            guard
                mine.verdict == .regression
                    || (mine.baseline.map { Self.isPast(value, from: $0, rule: rule) } ?? false)
            else { continue }
            moved.insert(pair.series)
            // and its level persists when the later runs' median is a regression on its own
            // or the later runs confirm a shift by themselves.
            guard let median = Statistics.median(level), let last = levelRuns.last else {
                continue
            }
            if verdict(median).verdict == .regression { return held }
            var persisted = verdict(last.value)
            confirm(
                &persisted, shifted: Array(levelRuns.dropLast()), judged: judged,
                before: earlier.map(\.value))
            if persisted.verdict == .regression { return held }
        }
        // Nothing moved (its series are within the noise of the runs on both sides): the
        // regression that held the baseline was a false alarm, and holds nothing either.
        var released = inputs.baseline
        released.heldBackAt = nil
        released.history.removeAll { $0.id == outlierID }
        var choice = BaselineChoice(released)
        choice.outlier = OutlierEvidence(
            run: outlierID, series: moved.count,
            environmentSuspected: moved.count >= 3 && moved.count * 2 >= gated.count)
        return choice
    }

    /// A shift the runs just before this one share is sustained: a regression once
    /// `confirmRuns` runs in a row (this one included) have moved past the warning threshold
    /// and the mean change of all the shifted runs reaches the z needed for a mean of that many.
    ///
    /// The mean of k runs is √k times surer than one run, but the baseline's centre is as
    /// uncertain as before: against the noise σ of the series and a centre that is the median of
    /// m runs, the mean change has the error σ √(1/k + π/(2m)), so the z needed is the one-run
    /// t quantile times √(1 + kπ/(2m)) (``threshold(minZ:noiseRuns:judged:centreRuns:runs:)``).
    /// This run must be past half the warning threshold itself (a run of a +5 % level with 1 %
    /// noise is under 3 % once in forty); the runs before it are past the threshold each
    /// (``Baseline/recentShift(_:rule:warning:config:)``), or follow a material change point or
    /// an unaccepted regression, and are past it on average. A +5 % step on a series that moves
    /// 1 % run to run is under the one-run z needed but is confirmed within four or five runs.
    /// The noise must be the series' own, measured from `noise_runs` runs at least, and at
    /// least what every step between the runs `before` the shift shows; the shift's runs must
    /// be beyond every run before it (all of two, all but one of more).
    ///
    /// Of a confirmed shift a quarter of the rule's absolute minimum (`min_change_abs`) is
    /// asked (``confirmedFloor(_:)``): the minimum keeps one run's jitter from failing a build
    /// (a run of the demo history has the ~7 ms endpoints' p90 0.9 ms up, 14 times their noise,
    /// and the next runs back), and jitter does not hold for runs in a row; what is left of it
    /// keeps microsecond series (`http_req_connecting`, `http_req_blocked`) out.
    ///
    /// The run that held the baseline back (`heldRun`), one of the shift's runs when runs
    /// before it were shifted already, counts as one run of the shift but not by its size: its
    /// value is taken at most as far off as the farthest of the others'. A shift is what the
    /// runs share; one run far off, an outlier after a run that happened to be high, would
    /// otherwise carry the mean of runs that are each within the noise.
    func confirm(
        _ verdict: inout SeriesVerdict, shifted: [(run: Int64, value: Double)], judged: Int,
        before: some Collection<Double>, heldRun: Int64? = nil
    ) {
        let rule = verdict.rule
        guard verdict.verdict == .warning || verdict.verdict == .ok,
            let baseline = verdict.baseline, baseline != 0, let value = verdict.value,
            let warning = rule.warningChangePct, shifted.count + 1 >= config.confirmRuns,
            let first = shifted.first
        else { return }
        var values = shifted.map(\.value) + [value]
        if let heldRun, let held = shifted.firstIndex(where: { $0.run == heldRun }) {
            let others = values.indices.filter { $0 != held }.map { values[$0] }
            if let farthest = others.max(by: { rule.direction.isWorse(from: $0, to: $1) }),
                rule.direction.isWorse(from: farthest, to: values[held])
            {
                values[held] = farthest
            }
        }
        let meanValue = values.reduce(0, +) / Double(values.count)
        guard Self.isPast(value, from: baseline, rule: rule, warning: warning / 2),
            Self.isPast(meanValue, from: baseline, rule: rule, warning: warning)
        else { return }
        // The shift's runs are beyond every run before it, all of two and all but one of
        // more: a series whose values take a few levels (whole milliseconds, a percentile
        // between two samples) visits its upper one twice in a row now and then, which its
        // noise, measured from steps that are mostly nil, would take for a shift; one low run
        // of a long shift does not undo it.
        if let worst = before.max(by: { rule.direction.isWorse(from: $0, to: $1) }) {
            let beyond = values.filter { rule.direction.isWorse(from: worst, to: $0) }.count
            guard beyond >= (values.count >= 3 ? values.count - 1 : values.count) else { return }
        }
        let logScale = verdict.logScale && values.allSatisfy { $0 > 0 }
        let scale: (Double) -> Double = logScale ? { Foundation.log($0) } : { $0 }
        let changes = values.map { scale($0) - scale(baseline) }
        let meanChange = abs(changes.reduce(0, +) / Double(changes.count))
        if let measured = verdict.noise {
            // Before `noise_runs` runs the noise is a floor or a guess from a few: too little to
            // tell a small shift held over runs from runs that happened to be high together.
            guard measured.isOwn else { return }
            // The runs before the shift with all their steps, the largest too: a series that
            // moves between a few levels has its noise in those.
            let earlier = Array(before)
            let plain =
                logScale && earlier.allSatisfy({ $0 > 0 })
                ? Statistics.meanSquareSuccessiveNoise(earlier.map { Foundation.log($0) })
                : Statistics.meanSquareSuccessiveNoise(earlier)
            let noise = max(measured.value, plain ?? 0)
            // A second test of each series, with half the one-run test's tail: the run's
            // false-alarm rate stays within 1.5 times what `min_z` names.
            let needed = measured.zNeeded(
                minZ: rule.minZ, judged: 2 * judged, centreRuns: verdict.baselineRuns.count,
                runs: values.count)
            guard meanChange * Double(values.count).squareRoot() >= needed * noise else {
                return
            }
        }
        verdict.verdict = .regression
        verdict.reason +=
            "; sustained: \(values.count) runs in a row past it since run \(first.run)"
    }

    /// A series' run-to-run noise, with the runs it was measured from.
    ///
    /// Measured from its own baseline runs (neighbour to neighbour, so a slow creep does not
    /// count as noise) once there are `noiseRuns` of them; before, at least the rule's
    /// `min_spread_pct` of the baseline, as too few runs cannot tell. A measured noise is at
    /// least ``measuredNoiseFloorPct``.
    func measureNoise(
        _ numbers: [Double], centre: Double, rule: ResolvedRule, logScale: Bool = false
    ) -> MeasuredNoise {
        let ownNoise = numbers.count >= config.noiseRuns
        var measured =
            (ownNoise ? Statistics.successiveNoise(numbers) : Statistics.robustSpread(numbers))
            ?? 0
        // Both are 0 when most baseline values are equal (error rates of 0 with a few
        // failures): then the standard deviation stands in, so rare non-zero values count.
        if measured == 0 {
            measured = Statistics.variance(numbers).map { $0.squareRoot() } ?? 0
        }
        let floorPct = ownNoise ? Self.measuredNoiseFloorPct : rule.minSpreadPct ?? 0
        let floor = logScale ? Foundation.log1p(floorPct / 100) : abs(centre) * floorPct / 100
        if measured > floor {
            return MeasuredNoise(value: measured, runs: numbers.count, isOwn: ownNoise)
        }
        return MeasuredNoise(value: floor, runs: ownNoise ? numbers.count : nil, isOwn: ownNoise)
    }

    /// True when `value` is past the rule's warning threshold (else its minimum change) from
    /// `baseline` in the bad direction, and past the floor of a confirmed shift.
    static func isPast(
        _ value: Double, from baseline: Double, rule: ResolvedRule, warning: Double? = nil
    ) -> Bool {
        guard baseline != 0, let threshold = warning ?? rule.warningChangePct ?? rule.minChangePct
        else { return false }
        return rule.direction.isWorse(change: value - baseline)
            && abs(value - baseline) / abs(baseline) * 100 >= threshold
            && abs(value - baseline) >= confirmedFloor(rule)
    }

    /// The least change of a shift confirmed over runs in a row: a quarter of the rule's
    /// absolute minimum (0.25 ms for durations by default); 0 without one.
    static func confirmedFloor(_ rule: ResolvedRule) -> Double {
        (rule.minChangeAbs ?? 0) / 4
    }

    /// The runs after a held-back regression that can tell it an outlier: one run back at the
    /// old level may be a noisy low one of a new level; two whose median is back are not.
    static let outlierRunsAfter = 2

    /// True when `rule` judges these values on the log scale: durations, all of them positive.
    static func judgesOnLogScale(_ rule: ResolvedRule, _ values: [Double]) -> Bool {
        rule.family == .durations && values.allSatisfy { $0 > 0 }
    }

    /// The least noise a measured series is credited with, in percent of its baseline: no run
    /// repeats to better than this.
    static let measuredNoiseFloorPct = 0.5

    /// The z a change must reach for `minZ`'s false-alarm rate per run.
    ///
    /// Against noise measured from `noiseRuns` runs, the Student t quantile with the same
    /// one-sided tail as `minZ`, at the degrees of freedom that estimate is worth (a noise
    /// measured from ten runs is often too small by a fifth, and a plain z ≥ 3 would alarm far
    /// more often than on 0.135 % of stable runs), times √(1 + kπ/(2m)) for a centre that is the
    /// median of `centreRuns` = m runs (the median's own error) and a change that is the mean of
    /// `runs` = k runs (1 but for a confirmation); the normal quantile against a floor. With
    /// `judged` series in the run, the tail is `judged` times smaller (Bonferroni): `minZ` sets
    /// the false-alarm rate of a run, not of each series.
    static func threshold(
        minZ: Double, noiseRuns: Int?, judged: Int = 1, centreRuns: Int? = nil, runs: Int = 1
    ) -> Double {
        guard minZ > 0 else { return minZ }
        let tail = Statistics.normalUpperTail(minZ) / Double(max(judged, 1))
        guard tail > 0 else { return minZ }
        guard let noiseRuns else {
            return judged <= 1 ? minZ : Statistics.normalUpperQuantile(tail: tail)
        }
        let centreError = centreRuns.map {
            (1 + Double(max(runs, 1)) * Double.pi / (2 * Double(max($0, 1)))).squareRoot()
        }
        return max(
            minZ,
            Statistics.studentTUpperQuantile(
                tail: tail, df: Statistics.effectiveDegreesOfFreedom(noiseRuns: noiseRuns))
                * (centreError ?? 1))
    }

    /// The smallest change, in percent of the baseline, the gate calls a regression given the
    /// series' noise, the z it must reach and the rule's minimum effects.
    static func detectableChange(
        spread: Double?, centre: Double, rule: ResolvedRule, logScale: Bool = false,
        threshold: Double? = nil
    ) -> Double? {
        guard centre != 0 else { return nil }
        let minZ = threshold ?? rule.minZ
        var pct = rule.minChangePct ?? 0
        if let spread {
            // On the log scale the spread is one noise step up, centre × (e^σ − 1).
            let needed =
                logScale
                ? Foundation.expm1(minZ * Foundation.log1p(spread / abs(centre)))
                : minZ * spread / abs(centre)
            pct = max(pct, needed * 100)
        }
        if let absolute = rule.minChangeAbs { pct = max(pct, absolute / abs(centre) * 100) }
        return pct
    }

    private static func describeChange(changePct: Double?, delta: Double, unit: String, z: Double?)
        -> String
    {
        var parts: [String] = []
        if let changePct {
            parts.append((changePct >= 0 ? "+" : "") + Figure.format(changePct) + " %")
        }
        parts.append(
            (delta >= 0 ? "+" : "") + Figure.format(delta) + (unit.isEmpty ? "" : " \(unit)"))
        if let z {
            parts.append("z = " + (z.isFinite ? Figure.format(z) : (z > 0 ? "+inf" : "-inf")))
        }
        return parts.joined(separator: ", ")
    }

    private static func thresholds(_ rule: ResolvedRule, z: Double) -> String {
        var parts: [String] = []
        if let pct = rule.minChangePct { parts.append("\(Figure.format(pct)) %") }
        if let abs = rule.minChangeAbs { parts.append(Figure.format(abs)) }
        parts.append(
            "z \(Figure.format(z))"
                + (z > rule.minZ ? " (\(Figure.format(rule.minZ)) for the runs' noise)" : ""))
        return " (" + parts.joined(separator: ", ") + ")"
    }

    /// The run's stored histogram and its baseline runs' merged ones, when both exist.
    static func histograms(
        _ stored: [Int64: DistributionBuckets], run: Int64, baseline: [Int64]
    ) -> (run: Distribution, baseline: Distribution)? {
        guard let current = stored[run] else { return nil }
        var merged = Distribution(
            upTo: baseline.compactMap { stored[$0]?.highestMiddle }.max() ?? 2)
        for id in baseline {
            if let buckets = stored[id] { merged.merge(Distribution(buckets)) }
        }
        guard merged.count > 0 else { return nil }
        return (Distribution(current), merged)
    }

    /// Adds a percentile's 99 % intervals in the run and its baseline to the verdict: the test
    /// of that very statistic (evidence; the verdict stays the noise gate's).
    static func addIntervals(
        _ verdict: inout SeriesVerdict, level: Double, run: Distribution, baseline: Distribution
    ) {
        guard let mine = run.quantileInterval(level),
            let theirs = baseline.quantileInterval(level)
        else { return }
        verdict.interval = [mine.low, mine.high]
        verdict.baselineInterval = [theirs.low, theirs.high]
        let apart = mine.low > theirs.high || mine.high < theirs.low
        verdict.reason +=
            "; 99 % intervals from the histograms: run \(Figure.format(mine.low))–"
            + "\(Figure.format(mine.high)), baseline \(Figure.format(theirs.low))–"
            + "\(Figure.format(theirs.high))" + (apart ? " (apart)" : " (overlapping)")
    }

    // MARK: Change points

    /// A check's history with the run last, as the change points the run completes are
    /// looked for in: the runs, their places in the figures, each run's place in the history.
    struct CompletedHistory: Sendable {
        let runs: [RunRecord]
        let values: RunValues
        let places: RunValues.Places
        let order: [Int64: Int]

        init(runs: [RunRecord], values: RunValues) {
            self.runs = runs
            self.values = values
            places = values.places(runs)
            order = Dictionary(
                runs.indices.compactMap { index in runs[index].id.map { ($0, index) } },
                uniquingKeysWith: { first, _ in first })
        }
    }

    /// Change points of `pair` that appear when the run joins its history: in the series with
    /// the run, not without it.
    private func completedChangePoints(
        _ pair: SeriesStatistic, rule: ResolvedRule, history: CompletedHistory,
        memo: ChangePointMemo
    ) -> [ChangePointReport] {
        let runs = history.runs
        let column: [(index: Int, value: Double)] = history.values.column(
            pair, at: history.places
        )
        .compactMap { entry in history.order[entry.run].map { ($0, entry.value) } }
        guard column.last?.index == runs.count - 1, column.count >= 4 else { return [] }
        let with = Baseline.materialChangePoints(
            column.map(\.value), rule: rule, config: config, memo: memo)
        let without = Set(
            Baseline.materialChangePoints(
                column.dropLast().map(\.value), rule: rule, config: config, memo: memo
            ).map { column[$0.index].index })
        return with.filter { !without.contains(column[$0.index].index) }.map { point in
            ChangePointReport(
                pair: pair, run: RunIdentity(runs[column[point.index].index]),
                before: point.meanBefore, after: point.meanAfter, changePct: point.changePct,
                pValue: point.pValue,
                isRegression: rule.direction.isWorse(from: point.meanBefore, to: point.meanAfter))
        }
    }
}
