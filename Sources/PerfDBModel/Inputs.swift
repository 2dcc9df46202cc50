import Foundation

/// The figures of runs: per run id, each (series, statistic) and its value.
///
/// Held as one column a pair, each run at one place in every column. A check of a raw stream
/// reads a thousand pairs in fifty runs and judges each pair across the runs: one dictionary a
/// run would mean fifty thousand entries hashed to be stored and fifty thousand look-ups
/// scattered over megabytes to judge; here a row read is an array write, a pair's values side
/// by side.
public struct RunValues: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// Some runs' places in every column, in the runs' order (those the figures hold).
    public struct Places: Sendable {
        fileprivate var ids: [Int64] = []
        fileprivate var indices: [Int] = []
    }

    /// The runs, each at its place in every column.
    public private(set) var runs: [Int64] = []
    /// The pairs, each a column.
    public private(set) var pairs: [SeriesStatistic] = []
    private var position: [Int64: Int] = [:]
    private var index: [SeriesStatistic: Int] = [:]
    /// Every column one after the other, `stride` places each.
    ///
    /// `absent` where a run has no value. One array: a raw stream's two thousand pairs are not
    /// two thousand allocations.
    private var storage: [Double] = []
    private var stride = 0
    /// How many figures each run has.
    private var figures: [Int] = []

    /// The mark of a place without a value: a NaN no figure is (figures are finite).
    private static let absent = Double(nan: 0x0DEAD, signaling: false)

    private static func isAbsent(_ value: Double) -> Bool {
        value.bitPattern == absent.bitPattern
    }

    /// No figures.
    public init() {}

    /// Room for the figures of `ids`, none stored yet.
    public init(runs ids: [Int64]) {
        stride = ids.count
        for id in ids { _ = place(adding: id) }
    }

    /// The figures of each run.
    public init(dictionaryLiteral elements: (Int64, [SeriesStatistic: Double])...) {
        for (id, values) in elements { self[id] = values }
    }

    /// True when no run has a figure.
    public var isEmpty: Bool { !figures.contains { $0 > 0 } }

    /// The runs with at least one figure.
    public var keys: [Int64] { runs.indices.filter { figures[$0] > 0 }.map { runs[$0] } }

    /// The figures of run `id`, nil when it has none.
    ///
    /// Made on each call: for one run, not for every run of a loop over pairs
    /// (``value(_:run:)`` is).
    public subscript(_ id: Int64) -> [SeriesStatistic: Double]? {
        get {
            guard let place = position[id], figures[place] > 0 else { return nil }
            var values: [SeriesStatistic: Double] = [:]
            values.reserveCapacity(figures[place])
            for (column, pair) in pairs.enumerated() {
                let value = storage[column * stride + place]
                if !Self.isAbsent(value) { values[pair] = value }
            }
            return values
        }
        set {
            let place = place(adding: id)
            for column in pairs.indices {
                storage[column * stride + place] = Self.absent
            }
            figures[place] = 0
            for (pair, value) in newValue ?? [:] {
                set(value, column: column(adding: pair), place: place)
            }
        }
    }

    /// The value of `pair` in run `id`.
    public func value(_ pair: SeriesStatistic, run id: Int64) -> Double? {
        guard let place = position[id], let column = index[pair] else { return nil }
        let value = storage[column * stride + place]
        return Self.isAbsent(value) ? nil : value
    }

    /// The places of `runs`, to read many columns at.
    public func places(_ runs: [RunRecord]) -> Places {
        var places = Places()
        for run in runs {
            guard let id = run.id, let index = position[id] else { continue }
            places.ids.append(id)
            places.indices.append(index)
        }
        return places
    }

    /// The value of `pair` in each run of `places` that has one, in their order.
    public func column(_ pair: SeriesStatistic, at places: Places) -> [(run: Int64, value: Double)]
    {
        guard let column = index[pair] else { return [] }
        let base = column * stride
        var values: [(run: Int64, value: Double)] = []
        values.reserveCapacity(places.indices.count)
        for (id, index) in zip(places.ids, places.indices) {
            let value = storage[base + index]
            if !Self.isAbsent(value) { values.append((id, value)) }
        }
        return values
    }

    /// How many runs of `places` have `pair`.
    public func count(_ pair: SeriesStatistic, at places: Places) -> Int {
        guard let column = index[pair] else { return 0 }
        let base = column * stride
        return places.indices.count { !Self.isAbsent(storage[base + $0]) }
    }

    // MARK: Filling

    /// The place of run `id`, made when it has none.
    public mutating func place(adding id: Int64) -> Int {
        if let place = position[id] { return place }
        let place = runs.count
        if place >= stride { widen(to: max(place + 1, stride * 2)) }
        position[id] = place
        runs.append(id)
        figures.append(0)
        return place
    }

    /// The column of `pair`, made when it has none.
    public mutating func column(adding pair: SeriesStatistic) -> Int {
        if let column = index[pair] { return column }
        let column = pairs.count
        index[pair] = column
        pairs.append(pair)
        storage.append(contentsOf: repeatElement(Self.absent, count: stride))
        return column
    }

    /// Stores `value` in `column` at `place` (both made by this value).
    public mutating func set(_ value: Double, column: Int, place: Int) {
        let at = column * stride + place
        if Self.isAbsent(storage[at]) { figures[place] += 1 }
        storage[at] = value
    }

    /// Room for `places` runs in every column, the values kept.
    private mutating func widen(to places: Int) {
        var wider = [Double](repeating: Self.absent, count: pairs.count * places)
        for column in pairs.indices {
            for place in 0..<runs.count {
                wider[column * places + place] = storage[column * stride + place]
            }
        }
        storage = wider
        stride = places
    }

    public static func == (lhs: RunValues, rhs: RunValues) -> Bool {
        let keys = Set(lhs.keys)
        return keys == Set(rhs.keys) && keys.allSatisfy { lhs[$0] == rhs[$0] }
    }
}

