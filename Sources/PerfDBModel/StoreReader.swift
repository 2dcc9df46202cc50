import Foundation

/// The reads of the warehouse, answered inside one read transaction.
///
/// Every call on one reader sees the same consistent snapshot, whatever is written meanwhile.
/// Each engine implements it (`SQLiteReader`, `PostgresReader`); gathering (`checkInputs` and the others) is
/// written once over this protocol.
public protocol StoreReader {
    /// The run a reference names; exit 66 when there is none.
    func run(_ reference: RunReference) throws -> RunRecord
    /// Runs matching the filter, newest first.
    func runs(matching filter: RunFilter) throws -> [RunRecord]
    /// Valid load runs of `scope` (not invalidated, not aborted), oldest first: the newest
    /// `limit` that started before `run` (or all when `run` is nil), and `run` itself last
    /// when `including` is set.
    func history(scope: Scope, before run: RunRecord?, including: Bool, limit: Int) throws
        -> [RunRecord]
    /// The measurements of `runs`, keyed by run id and (series name, statistic).
    func measurements(of runs: [RunRecord]) throws -> RunValues
    /// The valid load runs of `scope` as a trend shows them, oldest first: the newest `limit`,
    /// as ``history(scope:before:including:limit:)`` with no `run`, with only the columns of
    /// ``RunIdentity``.
    func trendRuns(scope: Scope, limit: Int) throws -> [RunIdentity]
    /// The values of one series and statistic in the runs `ids`, by run id: what a trend
    /// reads, however long the history.
    func values(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Double]
    /// Every series, keyed by name.
    func seriesCatalog() throws -> [String: SeriesRecord]
    /// The pinned baseline of `scope` in force (`run` or `window`), if any.
    func pinnedBaseline(_ scope: Scope) throws -> BaselineRecord?
    /// The newest baseline entry of `scope` (any kind).
    func latestBaselineEntry(_ scope: Scope) throws -> BaselineRecord?
    /// The baseline log, newest first; all scopes when `scope` is nil.
    func baselineLog(_ scope: Scope?) throws -> [BaselineRecord]
    /// The earliest run of `scope` before `run` with a stored regression verdict decided after
    /// `entry` (any, when there is no entry).
    func earliestRegression(scope: Scope, after entry: BaselineRecord?, before run: RunRecord)
        throws -> RunRecord?
    /// The stored distributions of `series` in `runs`, by run id.
    func distributions(series: String, runs: [Int64]) throws -> [Int64: DistributionBuckets]
    /// The names of the series the run stored a distribution of.
    func distributedSeries(run: Int64) throws -> Set<String>
    /// The stored verdict of `pair` in the runs `ids`, per run id.
    func verdicts(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Verdict]
    /// Stored chaos experiments, newest first.
    func chaosEntries(_ filter: ChaosFilter) throws -> [ChaosEntry]
    /// A run with everything stored with it.
    func runDetail(_ reference: RunReference) throws -> RunDetail
    /// The timelines stored with a run, by series name, buckets in time order.
    func timelines(run: Int64) throws -> [(series: SeriesRecord, buckets: [TimelineRow])]
    /// The chaos run a load run ran under, if it is linked to one.
    func chaosLink(of run: Int64) throws -> ChaosLink?
    /// The load runs linked to a chaos run, oldest first.
    func loadRuns(underChaosRun chaosRun: Int64) throws -> [Int64]
}

/// Which chaos experiments to read.
public struct ChaosFilter: Sendable {
    public var family: String?
    public var faultType: String?
    public var name: String?
    public var environment: String?
    public var branch: String?
    public var limit: Int?

    /// Creates a filter; nil keeps every value.
    public init(
        family: String? = nil, faultType: String? = nil, name: String? = nil,
        environment: String? = nil, branch: String? = nil, limit: Int? = nil
    ) {
        self.family = family
        self.faultType = faultType
        self.name = name
        self.environment = environment
        self.branch = branch
        self.limit = limit
    }
}

