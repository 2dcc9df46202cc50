/// Renders `perfdb report` as Markdown or JSON (reports/report.schema.json).
public enum ScopeReportRenderer {
    /// The report in `format` (table and CSV print the Markdown).
    public static func render(_ report: ScopeReport, format: OutputFormat) -> String {
        format == .json ? JSONWriter.render(.object(json(report))) : markdown(report)
    }

    static func json(_ report: ScopeReport) -> JSONObject {
        JSONObject.report([
            ("scope", .object(CheckRenderer.scopeJSON(report.scope))),
            ("latest_run", .object(CheckRenderer.runJSON(report.check.run))),
            ("check", .object(CheckRenderer.json(report.check))),
            ("trends", .array(report.trends.map { .object(TrendRenderer.json($0)) })),
            ("drift", .object(DriftRenderer.json(report.drift))),
            ("chaos", .array(report.chaos.map { .object(ChaosRenderer.json($0)) })),
        ])
    }

    static func markdown(_ report: ScopeReport) -> String {
        let run = report.check.run
        var out = "# Performance report · \(TextTable.markdownCell(report.scope.description))\n\n"
        out +=
            "Latest run \(run.id.map(String.init) ?? "?") · \(run.startedAt) · commit "
            + "\(TextTable.markdownCell(String((run.commitId ?? "-").prefix(12)))) · build "
            + "\(TextTable.markdownCell(run.buildId ?? "-")) · status \(run.status)\n\n"
        out += "## Gate\n\n" + CheckRenderer.markdown(report.check)
        out += "\n## Key series (p95)\n\n"
        let rows = report.trends.map { trend -> [String] in
            let values = trend.points.map(\.value)
            let last = values.last
            let change = trend.baseline.flatMap { base in
                last.map { base != 0 ? ($0 / base - 1) * 100 : 0 }
            }
            return [
                trend.series.name, TrendRenderer.sparkline(values), Figure.format(trend.baseline),
                Figure.format(last), Figure.percent(change),
                trend.changePoints.map {
                    "run \($0.run.id.map(String.init) ?? "?") (\(Figure.percent($0.changePct)))"
                }
                .joined(separator: ", "),
            ]
        }
        out += TextTable(
            columns: [
                .init("series"), .init("trend"), .init("baseline ms", alignRight: true),
                .init("latest ms", alignRight: true), .init("change", alignRight: true),
                .init("change points"),
            ], rows: rows
        ).markdown()
        if let worst = report.trends.first {
            out += "\n" + TrendRenderer.mermaid(worst, unit: " (ms)")
        }
        out += "\n## Drift\n\n"
        let flagged = report.drift.rows.filter { $0.drifted || $0.creeping }
        if flagged.isEmpty {
            out += "No series is past its drift tolerance.\n"
        } else {
            out += TextTable(
                columns: [
                    .init("series"), .init("stat"), .init("baseline", alignRight: true),
                    .init("recent", alignRight: true), .init("drift", alignRight: true),
                    .init("slope/week", alignRight: true),
                ],
                rows: flagged.map { row in
                    [
                        row.pair.series, row.pair.statistic, Figure.format(row.baseline),
                        Figure.format(row.recent), Figure.percent(row.driftPct),
                        Figure.percent(row.slopePctPerWeek),
                    ]
                }
            ).markdown()
        }
        out += "\n## Chaos resilience\n\n"
        out +=
            report.chaos.isEmpty
            ? "No chaos experiments stored.\n"
            : ChaosRenderer.trend(report.chaos, format: .markdown)
                .replacingOccurrences(of: "### Chaos resilience\n\n", with: "")
        return out
    }
}
