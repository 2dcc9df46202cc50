/// Renders what `perfdb merge` folded in.
public enum MergeRenderer {
    /// The report in `format`: per other file a line of counts and the runs it added.
    public static func render(_ report: MergeReport, format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONWriter.render(
                .object(
                    JSONObject.report([
                        ("database", .string(report.database)),
                        ("sources", .array(report.sources.map { .object(json($0)) })),
                    ])))
        case .csv:
            // One table of every added run, each row led by the file it came from.
            return TextTable(
                columns: [.init("source")] + runsTable([], csv: true).columns,
                rows: report.sources.flatMap { source in
                    runsTable(source.added, csv: true).rows.map { [source.path] + $0 }
                }
            ).csv()
        case .table, .markdown:
            let markdown = format == .markdown
            return report.sources.map { source in
                var text = (markdown ? "### " : "") + "merged " + counts(source) + "\n"
                if !source.added.isEmpty {
                    let table = runsTable(source.added, csv: false)
                    text += "\n" + (markdown ? table.markdown() : table.plain())
                }
                return text
            }.joined(separator: "\n")
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
                    String(run.id), String(run.otherID), run.kind, run.scenario ?? "-",
                    run.environment ?? "-", run.branch ?? "-",
                    csv ? run.commitId ?? "" : RunsReport.shortCommit(run.commitId),
                    run.invalidated ? "\(run.status) (invalidated)" : run.status, run.startedAt,
                ]
            })
    }

    private static func json(_ source: MergeReport.Source) -> JSONObject {
        JSONObject([
            ("path", .string(source.path)), ("schema", .string(source.schema)),
            ("runs_added", .number(Double(source.added.count))),
            ("runs_here_already", .number(Double(source.alreadyHere))),
            ("series_added", .number(Double(source.seriesAdded))),
            ("baseline_entries_added", .number(Double(source.baselinesAdded))),
            ("verdicts_added", .number(Double(source.verdictsAdded))),
            ("invalidations_carried", .number(Double(source.invalidationsCarried))),
            (
                "runs",
                .array(
                    source.added.map { run in
                        .object(
                            JSONObject([
                                ("id", .number(Double(run.id))),
                                ("other_id", .number(Double(run.otherID))),
                                ("kind", .string(run.kind)), ("scenario", .string(run.scenario)),
                                ("environment", .string(run.environment)),
                                ("branch", .string(run.branch)),
                                ("commit", .string(run.commitId)),
                                ("status", .string(run.status)),
                                ("invalidated", .bool(run.invalidated)),
                                ("started_at", .string(run.startedAt)),
                            ]))
                    })
            ),
        ])
    }
}
