import Foundation
import GRDB

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
    /// The rule applied.
    public var rule: ResolvedRule
    /// One sentence on why.
    public var reason: String
}

/// A change point in a series' history that a run completes.
public struct ChangePointReport: Sendable, Equatable {
    public var pair: SeriesStatistic
    public var run: RunRecord
    public var before: Double
    public var after: Double
    public var changePct: Double?
    public var pValue: Double
    /// True when the change is in the series' bad direction.
    public var isRegression: Bool
}

/// How the baseline of a check was chosen.
public struct BaselineChoice: Sendable {
    /// `pinned-run`, `pinned-window` or `automatic`.
    public var kind: String
    /// The pin in force, if any.
    public var entry: BaselineRecord?
    /// The runs the baseline may draw from, oldest first.
    public var runs: [RunRecord]
    /// An unaccepted regression that holds the automatic baseline back, if any.
    public var heldBackAt: RunRecord?
    /// The acceptance the automatic baseline starts from, if any.
    public var acceptedAt: RunRecord?
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
}

/// What to do when the baseline is too short or the run lacks a series the baseline has.
public enum MissingPolicy: String, Sendable, CaseIterable {
    case pass
    case warn
    case fail
}

/// The CI gate: every gated series of a run against its baseline, the run's SLOs, and the
/// change points the run completes (docs/statistics.md).
public struct RegressionGate: Sendable {
    public let warehouse: Warehouse
    public let config: Config
    private let policy: GatePolicy

    /// Creates a gate.
    public init(warehouse: Warehouse, config: Config) {
        self.warehouse = warehouse
        self.config = config
        self.policy = GatePolicy(config: config)
    }

    /// The load run `reference` names, its id, and the scope of its baseline (its scenario and
    /// environment on the base branch); any other kind of run is a usage error that says what
    /// `judge` ("check judges") accepts.
    func loadRun(_ reference: RunReference, judgedBy judge: String) throws
        -> (run: RunRecord, id: Int64, scope: Scope)
    {
        let run = try warehouse.run(reference)
        guard run.kind == RunKind.load.rawValue, let runID = run.id else {
            throw PerfDBError(
                .usage, "run \(run.id ?? 0) is a \(run.kind) run; \(judge) load runs")
        }
        let scope = Scope(
            scenario: run.scenario, environment: run.environment, branch: config.baseBranch)
        return (run, runID, scope)
    }

