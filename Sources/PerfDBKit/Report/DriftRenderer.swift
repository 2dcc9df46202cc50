/// Renders `perfdb baseline drift` (reports/drift.schema.json for JSON).
public enum DriftRenderer {
    /// The report in `format`.
    public static func render(_ report: DriftReport, format: OutputFormat) -> String {
        switch format {
        case .json: return JSONWriter.render(.object(json(report)))
        case .csv: return table(report).csv()
        case .markdown:
            return "### Drift from the baseline\n\n" + TextTable.markdownCell(headline(report))
                + "\n\n"
                + table(report).markdown()
        case .table: return headline(report) + "\n\n" + table(report).plain()
        }
    }

    private static func headline(_ report: DriftReport) -> String {
        let flagged = report.rows.filter { $0.drifted || $0.creeping }.count
        return "\(flagged) of \(report.rows.count) series past tolerance · \(report.scope) · "
            + "baseline \(report.baselineKind) · recent = median of the last "
            + "\(report.settings.recentRuns) runs (tolerance \(Figure.format(report.settings.maxDriftPct)) %) · "
            + "slope over \(report.settings.slopeRuns) runs (tolerance "
            + "\(Figure.format(report.settings.maxSlopePctPerWeek)) %/week)"
    }

    private static func table(_ report: DriftReport) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("baseline", alignRight: true),
                .init("recent", alignRight: true), .init("drift", alignRight: true),
                .init("slope/week", alignRight: true), .init("flag"),
            ],
            rows: report.rows.map { row in
                [
                    row.pair.series, row.pair.statistic, Figure.format(row.baseline),
                    Figure.format(row.recent), Figure.percent(row.driftPct),
                    Figure.percent(row.slopePctPerWeek),
                    [row.drifted ? "drift" : nil, row.creeping ? "creep" : nil].compactMap { $0 }
                        .joined(separator: "+").ifEmpty("ok"),
                ]
            })
    }

    static func json(_ report: DriftReport) -> JSONObject {
        JSONObject.report([
            ("scope", .object(CheckRenderer.scopeJSON(report.scope))),
            ("baseline_kind", .string(report.baselineKind)),
            ("latest_run", .number(report.latest.id.map(Double.init))),
            ("flagged", .bool(report.flagged)),
            (
                "settings",
                .object(
                    JSONObject([
                        ("recent_runs", .number(Double(report.settings.recentRuns))),
                        ("slope_runs", .number(Double(report.settings.slopeRuns))),
                        ("max_drift_pct", .number(report.settings.maxDriftPct)),
                        ("max_slope_pct_per_week", .number(report.settings.maxSlopePctPerWeek)),
                    ]))
            ),
            (
                "series",
                .array(
                    report.rows.map { row in
                        .object(
                            JSONObject([
                                ("series", .string(row.pair.series)),
                                ("stat", .string(row.pair.statistic)), ("unit", .string(row.unit)),
                                ("direction", .string(row.direction.rawValue)),
                                ("baseline", .number(row.baseline)),
                                ("recent", .number(row.recent)),
                                ("recent_runs", .number(Double(row.recentRuns))),
                                ("drift_pct", .number(row.driftPct)),
                                ("slope_pct_per_week", .number(row.slopePctPerWeek)),
                                ("slope_runs", .number(Double(row.slopeRuns))),
                                ("drifted", .bool(row.drifted)), ("creeping", .bool(row.creeping)),
                            ]))
                    })
            ),
        ])
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String {
        isEmpty ? replacement : self
    }
}
