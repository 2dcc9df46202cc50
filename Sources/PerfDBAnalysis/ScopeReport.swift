import Foundation
import PerfDBModel

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

    /// The report of the inputs; nothing is stored.
    public init(_ inputs: ScopeInputs, config: Config) throws {
        scope = inputs.check.baseline.scope
        check = Gate(config: config).judge(inputs.check)
        let trend = Trend(config: config)
        trends = try inputs.trends.map(trend.build).sorted {
            Self.magnitude($0) > Self.magnitude($1)
        }
        drift = Drift(config: config).analyze(inputs.drift)
        chaos = ChaosTrends(config: config).build(
            inputs.chaos, impacts: ChaosImpact(config: config).build(inputs.chaosImpacts))
    }

    private static func magnitude(_ trend: TrendReport) -> Double {
        guard let base = trend.baseline, base != 0, let last = trend.points.last?.value else {
            return 0
        }
        return abs(last / base - 1)
    }
}