/// Which load run `latest` means for a job: the newest of its scenario, environment, branch
/// and commit.
///
/// `required` values come from flags and the CI system: no run matches without them.
/// `preferred` values come from git in the working directory: they narrow the choice when a
/// run matches them, and are dropped (with `droppedPreference` set) when none does.
public struct RunSelection: Sendable {
    public var required = RunFilter()
    public var preferredBranch: String?
    public var preferredCommit: String?
    /// The base branch's commit a pull request branched from, if known.
    public var mergeBase: String?

    /// Selects the newest load run.
    public init() {}

    /// The filter's values in words, for a message.
    public var description: String {
        let parts = [
            required.scenario.map { "scenario \($0)" },
            required.environment.map { "environment \($0)" },
            required.branch.map { "branch \($0)" },
            required.commit.map { "commit \($0)" },
        ].compactMap { $0 }
        return parts.isEmpty ? "any scope" : parts.joined(separator: ", ")
    }
}

// MARK: Gathering

extension StoreReader {
    /// The run `reference` names; `latest` is the newest load run the selection allows.
    public func run(_ reference: RunReference, selection: RunSelection) throws -> RunRecord {
        guard reference == .latest else { return try run(reference) }
        var filter = selection.required
        filter.kind = .load
        filter.limit = 1
        var preferred = filter
        preferred.branch = filter.branch ?? selection.preferredBranch
        preferred.commit = filter.commit ?? selection.preferredCommit
        if let run = try runs(matching: preferred).first { return run }
        if let run = try runs(matching: filter).first { return run }
        throw PerfDBError(.inputNotFound, "no load run of \(selection.description) is stored")
    }

    /// The load run `reference` names and the scope of its baseline (its scenario and
    /// environment on the base branch); another kind of run is a usage error that says what
    /// `judge` (`check judges`) accepts.
    public func loadRun(
        _ reference: RunReference, judgedBy judge: String, settings: GatherSettings,
        selection: RunSelection = RunSelection()
    ) throws -> (run: RunRecord, scope: Scope) {
        let run = try run(reference, selection: selection)
        guard run.kind == .load, run.id != nil else {
            throw PerfDBError(
                .usage, "run \(run.id ?? 0) is a \(run.kind.rawValue) run; \(judge) load runs")
        }
        return (
            run,
            Scope(scenario: run.scenario, environment: run.environment, branch: settings.baseBranch)
        )
    }

    /// What the baseline of `run` in `scope` is chosen from.
    public func baselineInputs(
        for run: RunRecord, scope: Scope, settings: GatherSettings, mergeBase: String? = nil
    ) throws -> BaselineInputs {
        let pin = try pinnedBaseline(scope)
        var pinnedRuns: [RunRecord] = []
        if let pin {
            let pinnedRun = try self.run(.id(pin.runId))
            pinnedRuns =
                pin.kind == .run
                ? [pinnedRun]
                : try history(
                    scope: scope, before: pinnedRun, including: true,
                    limit: max((pin.windowSize ?? 1) - 1, 0))
        }
        let entry = try latestBaselineEntry(scope)
        let base = try mergeBase.flatMap { try mergeBaseRun($0, of: run, in: scope) }
        return BaselineInputs(
            run: run, scope: scope,
            history: try history(
                scope: scope, before: base ?? run, including: base != nil,
                limit: settings.historyLimit),
            pin: pin, pinnedRuns: pinnedRuns, latestEntry: entry,
            acceptedRun: try entry.map { try self.run(.id($0.runId)) },
            heldBackAt: try earliestRegression(scope: scope, after: entry, before: run),
            mergeBaseRun: base)
    }

    /// The newest valid run of `scope` at commit `mergeBase` that started before `run`.
    func mergeBaseRun(_ mergeBase: String, of run: RunRecord, in scope: Scope) throws
        -> RunRecord?
    {
        var filter = RunFilter()
        filter.kind = .load
        filter.scenario = scope.scenario
        filter.environment = scope.environment
        filter.branch = scope.branch
        filter.commit = mergeBase
        return try runs(matching: filter).first {
            !$0.invalidated && $0.status != .aborted && $0.startedAt < run.startedAt
                && $0.id != run.id
        }
    }

