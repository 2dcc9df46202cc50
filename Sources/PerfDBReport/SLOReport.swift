import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb slo check`: one evaluation with a recommendation per SLO that did not pass
/// (reports/slo-check.schema.json).
public struct SLOCheckView: JudgementView {
    public var run: RunRecord
    public var evaluation: SLOEvaluationValue
    /// Where the SLOs came from: a configuration file, or nil for the built-in defaults.
    public var source: String?

    /// The view of an evaluation of `run`.
    public init(run: RunRecord, evaluation: SLOEvaluationValue, source: String? = nil) {
        self.run = run
        self.evaluation = evaluation
        self.source = source
    }

    public var marker: String {
        Self.marker("slo-check", scenario: run.scenario, environment: run.environment)
    }

    public var annotations: [Annotation] { Self.annotations(evaluation) }

    public var alertSet: AlertSet {
        AlertSet(run: run, evaluation: evaluation, headline: headline)
    }

    /// One annotation per SLO that did not pass: an error when it failed, else a warning.
    static func annotations(_ evaluation: SLOEvaluationValue) -> [Annotation] {
        evaluation.results.filter { $0.status != .pass }.map { result in
            Annotation(
                result.status == .critical || result.status == .fail ? .error : .warning,
                title: "perfdb SLO \(result.status.rawValue): \(result.title ?? result.name)",
                message: "\(Figure.format(result.actual)) \(result.comparator.rawValue) "
                    + "\(Figure.format(result.target)) not met"
                    + (result.recommendation.map { ": \($0)" } ?? ""))
        }
    }

    /// One test case per SLO; a FAIL or CRITICAL one fails, a WARNING one says so.
    public func junit() throws -> String {
        let name = "perfdb slo check run \(run.id.map(String.init) ?? "?")"
        let failures = evaluation.results.filter { $0.status == .critical || $0.status == .fail }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"\(CheckView.xml(name))\" tests=\"\(evaluation.results.count)\" failures=\"\(failures.count)\">\n"
        out +=
            "  <testsuite name=\"\(CheckView.xml(name))\" tests=\"\(evaluation.results.count)\" failures=\"\(failures.count)\">\n"
        for result in evaluation.results {
            out +=
                "    <testcase classname=\"slo\" name=\"\(CheckView.attribute(result.title ?? result.name))\">"
            let detail =
                "\(Figure.format(result.actual)) \(result.comparator.rawValue) \(Figure.format(result.target))"
            switch result.status {
            case .critical, .fail:
                out +=
                    "\n      <failure type=\"\(result.status.rawValue)\" message=\"\(CheckView.attribute(detail + " not met"))\">\(CheckView.xml(result.recommendation ?? ""))</failure>\n    "
            case .warning:
                out +=
                    "\n      <system-out>WARNING: \(CheckView.xml(detail + " " + (result.recommendation ?? "")))</system-out>\n    "
            case .pass:
                break
            }
            out += "</testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    public struct Document: Encodable {
        public var evaluation: SLODocument
        public var run: CheckView.RunDocument

        public func encode(to encoder: any Encoder) throws {
            try evaluation.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(run, forKey: .run)
        }

        private enum CodingKeys: String, CodingKey { case run }
    }

    public var document: Versioned<Document> {
        Versioned(Document(evaluation: SLODocument(evaluation), run: CheckView.RunDocument(run)))
    }

    public var csv: TextTable { Self.table(evaluation) }

    /// The first line: the overall status, exit code and score.
    var headline: String {
        "SLOs of run \(run.id.map(String.init) ?? "?"): \(evaluation.overallStatus.rawValue) "
            + "(exit code \(evaluation.exitCode)"
            + (evaluation.score.map { ", score \(Figure.format($0))" } ?? "") + ")"
    }

    public var blocks: [Block] {
        var blocks: [Block] = [.line(.strong(headline)), .table(Self.table(evaluation))]
        let advice = evaluation.results.filter { $0.status != .pass }.map { result -> [Inline] in
            [
                .text(
                    "\(result.title ?? result.name) (\(result.status.rawValue)): \(result.recommendation ?? "")"
                )
            ]
        }
        if !advice.isEmpty { blocks.append(.list(advice)) }
        blocks.append(.line(.text(Self.sourceLine(source))))
        return blocks
    }

    /// Where the SLOs came from, as reports say it.
    static func sourceLine(_ source: String?) -> String {
        source.map { "SLOs from \($0)." }
            ?? "SLOs: the built-in defaults (perfdb.yml sets a team's own)."
    }

    /// The SLOs of an evaluation as a table.
    static func table(_ evaluation: SLOEvaluationValue) -> TextTable {
        TextTable(
            columns: [
                .init("slo"), .init("priority"), .init("actual", alignRight: true),
                .init("target"), .init("warning"), .init("status"),
            ],
            rows: evaluation.results.map { result in
                [
                    result.title ?? result.name, result.priority.rawValue,
                    result.actual.map { Figure.format($0) + (result.unit.map { " \($0)" } ?? "") }
                        ?? "-",
                    "\(result.comparator.rawValue) \(Figure.format(result.target))",
                    result.warning.map(Figure.format) ?? "-", result.status.rawValue,
                ]
            })
    }
}

/// `perfdb slo trend`: compliance per SLO over time (reports/slo-trend.schema.json).
public struct SLOTrendView: Renderable {
    public var trend: SLOTrend

    /// The view of a trend.
    public init(_ trend: SLOTrend) { self.trend = trend }

    public struct Document: Encodable {
        public var scope: Scope
        public var compliance: JSONValue
        public var runs: [Run]

        public struct Run: Encodable {
            public var runId: Int64?
            public var commit: String?
            public var startedAt: String
            public var overallStatus: SLOStatus
            public var statuses: JSONValue
        }
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                scope: trend.scope,
                compliance: .object(
                    JSONObject(
                        trend.definitions.map { ($0.name, .number(trend.compliance($0.name))) })),
                runs: trend.rows.map { row in
                    Document.Run(
                        runId: row.run.id, commit: row.run.commitId, startedAt: row.run.startedAt,
                        overallStatus: row.evaluation.overallStatus,
                        statuses: .object(
                            JSONObject(
                                row.evaluation.results.map {
                                    ($0.name, .string($0.status.rawValue))
                                }
                            )))
                }))
    }

    public var csv: TextTable { runsTable }

    private var runsTable: TextTable {
        let names = trend.definitions.map(\.name)
        return TextTable(
            columns: [.init("run", alignRight: true), .init("started_at"), .init("commit")]
                + names.map { .init($0) } + [.init("overall")],
            rows: trend.rows.map { row in
                [
                    row.run.id.map(String.init) ?? "?", row.run.startedAt,
                    RunsListView.shortCommit(row.run.commitId),
                ]
                    + names.map { name in
                        row.evaluation.results.first { $0.name == name }?.status.rawValue ?? "-"
                    } + [row.evaluation.overallStatus.rawValue]
            })
    }

    public var blocks: [Block] {
        [
            .heading(3, [.text("SLO compliance over \(trend.rows.count) runs · \(trend.scope)")]),
            .table(
                TextTable(
                    columns: [
                        .init("slo"), .init("priority"), .init("compliance", alignRight: true),
                    ],
                    rows: trend.definitions.map { definition in
                        [
                            definition.title ?? definition.name, definition.priority.rawValue,
                            trend.compliance(definition.name).map { Figure.format($0) + " %" }
                                ?? "-",
                        ]
                    })),
            .figure(figure),
            .details(summary: "\(trend.rows.count) runs", [.table(runsTable)]),
        ]
    }

    /// The chart of the HTML report: per run, the share of SLOs met and the weighted score,
    /// with the runs that failed or warned marked.
    var figure: SVGChart {
        let runs = trend.rows.map(\.run)
        let met = trend.rows.map { row -> Double? in
            guard !row.evaluation.results.isEmpty else { return nil }
            let passed = row.evaluation.results.filter { $0.status == .pass }.count
            return 100 * Double(passed) / Double(row.evaluation.results.count)
        }
        var series = [SVGChart.Series("SLOs met (%)", values: met, dots: true)]
        let scores = trend.rows.map { $0.evaluation.score.map { $0 * 100 } }
        if scores.contains(where: { $0 != nil }) {
            series.append(SVGChart.Series("score (%)", values: scores))
        }
        let labels = runs.map { $0.id.map(String.init) ?? "?" }
        var chart = SVGChart(
            title: "SLO compliance run by run · \(trend.scope)",
            summary:
                "The share of \(trend.definitions.count) SLOs each of \(trend.rows.count) runs met; "
                + "\(trend.rows.filter { $0.evaluation.overallStatus != .pass }.count) runs did not "
                + "pass.",
            xTitle: "run", yTitle: "percent", xLabels: labels, series: series,
            table: TextTable(
                columns: [
                    .init("run", alignRight: true), .init("commit"),
                    .init("SLOs met", alignRight: true), .init("score", alignRight: true),
                    .init("overall"),
                ],
                rows: trend.rows.enumerated().map { index, row in
                    [
                        labels[index], RunsListView.shortCommit(row.run.commitId),
                        met[index].map { Figure.format($0) + " %" } ?? "-",
                        scores[index].map { Figure.format($0) + " %" } ?? "-",
                        row.evaluation.overallStatus.rawValue,
                    ]
                }))
        chart.pointNotes = trend.rows.enumerated().map { index, row in
            "run \(labels[index]) · commit \(RunsListView.shortCommit(row.run.commitId)) · "
                + "\(met[index].map { Figure.format($0) } ?? "-") % of SLOs met · "
                + row.evaluation.overallStatus.rawValue
        }
        for (index, row) in trend.rows.enumerated() {
            guard let value = met[index] else { continue }
            let kind: SVGChart.MarkerKind? =
                switch row.evaluation.overallStatus {
                case .fail, .critical: .failed
                case .warning: .warning
                case .pass: nil
                }
            guard let kind else { continue }
            chart.markers.append(
                SVGChart.Marker(
                    index: index, value: value, kind: kind, note: chart.pointNotes[index]))
        }
        return chart
    }
}