/// What the baseline of one run is chosen from: the run, its scope's history before it, and
/// the scope's baseline log as it stood.
public struct BaselineInputs: Sendable {
    /// The run judged.
    public var run: RunRecord
    /// Its scope: its scenario and environment on the base branch.
    public var scope: Scope
    /// The scope's valid load runs (not invalidated, not aborted) before `run`, the newest ones
    /// the gate looks at, oldest first.
    public var history: [RunRecord]
    /// The pin in force (a pinned run or window), if any.
    public var pin: BaselineRecord?
    /// The pinned run, or the runs of the pinned window, oldest first.
    public var pinnedRuns: [RunRecord]
    /// The newest entry of the baseline log, of any kind.
    public var latestEntry: BaselineRecord?
    /// The run of `latestEntry`: the automatic baseline starts there.
    public var acceptedRun: RunRecord?
    /// The earliest run of the scope before `run` with a regression verdict decided after
    /// `latestEntry`: the automatic baseline stops before it.
    public var heldBackAt: RunRecord?
    /// The base branch's run of the pull request's merge-base commit: the history ends there.
    public var mergeBaseRun: RunRecord?

    /// Creates the inputs.
    public init(
        run: RunRecord, scope: Scope, history: [RunRecord], pin: BaselineRecord?,
        pinnedRuns: [RunRecord], latestEntry: BaselineRecord?, acceptedRun: RunRecord?,
        heldBackAt: RunRecord?, mergeBaseRun: RunRecord? = nil
    ) {
        self.mergeBaseRun = mergeBaseRun
        self.run = run
        self.scope = scope
        self.history = history
        self.pin = pin
        self.pinnedRuns = pinnedRuns
        self.latestEntry = latestEntry
        self.acceptedRun = acceptedRun
        self.heldBackAt = heldBackAt
    }

