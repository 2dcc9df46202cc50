import Foundation
import PerfDBAnalysis
import PerfDBModel
import PerfDBReport

/// The read side of perfdb, one pipeline per decision.
///
///     gather (one read transaction: a consistent snapshot of the store)
///       → judge (a pure function of what was gathered: PerfDBAnalysis)
///       → print the report, and meanwhile record (the store writes the decision, in one
///         write transaction)
///
/// A concurrent ingest lands before or after the snapshot, never between two of its reads.
struct Pipeline: Sendable {
    let warehouse: any Store
    let config: Config

    private var settings: GatherSettings { config.gatherSettings }

    /// `check`: the gate on one run, gathered and judged; `record` stores its verdicts while
    /// the report is printed.
    ///
    /// The figures first; then, in the same snapshot, the stored distributions of the few
    /// series whose verdict names a change, which the gate compares as evidence: a raw-stream
    /// run of a thousand series reads a handful of histograms, not a thousand.
    func check(
        _ reference: RunReference, selection: RunSelection, failOn: Verdict,
        onMissing: MissingPolicy?
    ) throws -> CheckReport {
        let gate = Gate(config: config)
        return try warehouse.gathering { reader in
            let inputs = try reader.checkInputs(
                reference, settings: settings, distributions: false, selection: selection)
            var report = gate.judge(inputs, failOn: failOn, onMissing: onMissing)
            let distributions = try reader.distributions(
                for: inputs, among: gate.comparedSeries(report))
            gate.compareDistributions(&report, distributions)
            return report
        }
    }

    /// Records a check's verdicts.
    func record(_ report: CheckReport) throws {
        guard let run = report.run.id else { return }
        try warehouse.recordVerdicts(report.records, run: run)
    }

    /// `slo check`: the SLOs of one run, gathered and judged; `record` stores the evaluation
    /// once the report is printed.
    func sloCheck(_ reference: RunReference, selection: RunSelection, now: Date = Date()) throws
        -> (run: RunRecord, evaluation: SLOEvaluationValue)
    {
        let inputs = try warehouse.gathering {
            try $0.checkInputs(
                reference, judgedBy: "SLOs judge", settings: settings, distributions: false,
                selection: selection)
        }
        var evaluation = SLOJudge(config: config).check(inputs)
        evaluation.evaluatedAt = now
        return (inputs.run, evaluation)
    }

    /// Records an SLO evaluation of a run.
    func record(_ evaluation: SLOEvaluationValue, of run: RunRecord) throws {
        guard let id = run.id else { return }
        try warehouse.recordEvaluation(evaluation, of: id, at: evaluation.evaluatedAt ?? Date())
    }

    /// `slo trend`: SLO statuses of the newest runs of a scope.
    func sloTrend(_ scope: ScopeOptions, last: Int) throws -> SLOTrend {
        let inputs = try warehouse.gathering { reader in
            try reader.runsInputs(scope: try scope.resolve(reader, settings), last: last)
        }
        return SLOJudge(config: config).trend(inputs)
    }

    /// `calibrate`: the gate's settings against a scope's own history.
    func calibrate(_ scope: ScopeOptions, last: Int, resamples: Int) throws -> CalibrationReport {
        let (inputs, catalog) = try warehouse.gathering { reader in
            (
                try reader.runsInputs(scope: try scope.resolve(reader, settings), last: last),
                try reader.seriesCatalog()
            )
        }
        guard inputs.runs.count > config.minBaselineRuns else {
            throw PerfDBError(
                .inputNotFound,
                "\(inputs.runs.count) valid load runs in \(inputs.scope); calibrating needs more "
                    + "than baseline.min_runs (\(config.minBaselineRuns))")
        }
        return Calibration(config: config).run(inputs, series: catalog, resamples: resamples)
    }

    /// `trend`: a series' history in a scope.
    func trend(
        _ selector: SeriesSelector, statistic: String?, scope: ScopeOptions, last: Int,
        since: Date?
    ) throws -> TrendReport {
        let inputs = try warehouse.reading { reader in
            try reader.trendInputs(
                selector, statistic: statistic, scope: try scope.resolve(reader, settings),
                last: last, since: since, settings: settings)
        }
        return try Trend(config: config).build(inputs)
    }

    /// `baseline drift`: how far a scope moved from its baseline.
    func drift(_ scope: ScopeOptions) throws -> DriftReport {
        let inputs = try warehouse.gathering { reader in
            try reader.driftInputs(scope: try scope.resolve(reader, settings), settings: settings)
        }
        return Drift(config: config).analyze(inputs)
    }

    /// `baseline show`: the baseline in force for the newest run of a scope.
    func baseline(_ scope: ScopeOptions) throws -> (choice: BaselineChoice, scope: Scope) {
        let inputs = try warehouse.reading { reader in
            let resolved = try scope.resolve(reader, settings)
            guard
                let newest = try reader.history(
                    scope: resolved, before: nil, including: false, limit: 1
                ).last
            else {
                throw PerfDBError(.inputNotFound, "no valid load runs in \(resolved)")
            }
            return try reader.baselineInputs(for: newest, scope: resolved, settings: settings)
        }
        return (BaselineChoice(inputs), inputs.scope)
    }

