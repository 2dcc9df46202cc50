import PerfDBModel

/// Everything perfdb knows about k6's metrics and tags, in one place: the built-in metrics and
/// their types, units and bad directions, the tags that make series dimensions and the ones that
/// never do, and the submetrics k6 makes of its own.
///
/// Durations, failures and errors get worse upwards; throughput, checks and successes downwards;
/// sizes, gauges and VUs are neutral.
enum K6Catalogue {
    /// k6's built-in metrics and their types.
    static let builtInTypes: [String: MetricType] = {
        var types: [String: MetricType] = [
            "http_reqs": .counter, "iterations": .counter, "data_sent": .counter,
            "data_received": .counter, "dropped_iterations": .counter, "ws_sessions": .counter,
            "ws_msgs_sent": .counter, "ws_msgs_received": .counter, "grpc_streams": .counter,
            "grpc_streams_msgs_sent": .counter, "grpc_streams_msgs_received": .counter,
            "http_req_failed": .rate, "checks": .rate, "vus": .gauge, "vus_max": .gauge,
        ]
        for trend in timeTrends where !trend.hasPrefix("browser_") { types[trend] = .trend }
        return types
    }()

    /// k6's built-in trends of times (milliseconds).
    static let timeTrends: Set<String> = [
        "http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
        "http_req_sending", "http_req_waiting", "http_req_receiving", "iteration_duration",
        "group_duration", "ws_connecting", "ws_session_duration", "ws_ping",
        "grpc_req_duration", "browser_web_vital_lcp", "browser_web_vital_fcp",
    ]

    /// k6's own tags that make series dimensions (a script's tags do too).
    static let dimensionTags: Set<String> = [
        "name", "method", "status", "group", "scenario", "check", "expected_response", "url",
    ]

    /// k6's system tags that never make a series: per-VU, per-iteration, protocol details.
    static let droppedTags: Set<String> = [
        "proto", "subproto", "tls_version", "error", "error_code", "service", "ip", "vu", "iter",
        "ocsp_status", "metadata", "time", "timestamp",
    ]

    /// Submetrics k6 makes for its end-of-test summary, not for a threshold of the script's.
    static let ownSubmetrics: Set<String> = ["http_req_duration{expected_response:true}"]

    /// The unit of a metric's values; `contains` is k6's hint (`time`, `data`, `default`).
    static func unit(metric: String, type: MetricType, contains: String? = nil) -> String {
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
    static func direction(metric: String, type: MetricType) -> Direction {
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
        timeTrends.contains(metric) || metric.hasSuffix("_duration") || metric.hasSuffix("_time")
            || metric.hasSuffix("_latency") || metric.hasSuffix("_ms")
    }
}
