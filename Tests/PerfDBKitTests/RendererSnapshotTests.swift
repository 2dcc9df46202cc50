import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBReport

/// Every report in every format it prints, from in-memory values, against golden files under
/// Tests/Snapshots/render/ (re-recorded with PERFDB_RECORD=1 and reviewed as diffs).
@Suite struct RendererSnapshotTests {
    /// A report's name and how it renders in each format.
    struct Case {
        var name: String
        var render: (OutputFormat) throws -> String
        /// The pieces the report hands its writer.
        var pieces: (OutputFormat) throws -> [String]

        init(_ name: String, _ report: some Renderable) {
            self.name = name
            render = { try report.render($0) }
            pieces = { format in
                var pieces: [String] = []
                try report.write(format) { pieces.append($0) }
                return pieces
            }
        }
    }

    static let names = [
        "check", "trend", "drift", "slo-check", "slo-trend", "chaos-list", "chaos-trend",
        "baseline-show", "baseline-history", "runs-list", "run-show", "timeline", "merge", "doctor",
        "query",
    ]

    static let config = GateTests.config

    static var check: CheckReport {
        var history = History(p95s: GateTests.steady)
        history.add(p95: 130)
        return Gate(config: Config()).judge(history.checkInputs())
    }

    static var trend: TrendReport {
        get throws {
            let history = History(p95s: GateTests.steady + [150, 151, 149, 150, 150, 151])
            return try Trend(config: config).build(
                TrendTests.inputs(history, verdicts: [11: .regression]))
        }
    }

    static var drift: DriftReport {
        var history = History(p95s: GateTests.steady)
        for p95 in [115.0, 116, 114, 115, 115] { history.add(p95: p95) }
        return DriftTests.drift(history, pinned: Array(history.runs.prefix(5)))
    }

    static var chaos: [ChaosEntry] {
        (1...3).map { index in
            var value = ChaosExperimentValue(
                name: "PMS outage", outcome: index == 3 ? .failed : .passed, rolledBack: index == 3,
                startedAt: Date(timeIntervalSince1970: 1_793_491_200 + Double(index) * 86_400))
            value.family = .pms
            value.faultType = .exception
            value.mttrSeconds = 30 + Double(index) * 10
            value.mttrTargetSeconds = 90
            value.availabilityPct = 99 - Double(index)
            value.errorRatePct = 1 + Double(index)
            var run = History.run(Int64(index), day: Double(index))
            run.kind = .chaos
            return ChaosEntry(
                run: run, experiment: ChaosExperimentRecord(value, runId: Int64(index)))
        }
    }

    static var detail: RunDetail {
        let run = History.run(7, day: 6)
        let series = SeriesRecord(
            id: 1, name: "http_req_duration{name:live}", metric: "http_req_duration",
            metricType: .trend, unit: "ms", direction: .lowerIsBetter)
        return RunDetail(
            run: run, labels: [(key: "testid", value: "t1")],
            metrics: [
                (series: series, statistics: [("avg", 12.5), ("p95", 20.25), ("count", 100)])
            ],
            thresholds: [
                (
                    series: "http_req_duration", expression: "p(95)<3000", passed: true,
                    abortOnFail: false
                ),
                (
                    series: "http_req_failed", expression: "rate<0.01", passed: nil,
                    abortOnFail: true
                ),
            ],
            checks: [(groupPath: "::booking", name: "status is 200", passes: 99, fails: 1)],
            slo: nil, chaos: nil)
    }

    static var timeline: TimelineReport {
        let series = SeriesRecord(
            id: 1, name: "http_req_duration", metric: "http_req_duration", metricType: .trend,
            unit: "ms", direction: .lowerIsBetter)
        let buckets = (0..<8).map { index -> TimelineRow in
            let step = Double(index)
            let start = Date(timeIntervalSince1970: 1_793_491_200 + step * 10)
            return TimelineRow(
                start: Timestamp.format(start), seconds: 10, count: 100, avg: 10 + step * 2,
                min: 5, max: 50, p50: 10 + step * 2, p95: 20 + step * 5, p99: 30 + step * 5,
                rate: nil, sum: nil)
        }
        return TimelineReport(run: History.run(1, day: 0), timelines: [(series, buckets)])
    }

    static var evaluation: SLOEvaluationValue {
        SLOEvaluator.evaluate(
            SLODefinition.defaults, config: Config(),
            value: { series, statistic in
                let figures: [String: Double] = [
                    "http_req_duration p95": 2500, "http_req_duration p99": 3000,
                    "http_req_duration avg": 900, "http_req_failed rate": 0.02,
                    "http_reqs rate": 40, "checks rate": 1,
                ]
                return figures[series + " " + statistic]
            }, baseline: { _, _ in nil })
    }