    /// `chaos trend`: every experiment's resilience figures over its runs.
    func chaosTrends(_ filter: ChaosFilter) throws -> [ChaosTrendReport] {
        let (entries, impacts) = try warehouse.reading { reader in
            (
                try reader.chaosEntries(filter),
                try reader.chaosImpactInputs(filter, chaosRun: nil, settings: settings)
            )
        }
        return ChaosTrends(config: config).build(
            entries.reversed(), impacts: ChaosImpact(config: config).build(impacts))
    }

    /// `chaos impact --trend`: one experiment's runs with load runs under them, oldest first,
    /// and its figures under the fault judged across those runs.
    func chaosImpactTrend(_ filter: ChaosFilter) throws -> ChaosTrendReport {
        let reports = try chaosTrends(filter)
        guard let report = reports.first(where: { !$0.impacts.isEmpty }) else {
            throw PerfDBError(
                .inputNotFound,
                "no run of experiment \"\(filter.name ?? "")\" has load runs under it "
                    + "(ingest --chaos-run links one)")
        }
        return report
    }

    /// `site`: every scope of the warehouse, every run and the chaos trends; nothing is recorded.
    ///
    /// A scope is a scenario and environment of the load runs, on the base branch; each has its
    /// report, the gate on each of its newest `last` runs, and its SLOs.
    func site(last: Int) throws -> SiteView {
        let gathered = try warehouse.gathering { reader in
            let runs = try reader.runs(matching: RunFilter())
            var scopes: [Scope] = []
            for run in runs.reversed() where run.kind == .load {
                let scope = Scope(
                    scenario: run.scenario, environment: run.environment,
                    branch: settings.baseBranch)
                if !scopes.contains(scope) { scopes.append(scope) }
            }
            let pages = try scopes.compactMap {
                scope -> (ScopeInputs, [CheckInputs], RunsInputs)? in
                let history = try reader.history(
                    scope: scope, before: nil, including: false, limit: last)
                guard !history.isEmpty else { return nil }
                return (
                    try reader.scopeInputs(scope: scope, last: last, settings: settings),
                    try history.compactMap(\.id).map {
                        try reader.checkInputs(.id($0), settings: settings, distributions: false)
                    },
                    RunsInputs(
                        scope: scope, runs: history, values: try reader.measurements(of: history))
                )
            }
            return (
                runs, pages, try reader.chaosEntries(ChaosFilter()),
                try reader.chaosImpactInputs(ChaosFilter(), chaosRun: nil, settings: settings)
            )
        }
        let gate = Gate(config: config)
        return SiteView(
            scopes: try gathered.1.map { inputs, checks, runs in
                SiteView.ScopePage(
                    report: try ScopeReport(inputs, config: config),
                    gateHistory: checks.map { gate.judge($0) },
                    slo: SLOJudge(config: config).trend(runs))
            },
            runs: gathered.0,
            chaos: ChaosTrends(config: config).build(
                gathered.2.reversed(), impacts: ChaosImpact(config: config).build(gathered.3)))
    }

    /// `chaos impact`: each chaos run's load runs under the fault against the normal baseline.
    func chaosImpact(_ filter: ChaosFilter, chaosRun: Int64?) throws -> [ChaosImpactReport] {
        let inputs = try warehouse.reading {
            try $0.chaosImpactInputs(filter, chaosRun: chaosRun, settings: settings)
        }
        return ChaosImpact(config: config).build(inputs)
    }

    /// `report`: the whole picture of a scope; nothing is recorded.
    func report(_ selection: RunSelection, last: Int) throws -> ScopeReport {
        let inputs = try warehouse.gathering { reader in
            let run = try reader.run(.latest, selection: selection)
            return try reader.scopeInputs(
                scope: Scope(
                    scenario: run.scenario, environment: run.environment,
                    branch: settings.baseBranch),
                run: run, last: last, settings: settings, mergeBase: selection.mergeBase)
        }
        return try ScopeReport(inputs, config: config)
    }

    /// `export`: the gate's judgement of the scope's latest run (nothing recorded), the SLO
    /// compliance of its newest `last` runs and every chaos experiment, gathered in one read.
    func export(_ selection: RunSelection, last: Int) throws -> MetricsExport {
        let (check, runs, chaos, impacts) = try warehouse.gathering { reader in
            let check = try reader.checkInputs(.latest, settings: settings, selection: selection)
            return (
                check, try reader.runsInputs(scope: check.baseline.scope, last: last),
                try reader.chaosEntries(ChaosFilter()),
                try reader.chaosImpactInputs(ChaosFilter(), chaosRun: nil, settings: settings)
            )
        }
        return MetricsExport(
            check: Gate(config: config).judge(check), slo: SLOJudge(config: config).trend(runs),
            chaos: ChaosTrends(config: config).build(
                chaos.reversed(), impacts: ChaosImpact(config: config).build(impacts)))
    }
}
