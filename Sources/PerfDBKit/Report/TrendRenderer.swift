import Foundation

/// Renders `perfdb trend`: a table, Markdown with a sparkline and a Mermaid `xychart-beta`
/// chart (baseline drawn, change points marked), JSON (reports/trend.schema.json) and CSV.
public enum TrendRenderer {
    /// The report in `format`.
    public static func render(_ report: TrendReport, format: OutputFormat) -> String {
        switch format {
        case .json: return JSONWriter.render(.object(json(report)))
        case .csv: return table(report).csv()
        case .markdown: return markdown(report)
        case .table:
            return headline(report) + "\n\n" + table(report).plain() + changePointText(report)
        }
    }

    /// Eight-level block sparkline of `values`.
    public static func sparkline(_ values: [Double]) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        guard let low = values.min(), let high = values.max() else { return "" }
        guard high > low else { return String(repeating: blocks[3], count: values.count) }
        return String(
            values.map { value in
                blocks[min(7, Int(((value - low) / (high - low) * 7).rounded()))]
            })
    }

    static func json(_ report: TrendReport) -> JSONObject {
        let values = report.points.map(\.value)
        let changePointRuns = Set(report.changePoints.compactMap(\.run.id))
        return JSONObject.report([
            ("series", .string(report.series.name)), ("stat", .string(report.statistic)),
            ("unit", .string(report.series.unit)), ("direction", .string(report.series.direction)),
            ("scope", .object(CheckRenderer.scopeJSON(report.scope))),
            (
                "baseline",
                .object(
                    JSONObject([
                        ("value", .number(report.baseline)), ("kind", .string(report.baselineKind)),
                    ]))
            ),
            (
                "summary",
                .object(
                    JSONObject([
                        ("runs", .number(Double(values.count))),
                        ("first", .number(values.first)), ("last", .number(values.last)),
                        ("min", .number(values.min())), ("max", .number(values.max())),
                        ("median", .number(Statistics.median(values))),
                        ("slope_pct_per_week", .number(report.slopePctPerWeek)),
                    ]))
            ),
            (
                "merged_distribution",
                report.merged.map { merged in
                    .object(
                        JSONObject([
                            ("runs", .number(Double(merged.runs))),
                            ("count", .number(Double(merged.count))), ("p50", .number(merged.p50)),
                            ("p90", .number(merged.p90)), ("p95", .number(merged.p95)),
                            ("p99", .number(merged.p99)),
                        ]))
                } ?? .null
            ),
            (
                "points",
                .array(
                    report.points.map { point in
                        .object(
                            JSONObject([
                                ("run_id", .number(point.run.id.map(Double.init))),
                                ("commit", .string(point.run.commitId)),
                                ("build", .string(point.run.buildId)),
                                ("started_at", .string(point.run.startedAt)),
                                ("value", .number(point.value)),
                                ("verdict", .string(point.verdict)),
                                (
                                    "change_point",
                                    .bool(point.run.id.map(changePointRuns.contains) ?? false)
                                ),
                            ]))
                    })
            ),
            (
                "change_points",
                .array(
                    report.changePoints.map { point in
                        .object(
                            JSONObject([
                                ("run_id", .number(point.run.id.map(Double.init))),
                                ("commit", .string(point.run.commitId)),
                                ("started_at", .string(point.run.startedAt)),
                                ("before", .number(point.before)), ("after", .number(point.after)),
                                ("change_pct", .number(point.changePct)),
                                ("p_value", .number(point.pValue)),
                                (
                                    "direction",
                                    .string(point.isRegression ? "regression" : "improvement")
                                ),
                            ]))
                    })
            ),
        ])
    }

    private static func headline(_ report: TrendReport) -> String {
        let values = report.points.map(\.value)
        var text =
            "\(report.series.name) \(report.statistic) · \(report.scope) · \(values.count) runs  "
            + sparkline(values)
        if let baseline = report.baseline {
            text +=
                "\nbaseline \(Figure.format(baseline)) \(report.series.unit) (\(report.baselineKind ?? "-"))"
        }
        if let slope = report.slopePctPerWeek {
            text += " · slope \(slope >= 0 ? "+" : "")\(Figure.format(slope)) %/week"
        }
        if let merged = report.merged {
            text +=
                "\nall \(merged.count) samples of \(merged.runs) runs merged: p50 \(Figure.format(merged.p50))"
                + " · p90 \(Figure.format(merged.p90)) · p95 \(Figure.format(merged.p95))"
                + " · p99 \(Figure.format(merged.p99)) \(report.series.unit)"
        }
        return text
    }

    private static func table(_ report: TrendReport) -> TextTable {
        let changePointRuns = Set(report.changePoints.compactMap(\.run.id))
        return TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("commit"),
                .init("build"),
                .init("value", alignRight: true), .init("vs baseline", alignRight: true),
                .init("verdict"), .init("change point"),
            ],
            rows: report.points.map { point in
                let delta = report.baseline.flatMap { base -> String? in
                    guard base != 0 else { return nil }
                    return Figure.percent((point.value / base - 1) * 100)
                }
                return [
                    point.run.id.map(String.init) ?? "?", point.run.startedAt,
                    String((point.run.commitId ?? "-").prefix(12)), point.run.buildId ?? "-",
                    Figure.format(point.value), delta ?? "-", point.verdict ?? "-",
                    point.run.id.map { changePointRuns.contains($0) ? "yes" : "" } ?? "",
                ]
            })
    }

    private static func changePointText(_ report: TrendReport) -> String {
        guard !report.changePoints.isEmpty else { return "\nno change points\n" }
        var out = "\nChange points\n\n"
        for point in report.changePoints {
            out +=
                "- run \(point.run.id.map(String.init) ?? "?") (commit \(String((point.run.commitId ?? "-").prefix(12)))): "
                + "\(Figure.format(point.before)) → \(Figure.format(point.after))"
                + (point.changePct.map { " (\(Figure.percent($0)))" } ?? "")
                + ", p = \(String(format: "%.2g", point.pValue))"
                + (point.isRegression ? ", regression" : "") + "\n"
        }
        return out
    }

    /// Markdown: headline with sparkline, a Mermaid chart, the change points, the table.
    static func markdown(_ report: TrendReport) -> String {
        let unit = report.series.unit.isEmpty ? "" : " (\(report.series.unit))"
        var out = "### Trend of `\(report.series.name)` \(report.statistic)\n\n"
        out +=
            headline(report).split(separator: "\n").map { TextTable.markdownCell(String($0)) }
            .joined(separator: "  \n") + "\n\n"
        out += mermaid(report, unit: unit)
        if !report.changePoints.isEmpty {
            out += "\nChange points:\n\n"
            for line in changePointText(report).split(separator: "\n") where line.hasPrefix("- ") {
                out += "- " + TextTable.markdownCell(String(line.dropFirst(2))) + "\n"
            }
        }
        out +=
            "\n<details><summary>\(report.points.count) runs</summary>\n\n"
            + table(report).markdown()
            + "\n</details>\n"
        return out
    }

    /// A Mermaid `xychart-beta` line chart; the baseline is a second line and change-point
    /// runs are marked ▲ on the x axis.
    static func mermaid(_ report: TrendReport, unit: String) -> String {
        let changePointRuns = Set(report.changePoints.compactMap(\.run.id))
        let labels = report.points.map { point -> String in
            let id = point.run.id.map(String.init) ?? "?"
            return "\"" + (point.run.id.map(changePointRuns.contains) == true ? "▲" : "") + id
                + "\""
        }
        let values = report.points.map { JSONWriter.formatNumber(rounded($0.value)) }
        var lines = [
            "```mermaid", "xychart-beta",
            "    title \"\(report.series.name.replacingOccurrences(of: "\"", with: "'")) \(report.statistic)\(unit)\"",
            "    x-axis \"run\" [\(labels.joined(separator: ", "))]",
            "    y-axis \"\(report.statistic)\(unit)\"",
            "    line [\(values.joined(separator: ", "))]",
        ]
        if let baseline = report.baseline {
            let flat = Array(
                repeating: JSONWriter.formatNumber(rounded(baseline)), count: values.count)
            lines.append("    line [\(flat.joined(separator: ", "))]")
        }
        lines.append("```")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}