    /// Every run these inputs name, each once, oldest first.
    public var runs: [RunRecord] {
        var seen = Set<Int64>()
        return (pinnedRuns + history + [run]).filter {
            $0.id.map { seen.insert($0).inserted } ?? false
        }
    }
}

/// Everything `perfdb check` decides from, read in one transaction.
public struct CheckInputs: Sendable {
    public var baseline: BaselineInputs
    /// The figures of the run, its history and its pinned runs.
    public var values: RunValues
    /// The series these runs have, by name.
    public var series: [String: SeriesRecord]
    /// Stored distributions of the run's duration series: by series name, then run id (the run
    /// and the runs its baseline may draw from).
    public var distributions: [String: [Int64: DistributionBuckets]]
    /// The chaos run the judged run ran under, when it is a load run under fault.
    public var underChaos: ChaosLink?

    /// Creates the inputs.
    public init(
        baseline: BaselineInputs, values: RunValues, series: [String: SeriesRecord],
        distributions: [String: [Int64: DistributionBuckets]]
    ) {
        self.baseline = baseline
        self.values = values
        self.series = series
        self.distributions = distributions
    }

    /// The run judged.
    public var run: RunRecord { baseline.run }
}

/// Everything `perfdb trend` shows, read in one transaction.
public struct TrendInputs: Sendable {
    public var scope: Scope
    public var series: SeriesRecord
    public var statistic: String
    /// The valid runs shown, oldest first, by the columns a trend shows.
    public var runs: [RunIdentity]
    /// The baseline of the newest run shown.
    public var baseline: BaselineInputs?
    /// The values of the series and statistic of the runs shown and of the baseline's runs,
    /// by run id: one number a run, however many runs are shown.
    public var values: [Int64: Double]
    /// The stored verdict of the series and statistic per run id.
    public var verdicts: [Int64: Verdict]
    /// The stored distributions of the series in the runs shown, by run id.
    public var distributions: [Int64: DistributionBuckets]

    /// Creates the inputs.
    public init(
        scope: Scope, series: SeriesRecord, statistic: String, runs: [RunIdentity],
        baseline: BaselineInputs?, values: [Int64: Double], verdicts: [Int64: Verdict],
        distributions: [Int64: DistributionBuckets]
    ) {
        self.scope = scope
        self.series = series
        self.statistic = statistic
        self.runs = runs
        self.baseline = baseline
        self.values = values
        self.verdicts = verdicts
        self.distributions = distributions
    }
}

/// Everything `perfdb baseline drift` decides from, read in one transaction.
public struct DriftInputs: Sendable {
    /// The newest valid runs of the scope (the latest last), as many as recent and slope
    /// windows need.
    public var history: [RunRecord]
    /// The baseline of the latest run.
    public var baseline: BaselineInputs
    public var values: RunValues
    public var series: [String: SeriesRecord]

    /// Creates the inputs.
    public init(
        history: [RunRecord], baseline: BaselineInputs, values: RunValues,
        series: [String: SeriesRecord]
    ) {
        self.history = history
        self.baseline = baseline
        self.values = values
        self.series = series
    }
}

/// The newest valid runs of a scope with their figures, oldest first.
public struct RunsInputs: Sendable {
    public var scope: Scope
    public var runs: [RunRecord]
    public var values: RunValues

    /// Creates the inputs.
    public init(scope: Scope, runs: [RunRecord], values: RunValues) {
        self.scope = scope
        self.runs = runs
        self.values = values
    }
}

/// A stored chaos experiment with its run.
public struct ChaosEntry: Sendable {
    public var run: RunRecord
    public var experiment: ChaosExperimentRecord

    /// Creates an entry.
    public init(run: RunRecord, experiment: ChaosExperimentRecord) {
        self.run = run
        self.experiment = experiment
    }
}

