import Foundation
import PerfDBModel

@testable import PerfDBAnalysis

/// In-memory histories for the decision tests: runs, their figures and the baseline log, with
/// no database and no process.
struct History {
    var runs: [RunRecord] = []
    var values: RunValues = [:]
    var series: [String: SeriesRecord] = [
        "http_req_duration": SeriesRecord(
            id: 1, name: "http_req_duration", metric: "http_req_duration", metricType: .trend,
            unit: "ms", direction: .lowerIsBetter),
        "http_req_failed": SeriesRecord(
            id: 2, name: "http_req_failed", metric: "http_req_failed", metricType: .rate,
            unit: "ratio", direction: .lowerIsBetter),
        "http_reqs": SeriesRecord(
            id: 3, name: "http_reqs", metric: "http_reqs", metricType: .counter, unit: "count",
            direction: .higherIsBetter),
        "vus": SeriesRecord(
            id: 4, name: "vus", metric: "vus", metricType: .gauge, unit: "",
            direction: .neutral),
    ]

    static let scope = Scope(scenario: "load", environment: "staging", branch: "main")

    /// The latency series every history has.
    var latency: SeriesRecord {
        SeriesRecord(
            id: 1, name: "http_req_duration", metric: "http_req_duration", metricType: .trend,
            unit: "ms", direction: .lowerIsBetter)
    }

    /// A run started `day` days after 2026-11-01, with `figures` as (series, statistic, value).
    static func run(_ id: Int64, day: Double, status: RunStatus = .passed) -> RunRecord {
        RunRecord(
            id: id, kind: .load, tool: "k6", toolVersion: nil, sourceFormat: .k6SummaryExport,
            sourceFile: nil, scenario: "load", environment: "staging", branch: "main",
            commitId: String(format: "%040d", id), buildId: String(id), buildUrl: nil,
            pullRequest: nil, ciProvider: nil,
            startedAt: Timestamp.format(Date(timeIntervalSince1970: 1_793_491_200 + day * 86_400)),
            endedAt: nil, durationMs: nil, status: status, exitCode: nil, incomplete: false,
            contentDigest: "sha256:\(id)", ingestedAt: "2026-12-01T00:00:00.000Z",
            invalidated: false, invalidatedReason: nil, invalidatedAt: nil)
    }

    /// Runs 1…n, one a day, each with p95 (and count) of `http_req_duration` from `p95s`.
    init(p95s: [Double], count: Double = 1000) {
        for (index, p95) in p95s.enumerated() {
            add(p95: p95, count: count)
            _ = index
        }
    }

    init() {}

    /// Adds the next run with these figures of `http_req_duration`.
    mutating func add(p95: Double, count: Double = 1000, extra: [SeriesStatistic: Double] = [:]) {
        let id = Int64(runs.count + 1)
        runs.append(Self.run(id, day: Double(runs.count)))
        var figures = extra
        figures[SeriesStatistic(series: "http_req_duration", statistic: "p95")] = p95
        figures[SeriesStatistic(series: "http_req_duration", statistic: "count")] = count
        values[id] = figures
    }

    /// The baseline inputs of the last run, with everything before it as history.
    func baseline(
        pin: BaselineRecord? = nil, pinnedRuns: [RunRecord] = [],
        latestEntry: BaselineRecord? = nil,
        acceptedRun: RunRecord? = nil, heldBackAt: RunRecord? = nil
    ) -> BaselineInputs {
        BaselineInputs(
            run: runs[runs.count - 1], scope: Self.scope, history: Array(runs.dropLast()),
            pin: pin, pinnedRuns: pinnedRuns, latestEntry: latestEntry, acceptedRun: acceptedRun,
            heldBackAt: heldBackAt)
    }

    /// What `check` gathers for the last run.
    func checkInputs(_ baseline: BaselineInputs? = nil) -> CheckInputs {
        CheckInputs(
            baseline: baseline ?? self.baseline(), values: values, series: series,
            distributions: [:])
    }

    /// A baseline log entry of `kind` at run `run`.
    static func entry(_ kind: BaselineKind, run: Int64, window: Int? = nil) -> BaselineRecord {
        BaselineRecord(
            id: 1, scenario: "load", environment: "staging", branch: "main", kind: kind,
            runId: run, windowSize: window, setAt: "2026-11-20T00:00:00.000Z", setBy: "qa",
            reason: "test", supersededAt: nil, supersededBy: nil)
    }
}

extension CheckReport {
    /// The verdict of `series` `statistic`.
    func verdict(_ series: String = "http_req_duration", _ statistic: String = "p95")
        -> SeriesVerdict?
    {
        verdicts.first { $0.pair == SeriesStatistic(series: series, statistic: statistic) }
    }
}
