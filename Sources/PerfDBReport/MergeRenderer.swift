import Foundation
import PerfDBAnalysis
import PerfDBModel

/// What `perfdb merge` folded in (reports/merge.schema.json).
public struct MergeView: Renderable {
    public var report: MergeReport

    /// The view of a merge.
    public init(_ report: MergeReport) { self.report = report }

    public struct Document: Encodable {
        public var database: String
        public var sources: [Source]

        public struct Source: Encodable {
            public var path: String
            public var schema: String
            public var runsAdded: Int
            public var runsHereAlready: Int
            public var seriesAdded: Int
            public var baselineEntriesAdded: Int
            public var verdictsAdded: Int
            public var invalidationsCarried: Int
            public var runs: [Run]
        }

        public struct Run: Encodable {
            public var id: Int64
            public var otherId: Int64
            public var kind: RunKind
            public var scenario: String?
            public var environment: String?
            public var branch: String?
            public var commit: String?
            public var status: RunStatus
            public var invalidated: Bool
            public var startedAt: String
        }
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                database: report.database,
                sources: report.sources.map { source in
                    Document.Source(
                        path: source.path, schema: source.schema, runsAdded: source.added.count,
                        runsHereAlready: source.alreadyHere, seriesAdded: source.seriesAdded,
                        baselineEntriesAdded: source.baselinesAdded,
                        verdictsAdded: source.verdictsAdded,
                        invalidationsCarried: source.invalidationsCarried,
                        runs: source.added.map {
                            Document.Run(
                                id: $0.id, otherId: $0.otherID, kind: $0.kind,
                                scenario: $0.scenario, environment: $0.environment,
                                branch: $0.branch, commit: $0.commitId, status: $0.status,
                                invalidated: $0.invalidated, startedAt: $0.startedAt)
                        })
                }))
    }

    /// One table of every added run, each row led by the file it came from.
    public var csv: TextTable {
        TextTable(
            columns: [.init("source")] + Self.runsTable([], csv: true).columns,
            rows: report.sources.flatMap { source in
                Self.runsTable(source.added, csv: true).rows.map { [source.path] + $0 }
            })
    }

    public var blocks: [Block] {
        report.sources.flatMap { source -> [Block] in
            [.heading(3, [.text("merged " + Self.counts(source))])]
                + (source.added.isEmpty ? [] : [.table(Self.runsTable(source.added, csv: false))])
        }
    }

    /// One line of counts: what came in, what was here already.
    public static func counts(_ source: MergeReport.Source) -> String {
        "\(source.path) (schema \(source.schema)): "
            + "\(counted(source.added.count, "run")) added, \(source.alreadyHere) here already; "
            + "\(counted(source.seriesAdded, "series", "series")), "
            + "\(counted(source.baselinesAdded, "baseline entry", "baseline entries")) and "
            + "\(counted(source.verdictsAdded, "verdict")) added; "
            + "\(counted(source.invalidationsCarried, "invalidation")) carried over"
    }

    private static func counted(_ count: Int, _ one: String, _ many: String? = nil) -> String {
        "\(count) " + (count == 1 ? one : many ?? one + "s")
    }

    private static func runsTable(_ runs: [MergeReport.AddedRun], csv: Bool) -> TextTable {
        TextTable(
            columns: [
                .init("id", alignRight: true), .init("was", alignRight: true), .init("kind"),
                .init("scenario"), .init("environment"), .init("branch"), .init("commit"),
                .init("status"), .init("started_at"),
            ],
            rows: runs.map { run in
                [
                    String(run.id), String(run.otherID), run.kind.rawValue, run.scenario ?? "-",
                    run.environment ?? "-", run.branch ?? "-",
                    csv ? run.commitId ?? "" : RunsListView.shortCommit(run.commitId),
                    RunsListView.status(run.status, invalidated: run.invalidated), run.startedAt,
                ]
            })
    }
}