    /// Everything `check` (and `slo check`) decides from.
    public func checkInputs(
        _ reference: RunReference, judgedBy judge: String = "check judges",
        settings: GatherSettings, distributions: Bool = true,
        selection: RunSelection = RunSelection()
    ) throws -> CheckInputs {
        let (run, scope) = try loadRun(
            reference, judgedBy: judge, settings: settings, selection: selection)
        return try checkInputs(
            run: run, scope: scope, settings: settings, distributions: distributions,
            mergeBase: selection.mergeBase)
    }

    /// Everything the check of `run` in `scope` decides from.
    func checkInputs(
        run: RunRecord, scope: Scope, settings: GatherSettings, distributions: Bool,
        mergeBase: String? = nil
    ) throws -> CheckInputs {
        let baseline = try baselineInputs(
            for: run, scope: scope, settings: settings, mergeBase: mergeBase)
        let values = try measurements(of: baseline.runs)
        let catalog = try seriesCatalog()
        var inputs = CheckInputs(
            baseline: baseline, values: values, series: catalog, distributions: [:])
        if distributions {
            inputs.distributions = try self.distributions(for: inputs, among: nil)
        }
        inputs.underChaos = try run.id.flatMap(chaosLink(of:))
        return inputs
    }

    /// The stored distributions a check of `inputs.run` compares: of each duration series
    /// (of `among`, when given) the run stored one of, in the run and the runs its baseline may
    /// draw from; by series name, then run id.
    public func distributions(for inputs: CheckInputs, among names: Set<String>?) throws
        -> [String: [Int64: DistributionBuckets]]
    {
        guard let runID = inputs.run.id, names?.isEmpty != true else { return [:] }
        let ids = inputs.baseline.runs.compactMap(\.id)
        var stored: [String: [Int64: DistributionBuckets]] = [:]
        for name in try distributedSeries(run: runID).sorted()
        where names?.contains(name) ?? true
            && inputs.series[name].map({ $0.metricType == .trend && $0.unit == "ms" }) == true
        {
            stored[name] = try self.distributions(series: name, runs: ids)
        }
        return stored
    }

    /// The scope of the newest load run, with the given values where given.
    public func scope(
        scenario: String?, environment: String?, branch: String?, settings: GatherSettings
    ) throws -> Scope {
        var filter = RunFilter()
        filter.kind = .load
        filter.scenario = scenario
        filter.environment = environment
        filter.branch = branch ?? settings.baseBranch
        filter.limit = 1
        let newest = try runs(matching: filter).first
        return Scope(
            scenario: scenario ?? newest?.scenario, environment: environment ?? newest?.environment,
            branch: branch ?? settings.baseBranch)
    }

    /// Everything `trend` shows: the series' newest `last` valid runs (or those since
    /// `since`), the baseline of the newest, stored verdicts and distributions.
    public func trendInputs(
        _ selector: SeriesSelector, statistic: String?, scope: Scope, last: Int, since: Date?,
        settings: GatherSettings
    ) throws -> TrendInputs {
        let series = try selector.resolve(in: try seriesCatalog())
        let stat = statistic ?? SeriesSelector.defaultStatistic(series)
        var runs = try trendRuns(scope: scope, limit: last)
        if let since {
            let bound = Timestamp.format(since)
            runs.removeAll { $0.startedAt < bound }
        }
        let pair = SeriesStatistic(series: series.name, statistic: stat)
        let ids = runs.compactMap(\.id)
        var figures = try values(of: pair, runs: ids)
        let valued = ids.filter { figures[$0] != nil }
        var baseline: BaselineInputs?
        if let newest = valued.last {
            // The one run whose whole row the baseline's choice reads.
            let inputs = try baselineInputs(
                for: try run(.id(newest)), scope: scope, settings: settings)
            let older = inputs.runs.compactMap(\.id).filter { figures[$0] == nil }
            figures.merge(try values(of: pair, runs: older)) { shown, _ in shown }
            baseline = inputs
        }
        return TrendInputs(
            scope: scope, series: series, statistic: stat, runs: runs, baseline: baseline,
            values: figures, verdicts: try verdicts(of: pair, runs: ids),
            distributions: series.metricType == .trend
                ? try distributions(series: series.name, runs: valued) : [:])
    }

