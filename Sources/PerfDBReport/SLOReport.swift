import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb slo check`: one evaluation with a recommendation per SLO that did not pass
/// (reports/slo-check.schema.json).
public struct SLOCheckView: Renderable {
    public var run: RunRecord
    public var evaluation: SLOEvaluationValue

    /// The view of an evaluation of `run`.
    public init(run: RunRecord, evaluation: SLOEvaluationValue) {
        self.run = run
        self.evaluation = evaluation
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

    public var blocks: [Block] {
        let headline =
            "SLOs of run \(run.id.map(String.init) ?? "?"): \(evaluation.overallStatus.rawValue) "
            + "(exit code \(evaluation.exitCode)"
            + (evaluation.score.map { ", score \(Figure.format($0))" } ?? "") + ")"
        var blocks: [Block] = [.line(.strong(headline)), .table(Self.table(evaluation))]
        let advice = evaluation.results.filter { $0.status != .pass }.map { result -> [Inline] in
            [
                .text(
                    "\(result.title ?? result.name) (\(result.status.rawValue)): \(result.recommendation ?? "")"
                )
            ]
        }
        if !advice.isEmpty { blocks.append(.list(advice)) }
        return blocks
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
            .details(summary: "\(trend.rows.count) runs", [.table(runsTable)]),
        ]
    }
}