/// Everything `perfdb report` shows about a scope, read in one transaction.
public struct ScopeInputs: Sendable {
    /// The scope's newest valid run, to judge.
    public var check: CheckInputs
    /// `http_req_duration` p95 overall and per endpoint (a `name`, `endpoint` or `url` tag).
    public var trends: [TrendInputs]
    public var drift: DriftInputs
    /// Every stored chaos experiment, oldest first.
    public var chaos: [ChaosEntry]
    /// The chaos runs with load runs under them, and those load runs.
    public var chaosImpacts: [ChaosImpactInputs]

    /// Creates the inputs.
    public init(
        check: CheckInputs, trends: [TrendInputs], drift: DriftInputs, chaos: [ChaosEntry],
        chaosImpacts: [ChaosImpactInputs] = []
    ) {
        self.check = check
        self.trends = trends
        self.drift = drift
        self.chaos = chaos
        self.chaosImpacts = chaosImpacts
    }
}

/// Which series a report is about: k6 notation (`--series`), or a metric with tags.
public struct SeriesSelector: Sendable {
    public var series: String?
    public var metric: String?
    public var tags: [String: String]

    /// Creates a selector.
    public init(series: String?, metric: String?, tags: [String: String]) {
        self.series = series
        self.metric = metric
        self.tags = tags
    }

    /// The one stored series selected; a usage error lists candidates when none or several
    /// match.
    public func resolve(in catalog: [String: SeriesRecord]) throws -> SeriesRecord {
        let key: SeriesKey
        if let series {
            guard let parsed = SeriesKey(parsing: series) else {
                throw PerfDBError(
                    .usage, "--series \"\(series)\" is not in k6 notation (metric{tag:value})")
            }
            key = parsed
        } else if let metric {
            key = SeriesKey(metric: metric, tags: tags.map { SeriesKey.Tag($0.key, $0.value) })
        } else {
            throw PerfDBError(.usage, "name a series with --series or --metric")
        }
        if let found = catalog[key.name] { return found }
        let candidates = catalog.values.filter { $0.metric == key.metric }.map(\.name).sorted()
        let hint =
            candidates.isEmpty
            ? "no series of metric \(key.metric) is stored"
            : "stored: " + candidates.prefix(12).joined(separator: ", ")
        throw PerfDBError(.inputNotFound, "no series \(key.name) (\(hint))")
    }

    /// The statistic shown by default for a series.
    public static func defaultStatistic(_ series: SeriesRecord) -> String {
        switch series.metricType {
        case .trend: "p95"
        case .rate, .counter: "rate"
        case .gauge: "value"
        }
    }
}

/// How far back gathering reads, from the configuration.
public struct GatherSettings: Sendable {
    /// The branch whose runs make a baseline.
    public var baseBranch: String
    /// How many runs before a judged run the gate looks at (baseline and change points).
    public var historyLimit: Int
    /// How many recent runs drift looks at.
    public var driftRuns: Int

    /// Creates settings.
    public init(baseBranch: String, historyLimit: Int, driftRuns: Int) {
        self.baseBranch = baseBranch
        self.historyLimit = historyLimit
        self.driftRuns = driftRuns
    }
}

/// Everything `chaos impact` decides from: a chaos experiment run and the load runs made under
/// it, each gathered as its check would be (its normal baseline), with its timelines.
public struct ChaosImpactInputs: Sendable {
    public var chaos: ChaosEntry
    public var loads: [LoadUnderFault]

    /// One load run made under the fault.
    public struct LoadUnderFault: Sendable {
        /// The run against its normal baseline (runs under fault left out).
        public var check: CheckInputs
        /// Its `http_req_duration` and `http_req_failed` timelines (raw streams), in time order.
        public var timelines: [(series: SeriesRecord, buckets: [TimelineRow])]

        /// Creates a load run's inputs.
        public init(
            check: CheckInputs, timelines: [(series: SeriesRecord, buckets: [TimelineRow])]
        ) {
            self.check = check
            self.timelines = timelines
        }
    }

    /// Creates the inputs.
    public init(chaos: ChaosEntry, loads: [LoadUnderFault]) {
        self.chaos = chaos
        self.loads = loads
    }
}
