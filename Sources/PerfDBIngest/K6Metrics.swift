import PerfDBModel

/// perfdb's defaults for a metric: its unit and which way it gets worse, from its name and k6 type.
///
/// Durations, failures and errors get worse upwards; throughput, checks and successes downwards;
/// sizes, gauges and VUs are neutral.
public enum MetricDefaults {
    private static let k6TimeTrends: Set<String> = [
        "http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
        "http_req_sending", "http_req_waiting", "http_req_receiving", "iteration_duration",
        "group_duration", "ws_connecting", "ws_session_duration", "ws_ping",
        "grpc_req_duration", "browser_web_vital_lcp", "browser_web_vital_fcp",
    ]

    /// The unit of a metric's values; `contains` is k6's hint (`time`, `data`, `default`).
    public static func unit(metric: String, type: MetricType, contains: String? = nil) -> String {
        switch type {
        case .trend:
            if contains == "time" { return "ms" }
            if contains == "data" { return "bytes" }
            if contains == nil && isTimeLike(metric) { return "ms" }
            return ""
        case .counter:
            if contains == "data" || metric == "data_received" || metric == "data_sent" {
                return "bytes"
            }
            return "count"
        case .rate:
            return "ratio"
        case .gauge:
            return ""
        }
    }

    /// Which way the metric gets worse.
    public static func direction(metric: String, type: MetricType) -> Direction {
        let lower = metric.lowercased()
        let bad = ["fail", "error", "dropped", "timeout", "reject"]
        let good = ["success", "pass", "checks", "http_reqs", "iterations", "throughput"]
        if bad.contains(where: lower.contains) { return .lowerIsBetter }
        if good.contains(where: lower.contains) && lower != "dropped_iterations" {
            return .higherIsBetter
        }
        switch type {
        case .trend: return isTimeLike(metric) ? .lowerIsBetter : .neutral
        case .rate, .counter, .gauge: return .neutral
        }
    }

    private static func isTimeLike(_ metric: String) -> Bool {
        k6TimeTrends.contains(metric) || metric.hasSuffix("_duration") || metric.hasSuffix("_time")
            || metric.hasSuffix("_latency") || metric.hasSuffix("_ms")
    }
}
