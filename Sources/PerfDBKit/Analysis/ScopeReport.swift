import Foundation

/// `perfdb report`: the whole picture of a scope in one document — the latest run, its gate
/// verdict and SLOs, the trends of the key series with their change points, drift, and chaos
/// resilience.
public struct ScopeReport: Sendable {
    public var scope: Scope
    public var check: CheckReport
    /// Trends of `http_req_duration` p95 overall and per endpoint (any `name`, `endpoint` or
    /// `url` tag), worst change first.
    public var trends: [TrendReport]
    public var drift: DriftReport
    public var chaos: [ChaosTrendReport]
}

/// Builds scope reports.
public struct ScopeReportBuilder: Sendable {
    public let warehouse: Warehouse
    public let config: Config

    /// Creates a builder.
    public init(warehouse: Warehouse, config: Config) {
        self.warehouse = warehouse
        self.config = config
    }

    /// The report of `scope` over its newest `last` runs; nothing is stored.
    public func build(scope: Scope, last: Int) throws -> ScopeReport {
        guard let latest = try warehouse.history(scope: scope, before: nil, limit: 1).last,
            let latestID = latest.id
        else {
            throw PerfDBError(.inputNotFound, "no valid load runs in \(scope)")
        }
        let check = try RegressionGate(warehouse: warehouse, config: config)
            .check(.id(latestID), store: false)
        let catalog = try warehouse.seriesCatalog()
        let latestValues = try warehouse.measurements(of: [latest])[latestID] ?? [:]
        let keySeries = Set(latestValues.keys.map(\.series)).filter { name in
            guard let series = catalog[name], series.metric == "http_req_duration" else {
                return false
            }
            let key = SeriesKey(parsing: name)
            return key?.tags.isEmpty == true
                || (key?.tags.count == 1
                    && ["name", "endpoint", "url"].contains(key?.tags.first?.key ?? ""))
        }
        let builder = TrendBuilder(warehouse: warehouse, config: config)
        var trends = try keySeries.sorted().map { name in
            try builder.trend(
                selector: SeriesSelector(series: name, metric: nil, tags: [:]), statistic: "p95",
                scope: scope, last: last, since: nil)
        }
        trends.sort { magnitude($0) > magnitude($1) }
        return ScopeReport(
            scope: scope, check: check, trends: trends,
            drift: try DriftAnalyzer(warehouse: warehouse, config: config).drift(scope: scope),
            chaos: try ChaosAnalyzer(warehouse: warehouse, config: config)
                .trends(family: nil, faultType: nil, name: nil))
    }

    private func magnitude(_ trend: TrendReport) -> Double {
        guard let base = trend.baseline, base != 0, let last = trend.points.last?.value else {
            return 0
        }
        return abs(last / base - 1)
    }
}