    /// Checks `reference`; stores the verdicts unless `store` is false.
    public func check(
        _ reference: RunReference, failOn: Verdict = .regression, onMissing: MissingPolicy? = nil,
        store: Bool = true, now: Date = Date()
    ) throws -> CheckReport {
        let (run, runID, scope) = try loadRun(reference, judgedBy: "check judges")
        let catalog = try warehouse.seriesCatalog()
        let choice = try baselineChoice(for: run, scope: scope)
        let historyLimit = max(config.changePoints.window, config.baselineWindow)
        let recent = try warehouse.history(scope: scope, before: run, limit: historyLimit)
        var allRuns = choice.runs + recent + [run]
        var seen = Set<Int64>()
        allRuns = allRuns.filter { $0.id.map { seen.insert($0).inserted } ?? false }
        let values = try warehouse.measurements(of: allRuns)
        let runValues = values[runID] ?? [:]

        // The gated pairs: what the run has, and what most baseline runs have.
        var pairs = Set<SeriesStatistic>()
        var expected: [SeriesStatistic: Int] = [:]
        for baselineRun in choice.runs {
            for pair in (baselineRun.id.flatMap { values[$0] } ?? [:]).keys {
                expected[pair, default: 0] += 1
            }
        }
        for pair in Set(runValues.keys).union(expected.keys) {
            guard policy.rule(for: pair, catalog: catalog, values: runValues) != nil
            else { continue }
            if runValues[pair] != nil || (expected[pair] ?? 0) * 2 >= choice.runs.count {
                pairs.insert(pair)
            }
        }

        var verdicts: [SeriesVerdict] = []
        var comparisons: [String: (p: Double, superiority: Double)?] = [:]
        for pair in pairs.sorted() {
            guard let series = catalog[pair.series], let rule = policy.rule(for: series) else {
                continue
            }
            let baselineValues = baselineValues(pair, rule: rule, choice: choice, values: values)
            var comparison: (p: Double, superiority: Double)?
            if rule.family == .durations {
                if let known = comparisons[pair.series] {
                    comparison = known
                } else {
                    comparison = try compareDistributions(
                        series: pair.series, run: runID, baseline: baselineValues.map(\.run))
                    comparisons[pair.series] = comparison
                }
            }
            verdicts.append(
                judge(
                    pair, unit: series.unit, rule: rule, value: runValues[pair],
                    baseline: baselineValues, pinnedRun: choice.kind == "pinned-run",
                    distributions: comparison))
        }
        verdicts.sort {
            $0.verdict != $1.verdict ? $0.verdict > $1.verdict : $0.pair < $1.pair
        }

        let changePoints = completedChangePoints(
            pairs: pairs, catalog: catalog, history: recent, run: run, values: values)
        let baselineByPair = Dictionary(
            verdicts.compactMap { verdict in verdict.baseline.map { (verdict.pair, $0) } },
            uniquingKeysWith: { a, _ in a })
        let slo = SLOEvaluator.evaluate(
            config.slos, config: config,
            value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
            baseline: { series, statistic in
                let pair = SeriesStatistic(series: series, statistic: statistic)
                if let known = baselineByPair[pair] { return known }
                let column = choice.runs.compactMap { $0.id.flatMap { values[$0]?[pair] } }
                return Statistics.median(column)
            })

        var verdict = verdicts.map(\.verdict).filter { $0 != .insufficientData }.max() ?? .ok
        if verdict == .improved { verdict = .ok }
        if slo.overallStatus == .critical {
            verdict = .regression
        } else if slo.overallStatus != .pass, verdict < .warning {
            verdict = .warning
        }
        let missing = verdicts.contains { $0.verdict == .insufficientData && $0.value == nil }
        let tooShort =
            choice.runs.count < (choice.kind == "pinned-run" ? 1 : config.minBaselineRuns)
        if verdict < .warning, missing || tooShort || verdicts.isEmpty {
            verdict = .insufficientData
        }
        let exitCode = Self.exitCode(verdict, failOn: failOn, onMissing: onMissing)
        let report = CheckReport(
            run: run, scope: scope, baseline: choice, verdicts: verdicts, slo: slo,
            changePoints: changePoints, verdict: verdict, exitCode: exitCode)
        if store { try self.store(report, catalog: catalog, now: now) }
        return report
    }

