/// Renders `perfdb chaos list` and `perfdb chaos trend` (reports/chaos-trend.schema.json).
public enum ChaosRenderer {
    /// Stored experiments, newest first.
    public static func list(_ entries: [ChaosEntry], format: OutputFormat) -> String {
        if format == .json {
            return JSONWriter.render(.array(entries.map { .object(entryJSON($0)) }))
        }
        let table = TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("experiment"),
                .init("family"), .init("fault"), .init("outcome"),
                .init("availability", alignRight: true), .init("error rate", alignRight: true),
                .init("MTTR", alignRight: true), .init("MTTR target", alignRight: true),
            ],
            rows: entries.map { entry in
                let experiment = entry.experiment
                return [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt, experiment.name,
                    experiment.family ?? "-", experiment.faultType ?? "-",
                    experiment.outcome + (experiment.rolledBack ? " (rolled back)" : ""),
                    experiment.availabilityPct.map { Figure.format($0) + " %" } ?? "-",
                    experiment.errorRatePct.map { Figure.format($0) + " %" } ?? "-",
                    experiment.mttrS.map { Figure.format($0) + " s" } ?? "-",
                    experiment.mttrTargetS.map { "< " + Figure.format($0) + " s" } ?? "-",
                ]
            })
        switch format {
        case .markdown: return table.markdown()
        case .csv: return table.csv()
        default: return entries.isEmpty ? "no chaos experiments\n" : table.plain()
        }
    }

    static func entryJSON(_ entry: ChaosEntry) -> JSONObject {
        let experiment = entry.experiment
        return JSONObject([
            ("run_id", .number(entry.run.id.map(Double.init))),
            ("started_at", .string(entry.run.startedAt)), ("commit", .string(entry.run.commitId)),
            ("name", .string(experiment.name)), ("family", .string(experiment.family)),
            ("fault_type", .string(experiment.faultType)),
            ("blast_radius", .string(experiment.blastRadius)),
            ("outcome", .string(experiment.outcome)), ("rolled_back", .bool(experiment.rolledBack)),
            ("availability_pct", .number(experiment.availabilityPct)),
            ("error_rate_pct", .number(experiment.errorRatePct)),
            ("mttr_s", .number(experiment.mttrS)),
            ("mttr_target_s", .number(experiment.mttrTargetS)),
        ])
    }

    /// Each experiment's figures over time against their targets and their own history.
    public static func trend(_ reports: [ChaosTrendReport], format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONWriter.render(
                .object(
                    JSONObject.report([
                        ("experiments", .array(reports.map { .object(json($0)) }))
                    ])))
        case .csv:
            return summary(reports).csv()
        case .markdown:
            var out = "### Chaos resilience\n\n" + summary(reports).markdown()
            for report in reports {
                out += "\n#### \(TextTable.markdownCell(report.name))\n\n" + runs(report).markdown()
            }
            return out
        case .table:
            var out = summary(reports).plain()
            for report in reports {
                out += "\n\(report.name)\n\n" + runs(report).plain()
            }
            return out
        }
    }

    private static func summary(_ reports: [ChaosTrendReport]) -> TextTable {
        TextTable(
            columns: [
                .init("experiment"), .init("family"), .init("runs", alignRight: true),
                .init("figure"), .init("latest", alignRight: true), .init("target"),
                .init("baseline", alignRight: true), .init("change", alignRight: true),
                .init("trend"), .init("verdict"),
            ],
            rows: reports.flatMap { report in
                report.figures.filter { !$0.values.isEmpty }.map { figure in
                    [
                        report.name, report.family ?? "-", String(figure.values.count),
                        figure.figure,
                        figure.values.last.map { Figure.format($0.value) } ?? "-",
                        figure.target.map { target in
                            (figure.figure == "availability_pct" ? "> " : "< ")
                                + Figure.format(target)
                                + (figure.meetsTarget == false ? " MISSED" : "")
                        } ?? "-",
                        Figure.format(figure.verdict?.baseline),
                        Figure.percent(figure.verdict?.changePct),
                        TrendRenderer.sparkline(figure.values.map(\.value)),
                        figure.verdict?.verdict.rawValue ?? "-",
                    ]
                }
            })
    }

    private static func runs(_ report: ChaosTrendReport) -> TextTable {
        TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("outcome"),
                .init("MTTR s", alignRight: true), .init("availability %", alignRight: true),
                .init("error rate %", alignRight: true),
            ],
            rows: report.entries.map { entry in
                [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt,
                    entry.experiment.outcome
                        + (entry.experiment.rolledBack ? " (rolled back)" : ""),
                    Figure.format(entry.experiment.mttrS),
                    Figure.format(entry.experiment.availabilityPct),
                    Figure.format(entry.experiment.errorRatePct),
                ]
            })
    }

    static func json(_ report: ChaosTrendReport) -> JSONObject {
        JSONObject([
            ("name", .string(report.name)), ("family", .string(report.family)),
            ("fault_type", .string(report.faultType)),
            ("runs", .array(report.entries.map { .object(entryJSON($0)) })),
            (
                "figures",
                .array(
                    report.figures.map { figure in
                        .object(
                            JSONObject([
                                ("figure", .string(figure.figure)),
                                ("latest", .number(figure.values.last?.value)),
                                ("target", .number(figure.target)),
                                ("meets_target", figure.meetsTarget.map { .bool($0) } ?? .null),
                                ("baseline", .number(figure.verdict?.baseline)),
                                ("change_pct", .number(figure.verdict?.changePct)),
                                ("verdict", .string(figure.verdict?.verdict.rawValue)),
                                ("reason", .string(figure.verdict?.reason)),
                                ("slope_pct_per_week", .number(figure.slopePctPerWeek)),
                            ]))
                    })
            ),
        ])
    }
}
