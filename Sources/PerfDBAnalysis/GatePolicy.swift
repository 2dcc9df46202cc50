import PerfDBModel

/// The metric families the gate judges with their own defaults.
public enum MetricFamily: String, Sendable {
    /// Time trends (unit ms): http_req_duration, custom *_duration trends.
    case durations
    /// k6 Rate metrics: http_req_failed, checks, errorRate, successRate.
    case rates
    /// Counter rates with a direction: http_reqs and iterations per second.
    case throughput
}

/// The rule the gate applies to one series: which statistics, which way is bad, and the
/// effect and significance a change needs.
public struct ResolvedRule: Sendable, Equatable {
    public var family: MetricFamily
    public var statistics: [String]
    public var direction: Direction
    public var minChangePct: Double?
    public var minChangeAbs: Double?
    public var minZ: Double
    public var warningChangePct: Double?
    public var minSpreadPct: Double?
    public var minTailSamples: Double?

    /// False for a percentile with too few samples beyond it in a run of `count` samples.
    public func judges(statistic: String, count: Double?) -> Bool {
        guard let minTailSamples, let count, statistic.hasPrefix("p"),
            let percentile = Double(statistic.dropFirst())
        else { return true }
        return count * (1 - percentile / 100) >= minTailSamples
    }
}

/// Decides which series the gate judges and how: durations, rates and throughput with a
/// direction are judged; sizes, gauges, counts and neutral series are reported, not gated.
public struct GatePolicy: Sendable {
    public let config: Config

    /// Creates the policy of a configuration.
    public init(config: Config) {
        self.config = config
    }

    /// The rule that judges `pair` in a run whose figures are `values`, or nil when the pair
    /// is not judged: its series is unknown or not gated, the rule leaves out its statistic,
    /// or it is a percentile with too few samples beyond it.
    public func rule(
        for pair: SeriesStatistic, catalog: [String: SeriesRecord],
        values: [SeriesStatistic: Double]
    ) -> ResolvedRule? {
        guard let series = catalog[pair.series], let rule = rule(for: series),
            rule.statistics.contains(pair.statistic),
            rule.judges(
                statistic: pair.statistic,
                count: values[SeriesStatistic(series: pair.series, statistic: "count")])
        else { return nil }
        return rule
    }

    /// The family of a run's series and statistics the gate judges, `values` being its figures.
    public func family(
        _ values: [SeriesStatistic: Double], catalog: [String: SeriesRecord]
    ) -> JudgedFamily {
        family(
            values.keys.filter { rule(for: $0, catalog: catalog, values: values) != nil },
            catalog: catalog)
    }

    /// The family of the judged `pairs`.
    public func family(
        _ pairs: some Collection<SeriesStatistic>, catalog: [String: SeriesRecord]
    ) -> JudgedFamily {
        JudgedFamily(
            declared: pairs.filter { catalog[$0.series]?.declared ?? true }.count,
            all: pairs.count)
    }

    /// The rule for `series`, or nil when it is not gated.
    public func rule(for series: SeriesRecord) -> ResolvedRule? {
        let override = config.series[series.name] ?? config.series[series.metric]
        if override?.gate == false { return nil }
        let direction =
            override?.direction ?? series.direction
        guard direction != .neutral else { return nil }
        let family: MetricFamily
        let base: Config.GateRule
        switch (series.metricType, series.unit) {
        case (.trend, "ms"):
            family = .durations
            base = config.durations
        case (.rate, _):
            family = .rates
            base = config.rates
        case (.counter, "count"):
            family = .throughput
            base = config.throughput
        default:
            guard override?.gate == true else { return nil }
            family = .durations
            base = config.durations
        }
        let rule = override?.rule.applied(to: base) ?? base
        return ResolvedRule(
            family: family, statistics: rule.statistics, direction: direction,
            minChangePct: rule.minChangePct, minChangeAbs: rule.minChangeAbs, minZ: rule.minZ,
            warningChangePct: rule.warningChangePct, minSpreadPct: rule.minSpreadPct,
            minTailSamples: rule.minTailSamples)
    }
}

/// How many series and statistics of a run the gate judges, which the z needed divides its
/// false-alarm rate by (Bonferroni): `min_z` sets the false-alarm rate of a run, not of each
/// series.
///
/// The declared series — each metric overall and the submetrics its test declares, what a k6
/// summary holds — are counted apart from the views perfdb derives from a raw stream's tags
/// (per group, method, status, full tag set): a raw stream is judged on the series its summary
/// holds with the z its summary would need, never more leniently for holding more views. A
/// derived view is corrected for every pair judged, so the derived views together add at most
/// the declared ones' false-alarm rate (far less: they are the same requests, cut otherwise).
public struct JudgedFamily: Sendable, Equatable {
    /// The judged pairs of declared series.
    public var declared: Int
    /// Every judged pair.
    public var all: Int

    /// Creates a family.
    public init(declared: Int, all: Int) {
        self.declared = declared
        self.all = all
    }

    /// The number a pair's tail is divided by: the declared pairs for a declared series, all
    /// pairs for a derived view.
    public func size(declared isDeclared: Bool) -> Int {
        isDeclared ? max(declared, 1) : max(all, 1)
    }
}