    static var cases: [Case] {
        get throws {
            var history = History(p95s: [90, 110, 130])
            history.add(p95: 95)
            let sloTrend = SLOJudge(config: Config()).trend(
                RunsInputs(scope: History.scope, runs: history.runs, values: history.values))
            let baselineInputs = history.baseline()
            var merge = MergeReport.Source(
                path: "job.sqlite", schema: "0005_rename_slo_result_metric_to_series")
            merge.added = [
                MergeReport.AddedRun(
                    otherID: 1, id: 40, kind: .load, scenario: "load", environment: "staging",
                    branch: "main", commitId: String(repeating: "a", count: 40),
                    startedAt: "2026-11-19T09:00:00.000Z", status: .passed, invalidated: false)
            ]
            merge.alreadyHere = 2
            return [
                Case("check", CheckView(check)),
                Case("trend", TrendView(try trend)),
                Case("drift", DriftView(drift)),
                Case(
                    "slo-check", SLOCheckView(run: History.run(4, day: 3), evaluation: evaluation)),
                Case("slo-trend", SLOTrendView(sloTrend)),
                Case("chaos-list", ChaosListView(chaos.reversed())),
                Case("chaos-trend", ChaosTrendView(ChaosTrends(config: config).build(chaos))),
                Case(
                    "baseline-show",
                    BaselineView(BaselineChoice(baselineInputs), scope: History.scope)),
                Case(
                    "baseline-history",
                    BaselineHistoryView([History.entry(.window, run: 3, window: 3)])),
                Case("runs-list", RunsListView(history.runs.reversed())),
                Case("run-show", RunShowView(detail)),
                Case("timeline", timeline),
                Case("merge", MergeView(MergeReport(database: "perf.sqlite", sources: [merge]))),
                Case(
                    "doctor",
                    DoctorView(
                        DoctorReport(
                            path: "perf.sqlite", schema: ["0001_create_warehouse"], runs: 3,
                            measurements: 30, bytes: 65536, incompleteRuns: 0, invalidatedRuns: 1,
                            problems: []))),
                Case(
                    "query",
                    QueryView(
                        QueryResult(
                            columns: ["id", "p95", "note"],
                            rows: [
                                [.number(1), .number(45.123456), .null],
                                [.number(2), .number(50), .string("a|b")],
                            ]))),
            ]
        }
    }

    @Test func everyReportHasASnapshotCase() throws {
        #expect(try Self.cases.map(\.name) == Self.names)
    }

    @Test(arguments: names)
    func everyReportInEveryFormat(name: String) throws {
        let report = try #require(try Self.cases.first { $0.name == name })
        for (format, ext) in [
            (OutputFormat.table, "txt"), (.markdown, "md"), (.json, "json"), (.csv, "csv"),
            (.html, "html"),
        ] {
            let text = try report.render(format)
            #expect(Snapshot.mismatch(text, named: "render/\(report.name).\(ext)") == nil)
        }
    }

    @Test(arguments: names)
    func writtenInPiecesAsRendered(name: String) throws {
        let report = try #require(try Self.cases.first { $0.name == name })
        for format in OutputFormat.allCases {
            #expect(try report.pieces(format).joined() == report.render(format), "\(format)")
        }
    }

    @Test func aTrendsTableComesALineAtATime() throws {
        let trend = try Self.trend
        let view = Case("trend", TrendView(trend))
        // A line of the table at a time: the rows, their header and rule, and what is above.
        #expect(try view.pieces(.table).count > trend.points.count + 2)
    }

    @Test func aTrendPointsMembersAreWhatItsEncoderWrites() throws {
        for point in [
            TrendView.Document.Point(
                runId: 7, commit: "abc", build: "1007", startedAt: "2026-11-10T09:00:00.000Z",
                value: 45.25, verdict: .regression, changePoint: true),
            TrendView.Document.Point(
                runId: nil, commit: nil, build: nil, startedAt: "2026-11-10T09:00:00.000Z",
                value: 3, verdict: nil, changePoint: false),
        ] {
            #expect(
                JSONValue.object(JSONObject(TrendView.members(point)))
                    == (try JSONValueEncoder().encode(point)))
        }
    }

    @Test func checkAsJUnit() throws {
        let junit = try CheckView(Self.check).junit()
        #expect(Snapshot.mismatch(junit, named: "render/check.junit.xml") == nil)
    }
}