    static func exitCode(_ verdict: Verdict, failOn: Verdict, onMissing: MissingPolicy?) -> Int32 {
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

    // MARK: Baseline

    /// The pinned baseline in force, or the automatic one: valid runs of the scope since the
    /// last acceptance and before the first unaccepted regression.
    public func baselineChoice(for run: RunRecord, scope: Scope) throws -> BaselineChoice {
        if let pin = try warehouse.pinnedBaseline(scope) {
            let pinnedRun = try warehouse.run(.id(pin.runId))
            if pin.kind == BaselineKind.run.rawValue {
                return BaselineChoice(kind: "pinned-run", entry: pin, runs: [pinnedRun])
            }
            let window = try warehouse.history(
                scope: scope, before: pinnedRun, including: true,
                limit: max((pin.windowSize ?? 1) - 1, 0))
            return BaselineChoice(kind: "pinned-window", entry: pin, runs: window)
        }
        let entry = try warehouse.latestBaselineEntry(scope)
        let acceptance = try entry.map { try warehouse.run(.id($0.runId)) }
        var runs = try warehouse.history(
            scope: scope, before: run,
            limit: max(config.changePoints.window, config.baselineWindow))
        if let acceptance {
            runs = runs.filter { $0.startedAt >= acceptance.startedAt }
        }
        let held = try warehouse.earliestRegression(scope: scope, acceptance: entry, before: run)
        if let held {
            runs = runs.filter { $0.startedAt < held.startedAt }
        }
        return BaselineChoice(
            kind: "automatic", entry: nil, runs: runs, heldBackAt: held, acceptedAt: acceptance)
    }

    /// The baseline values of one pair: for an automatic baseline, the runs before the first
    /// change point in the bad direction (or from the last improvement, when enough runs
    /// follow it), then the newest `baselineWindow` of them.
    func baselineValues(
        _ pair: SeriesStatistic, rule: ResolvedRule, choice: BaselineChoice,
        values: [Int64: [SeriesStatistic: Double]]
    ) -> [(run: Int64, value: Double)] {
        var column: [(run: Int64, value: Double)] = choice.runs.compactMap { run in
            guard let id = run.id, let value = values[id]?[pair] else { return nil }
            return (id, value)
        }
        guard choice.kind == "automatic" else { return column }
        let points = materialChangePoints(column.map(\.value), rule: rule)
        if let firstBad = points.first(where: { isBad($0, rule.direction) }) {
            column = Array(column[..<firstBad.index])
        } else if let last = points.last,
            column.count - last.index >= config.minBaselineRuns
        {
            column = Array(column[last.index...])
        }
        return Array(column.suffix(config.baselineWindow))
    }

    /// The detector's change points that are as large as the gate's minimum effect: a change
    /// point the gate would not call a regression neither holds a baseline back nor is
    /// reported by `check`.
    func materialChangePoints(_ values: [Double], rule: ResolvedRule) -> [ChangePoint] {
        config.changePoints.changePoints(values).filter { point in
            let delta = abs(point.meanAfter - point.meanBefore)
            let absolute = rule.minChangeAbs.map { delta >= $0 } ?? true
            let relative =
                rule.minChangePct.map { threshold in
                    point.changePct.map { abs($0) >= threshold } ?? true
                } ?? true
            return absolute && relative
        }
    }

    private func isBad(_ point: ChangePoint, _ direction: Direction) -> Bool {
        direction == .lowerIsBetter
            ? point.meanAfter > point.meanBefore : point.meanAfter < point.meanBefore
    }

    // MARK: Judging

    /// Relative change in the bad direction, gated by a robust z-score against the baseline's
    /// median and MAD, and by a minimum effect, relative and absolute.
    func judge(
        _ pair: SeriesStatistic, unit: String, rule: ResolvedRule, value: Double?,
        baseline: [(run: Int64, value: Double)], pinnedRun: Bool,
        distributions: (p: Double, superiority: Double)? = nil
    ) -> SeriesVerdict {
        var verdict = SeriesVerdict(
            pair: pair, unit: unit, direction: rule.direction, verdict: .insufficientData,
            value: value, baseline: nil, spread: nil, changePct: nil, changeAbs: nil, z: nil,
            baselineRuns: baseline.map(\.run), mannWhitneyP: nil, superiority: nil, rule: rule,
            reason: "")
        let needed = pinnedRun ? 1 : config.minBaselineRuns
        let numbers = baseline.map(\.value)
        guard let value else {
            verdict.reason = "missing from the run (present in the baseline)"
            return verdict
        }
        guard numbers.count >= needed, let centre = Statistics.median(numbers) else {
            verdict.reason = "\(numbers.count) baseline runs, \(needed) needed"
            return verdict
        }
        let floor = rule.minSpreadPct.map { abs(centre) * $0 / 100 } ?? 0
        // MAD is 0 when most baseline values are equal (error rates of 0 with a few failures):
        // then the standard deviation stands in, so rare non-zero values count as noise.
        var robust = Statistics.robustSpread(numbers) ?? 0
        if robust == 0 { robust = Statistics.variance(numbers).map { $0.squareRoot() } ?? 0 }
        let spread = pinnedRun ? nil : max(robust, floor)
        let delta = value - centre
        let changePct = centre != 0 ? delta / abs(centre) * 100 : (delta == 0 ? 0 : nil)
        var z: Double?
        if let spread {
            z =
                spread > 0
                ? delta / spread : (delta == 0 ? 0 : (delta > 0 ? .infinity : -.infinity))
        }
        verdict.baseline = centre
        verdict.spread = spread
        verdict.changeAbs = delta
        verdict.changePct = changePct
        verdict.z = z
        let worse = rule.direction == .lowerIsBetter ? delta > 0 : delta < 0
        verdict.mannWhitneyP = distributions?.p
        verdict.superiority = distributions?.superiority
        // With both runs' distributions stored, the samples must differ too (Mann–Whitney).
        let samplesDiffer = distributions.map { $0.p <= Self.distributionAlpha } ?? true
        let significant = (z.map { abs($0) >= rule.minZ } ?? true) && samplesDiffer
        let absolute = rule.minChangeAbs.map { abs(delta) >= $0 } ?? true
        func relative(_ threshold: Double?) -> Bool {
            guard let threshold else { return true }
            guard let changePct else { return true }
            return abs(changePct) >= threshold
        }
        let effect = absolute && relative(rule.minChangePct)
        let describe = describeChange(changePct: changePct, delta: delta, unit: unit, z: z)
        if delta != 0 && significant && effect {
            verdict.verdict = worse ? .regression : .improved
            verdict.reason = "\(describe): past the thresholds" + thresholds(rule)
        } else if worse && significant && absolute && rule.warningChangePct != nil
            && relative(rule.warningChangePct)
        {
            verdict.verdict = .warning
            verdict.reason =
                "\(describe): past the warning threshold of \(Figure.format(rule.warningChangePct ?? 0)) %"
        } else {
            verdict.verdict = .ok
            verdict.reason = "\(describe): within" + thresholds(rule)
        }
        return verdict
    }

    private func describeChange(changePct: Double?, delta: Double, unit: String, z: Double?)
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

    private func thresholds(_ rule: ResolvedRule) -> String {
        var parts: [String] = []
        if let pct = rule.minChangePct { parts.append("\(Figure.format(pct)) %") }
        if let abs = rule.minChangeAbs { parts.append(Figure.format(abs)) }
        parts.append("z \(Figure.format(rule.minZ))")
        return " (" + parts.joined(separator: ", ") + ")"
    }

    /// The Mann–Whitney p-value a change must also reach when distributions are stored.
    static let distributionAlpha = 0.01

    /// Mann–Whitney U of the run's distribution of `series` against the merged distributions
    /// of the baseline runs, when the run and at least one baseline run have one.
    private func compareDistributions(series: String, run: Int64, baseline: [Int64]) throws
        -> (p: Double, superiority: Double)?
    {
        let stored = try warehouse.distributions(series: series, runs: [run] + baseline)
        guard let current = stored[run] else { return nil }
        var merged = Distribution()
        var any = false
        for id in baseline {
            if let distribution = stored[id] {
                merged.merge(distribution)
                any = true
            }
        }
        guard any, let test = Distribution.mannWhitney(current, merged) else { return nil }
        return (test.p, test.superiority)
    }

    // MARK: Change points

    /// Change points that appear when the run joins its history: in the series with the run,
    /// not without it.
    private func completedChangePoints(
        pairs: Set<SeriesStatistic>, catalog: [String: SeriesRecord], history: [RunRecord],
        run: RunRecord, values: [Int64: [SeriesStatistic: Double]]
    ) -> [ChangePointReport] {
        var reports: [ChangePointReport] = []
        for pair in pairs.sorted() {
            guard let series = catalog[pair.series], let rule = policy.rule(for: series) else {
                continue
            }
            let column: [(run: RunRecord, value: Double)] = (history + [run]).compactMap { item in
                guard let id = item.id, let value = values[id]?[pair] else { return nil }
                return (item, value)
            }
            guard column.last?.run.id == run.id, column.count >= 4 else { continue }
            let with = materialChangePoints(column.map(\.value), rule: rule)
            let without = Set(
                materialChangePoints(column.dropLast().map(\.value), rule: rule)
                    .map { column[$0.index].run.id })
            for point in with where !without.contains(column[point.index].run.id) {
                reports.append(
                    ChangePointReport(
                        pair: pair, run: column[point.index].run, before: point.meanBefore,
                        after: point.meanAfter, changePct: point.changePct, pValue: point.pValue,
                        isRegression: isBad(point, rule.direction)))
            }
        }
        return reports
    }

    // MARK: Storing

    private func store(_ report: CheckReport, catalog: [String: SeriesRecord], now: Date) throws {
        guard let runID = report.run.id else { return }
        let decided = Timestamp.format(now)
        try warehouse.write { db in
            try db.execute(sql: "DELETE FROM verdict WHERE run_id = ?", arguments: [runID])
            for verdict in report.verdicts {
                try db.execute(
                    sql: """
                        INSERT INTO verdict (run_id, series_id, statistic, verdict, value,
                            baseline_value, change_pct, evidence, decided_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        runID, catalog[verdict.pair.series]?.id, verdict.pair.statistic,
                        verdict.verdict.rawValue, verdict.value, verdict.baseline,
                        verdict.changePct,
                        JSONWriter.render(.object(CheckRenderer.evidence(verdict)), pretty: false),
                        decided,
                    ])
            }
            try db.execute(
                sql: """
                    INSERT INTO verdict (run_id, verdict, evidence, decided_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [
                    runID, report.verdict.rawValue,
                    JSONWriter.render(
                        .object(CheckRenderer.summaryEvidence(report)), pretty: false),
                    decided,
                ])
        }
    }
}
