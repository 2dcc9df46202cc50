/// Renders `perfdb slo check` and `perfdb slo trend` (reports/slo-check.schema.json,
/// reports/slo-trend.schema.json).
public enum SLORenderer {
    /// One evaluation with a recommendation per SLO that did not pass.
    public static func check(
        _ run: RunRecord, _ evaluation: SLOEvaluationValue, format: OutputFormat
    )
        -> String
    {
        let table = TextTable(
            columns: [
                .init("slo"), .init("priority"), .init("actual", alignRight: true),
                .init("target"), .init("warning"), .init("status"),
            ],
            rows: evaluation.results.map { result in
                [
                    result.title ?? result.name, result.priority.rawValue,
                    Figure.format(result.actual) + (result.unit.map { " \($0)" } ?? ""),
                    "\(result.comparator.rawValue) \(Figure.format(result.target))",
                    result.warning.map(Figure.format) ?? "-", result.status.rawValue,
                ]
            })
        let headline =
            "SLOs of run \(run.id.map(String.init) ?? "?"): \(evaluation.overallStatus.rawValue) "
            + "(exit code \(evaluation.exitCode)"
            + (evaluation.score.map { ", score \(Figure.format($0))" } ?? "") + ")"
        let advice = evaluation.results.filter { $0.status != .pass }.map { result in
            "\(result.title ?? result.name) (\(result.status.rawValue)): \(result.recommendation ?? "")"
        }
        switch format {
        case .json:
            var object = CheckRenderer.sloJSON(evaluation)
            object["schemaVersion"] = .number(Double(reportSchemaVersion))
            object["run"] = .object(CheckRenderer.runJSON(run))
            return JSONWriter.render(.object(object))
        case .csv: return table.csv()
        case .markdown:
            return "**\(TextTable.markdownCell(headline))**\n\n" + table.markdown()
                + (advice.isEmpty
                    ? ""
                    : "\n"
                        + advice.map { "- " + TextTable.markdownCell($0) }.joined(separator: "\n")
                        + "\n")
        case .table:
            return headline + "\n\n" + table.plain()
                + (advice.isEmpty
                    ? "" : "\n" + advice.map { "- " + $0 }.joined(separator: "\n") + "\n")
        }
    }

    /// Compliance per SLO over time.
    public static func trend(_ trend: SLOTrend, format: OutputFormat) -> String {
        let names = trend.definitions.map(\.name)
        let table = TextTable(
            columns: [.init("run", alignRight: true), .init("started_at"), .init("commit")]
                + names.map { .init($0) } + [.init("overall")],
            rows: trend.rows.map { row in
                [
                    row.run.id.map(String.init) ?? "?", row.run.startedAt,
                    String((row.run.commitId ?? "-").prefix(12)),
                ]
                    + names.map { name in
                        row.evaluation.results.first { $0.name == name }?.status.rawValue ?? "-"
                    } + [row.evaluation.overallStatus.rawValue]
            })
        let compliance = TextTable(
            columns: [.init("slo"), .init("priority"), .init("compliance", alignRight: true)],
            rows: trend.definitions.map { definition in
                [
                    definition.title ?? definition.name, definition.priority.rawValue,
                    trend.compliance(definition.name).map { Figure.format($0) + " %" } ?? "-",
                ]
            })
        switch format {
        case .json:
            return JSONWriter.render(
                .object(
                    JSONObject.report([
                        ("scope", .object(CheckRenderer.scopeJSON(trend.scope))),
                        (
                            "compliance",
                            .object(
                                JSONObject(
                                    trend.definitions.map {
                                        ($0.name, .number(trend.compliance($0.name)))
                                    }))
                        ),
                        (
                            "runs",
                            .array(
                                trend.rows.map { row in
                                    .object(
                                        JSONObject([
                                            ("run_id", .number(row.run.id.map(Double.init))),
                                            ("commit", .string(row.run.commitId)),
                                            ("started_at", .string(row.run.startedAt)),
                                            (
                                                "overall_status",
                                                .string(row.evaluation.overallStatus.rawValue)
                                            ),
                                            (
                                                "statuses",
                                                .object(
                                                    JSONObject(
                                                        row.evaluation.results.map {
                                                            ($0.name, .string($0.status.rawValue))
                                                        }))
                                            ),
                                        ]))
                                })
                        ),
                    ])))
        case .csv: return table.csv()
        case .markdown:
            return "### SLO compliance · \(TextTable.markdownCell(trend.scope.description))\n\n"
                + compliance.markdown()
                + "\n<details><summary>\(trend.rows.count) runs</summary>\n\n"
                + table.markdown() + "\n</details>\n"
        case .table:
            return "SLO compliance over \(trend.rows.count) runs · \(trend.scope)\n\n"
                + compliance.plain()
                + "\n" + table.plain()
        }
    }
}
