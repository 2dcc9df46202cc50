import Foundation
import GRDB

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
        case "trend": "p95"
        case "rate", "counter": "rate"
        default: "value"
        }
    }
}

/// A series' history for `perfdb trend`: its values run by run, the baseline in force for
/// the newest run, and the change points.
public struct TrendReport: Sendable {
    public var series: SeriesRecord
    public var statistic: String
    public var scope: Scope
    public var points: [(run: RunRecord, value: Double, verdict: String?)]
    /// The baseline centre for the newest run, and how it was chosen.
    public var baseline: Double?
    public var baselineKind: String?
    public var changePoints: [ChangePointReport]
    /// Theil–Sen slope over the points, in percent of the median per week.
    public var slopePctPerWeek: Double?
    /// The stored distributions of the shown runs merged into one (raw streams only).
    public var merged: MergedDistribution?
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

/// Builds trend reports.
public struct TrendBuilder: Sendable {
    public let warehouse: Warehouse
    public let config: Config

    /// Creates a builder.
    public init(warehouse: Warehouse, config: Config) {
        self.warehouse = warehouse
        self.config = config
    }

    /// The scope of the newest load run, with the flags' values where given.
    public func scope(scenario: String?, environment: String?, branch: String?) throws -> Scope {
        var filter = RunFilter()
        filter.kind = .load
        filter.scenario = scenario
        filter.environment = environment
        filter.branch = branch ?? config.baseBranch
        filter.limit = 1
        let newest = try warehouse.runs(matching: filter).first
        return Scope(
            scenario: scenario ?? newest?.scenario, environment: environment ?? newest?.environment,
            branch: branch ?? config.baseBranch)
    }

    /// The trend of one series and statistic in `scope`: the newest `last` valid runs, or
    /// those since `since`.
    public func trend(
        selector: SeriesSelector, statistic: String?, scope: Scope, last: Int, since: Date?
    ) throws -> TrendReport {
        let catalog = try warehouse.seriesCatalog()
        let series = try selector.resolve(in: catalog)
        let stat = statistic ?? SeriesSelector.defaultStatistic(series)
        var runs = try warehouse.history(scope: scope, before: nil, limit: last)
        if let since {
            let bound = Timestamp.format(since)
            runs = runs.filter { $0.startedAt >= bound }
        }
        let values = try warehouse.measurements(of: runs)
        let pair = SeriesStatistic(series: series.name, statistic: stat)
        let verdicts = try warehouse.storedVerdicts(pair: pair, runs: runs)
        let points: [(run: RunRecord, value: Double, verdict: String?)] = runs.compactMap { run in
            guard let id = run.id, let value = values[id]?[pair] else { return nil }
            return (run, value, verdicts[id])
        }
        guard !points.isEmpty else {
            throw PerfDBError(
                .inputNotFound,
                "no values of \(series.name) \(stat) in \(scope) (try another --stat or scope)")
        }
        let detector = config.changePoints
        let direction = Direction(rawValue: series.direction) ?? .neutral
        let changePoints = detector.changePoints(points.map(\.value)).map { point in
            ChangePointReport(
                pair: pair, run: points[point.index].run, before: point.meanBefore,
                after: point.meanAfter, changePct: point.changePct, pValue: point.pValue,
                isRegression: direction == .lowerIsBetter
                    ? point.meanAfter > point.meanBefore
                    : direction == .higherIsBetter && point.meanAfter < point.meanBefore)
        }
        var baseline: Double?
        var baselineKind: String?
        if let newest = points.last?.run {
            let gate = RegressionGate(warehouse: warehouse, config: config)
            let choice = try gate.baselineChoice(for: newest, scope: scope)
            let all = try warehouse.measurements(of: choice.runs)
            if let rule = GatePolicy(config: config).rule(for: series) {
                let column = gate.baselineValues(pair, rule: rule, choice: choice, values: all)
                baseline = Statistics.median(column.map(\.value))
            } else {
                let column = choice.runs.compactMap { $0.id.flatMap { all[$0]?[pair] } }
                baseline = Statistics.median(Array(column.suffix(config.baselineWindow)))
            }
            baselineKind = choice.kind
        }
        var merged: MergedDistribution?
        if series.metricType == "trend" {
            let stored = try warehouse.distributions(
                series: series.name, runs: points.compactMap(\.run.id))
            if !stored.isEmpty {
                var distribution = Distribution()
                for (_, one) in stored.sorted(by: { $0.key < $1.key }) { distribution.merge(one) }
                merged = MergedDistribution(
                    runs: stored.count, count: distribution.count, p50: distribution.quantile(0.5),
                    p90: distribution.quantile(0.9), p95: distribution.quantile(0.95),
                    p99: distribution.quantile(0.99))
            }
        }
        return TrendReport(
            series: series, statistic: stat, scope: scope, points: points, baseline: baseline,
            baselineKind: baselineKind, changePoints: changePoints,
            slopePctPerWeek: Self.slopePctPerWeek(points.map { ($0.run, $0.value) }), merged: merged
        )
    }

    /// Theil–Sen slope of values over time, as percent of their median per week.
    static func slopePctPerWeek(_ points: [(RunRecord, Double)]) -> Double? {
        let dated = points.compactMap { run, value in
            Timestamp.parse(run.startedAt).map { ($0.timeIntervalSince1970 / 604_800, value) }
        }
        guard dated.count >= 3, let median = Statistics.median(dated.map(\.1)), median != 0,
            let slope = Statistics.theilSenSlope(x: dated.map(\.0), y: dated.map(\.1))
        else { return nil }
        return slope / abs(median) * 100
    }
}

extension Warehouse {
    /// The stored verdict of `pair` per run id.
    func storedVerdicts(pair: SeriesStatistic, runs: [RunRecord]) throws -> [Int64: String] {
        let ids = runs.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        return try read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            var result: [Int64: String] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT v.run_id, v.verdict FROM verdict v JOIN series s ON s.id = v.series_id
                    WHERE s.name = ? AND v.statistic = ? AND v.run_id IN (\(placeholders))
                    """,
                arguments: StatementArguments([pair.series, pair.statistic])
                    + StatementArguments(ids))
            for row in rows { result[row[0]] = row[1] }
            return result
        }
    }
}