    /// Everything `chaos impact` decides from: each chaos run the filter (or `chaosRun`) names
    /// that has load runs linked to it, newest first, each load run with its normal baseline in
    /// its scenario and environment on the base branch.
    public func chaosImpactInputs(
        _ filter: ChaosFilter, chaosRun: Int64?, settings: GatherSettings
    ) throws -> [ChaosImpactInputs] {
        var unlimited = filter
        unlimited.limit = nil
        var entries = try chaosEntries(unlimited)
        if let chaosRun {
            entries = entries.filter { $0.run.id == chaosRun }
            guard !entries.isEmpty else {
                throw PerfDBError(.inputNotFound, "run \(chaosRun) is not a stored chaos run")
            }
        }
        let impacts = try entries.compactMap { entry -> ChaosImpactInputs? in
            guard let id = entry.run.id else { return nil }
            let loads = try loadRuns(underChaosRun: id).map { loadID in
                let run = try run(.id(loadID))
                let check = try checkInputs(
                    run: run,
                    scope: Scope(
                        scenario: run.scenario, environment: run.environment,
                        branch: settings.baseBranch),
                    settings: settings, distributions: false)
                let wanted: Set<String> = ["http_req_duration", "http_req_failed"]
                return ChaosImpactInputs.LoadUnderFault(
                    check: check,
                    timelines: try timelines(run: loadID).filter { wanted.contains($0.series.name) }
                )
            }
            guard chaosRun != nil || !loads.isEmpty else { return nil }
            return ChaosImpactInputs(chaos: entry, loads: loads)
        }
        return Array(impacts.prefix(filter.limit ?? impacts.count))
    }

    /// Everything `baseline drift` decides from: the newest valid runs of `scope` and the
    /// baseline of the latest.
    public func driftInputs(scope: Scope, settings: GatherSettings) throws -> DriftInputs {
        let history = try history(
            scope: scope, before: nil, including: false, limit: settings.driftRuns)
        guard let latest = history.last else {
            throw PerfDBError(.inputNotFound, "no valid load runs in \(scope)")
        }
        let baseline = try baselineInputs(for: latest, scope: scope, settings: settings)
        var seen = Set<Int64>()
        let runs = (history + baseline.runs).filter {
            $0.id.map { seen.insert($0).inserted } ?? false
        }
        return DriftInputs(
            history: history, baseline: baseline, values: try measurements(of: runs),
            series: try seriesCatalog())
    }

    /// The newest `last` valid runs of `scope` with their figures.
    public func runsInputs(scope: Scope, last: Int) throws -> RunsInputs {
        let runs = try history(scope: scope, before: nil, including: false, limit: last)
        return RunsInputs(scope: scope, runs: runs, values: try measurements(of: runs))
    }

    /// Everything `report` shows about `scope` over its newest `last` runs, with the check of
    /// `run` (default: the scope's newest valid run).
    public func scopeInputs(
        scope: Scope, run: RunRecord? = nil, last: Int, settings: GatherSettings,
        mergeBase: String? = nil
    ) throws -> ScopeInputs {
        guard
            let latest = try run
                ?? history(scope: scope, before: nil, including: false, limit: 1).last,
            let latestID = latest.id
        else {
            throw PerfDBError(.inputNotFound, "no valid load runs in \(scope)")
        }
        let check = try checkInputs(
            run: latest,
            scope: Scope(
                scenario: latest.scenario, environment: latest.environment,
                branch: settings.baseBranch),
            settings: settings, distributions: true, mergeBase: mergeBase)
        let keySeries = Set((check.values[latestID] ?? [:]).keys.map(\.series))
            .filter { check.series[$0] != nil && SeriesKey(parsing: $0)?.isKeyLatency == true }
        let trends = try keySeries.sorted().map { name in
            try trendInputs(
                SeriesSelector(series: name, metric: nil, tags: [:]), statistic: "p95",
                scope: scope, last: last, since: nil, settings: settings)
        }
        return ScopeInputs(
            check: check, trends: trends, drift: try driftInputs(scope: scope, settings: settings),
            chaos: try chaosEntries(ChaosFilter()).reversed(),
            chaosImpacts: try chaosImpactInputs(ChaosFilter(), chaosRun: nil, settings: settings))
    }
}
