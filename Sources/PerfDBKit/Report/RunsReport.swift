import Foundation

/// Renders `perfdb runs list` and `perfdb runs show` in every output format.
///
/// The JSON field names are a contract (docs/cli.md, reports/runs-list.schema.json,
/// run-show.schema.json).
public enum RunsReport {
    /// The list of runs.
    public static func list(_ runs: [RunRecord], format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONWriter.render(.array(runs.map { .object(summary($0)) }))
        case .table, .markdown, .csv:
            let table = TextTable(
                columns: [
                    .init("id", alignRight: true), .init("kind"), .init("scenario"),
                    .init("environment"), .init("branch"), .init("commit"), .init("build"),
                    .init("status"), .init("started_at"),
                ],
                rows: runs.map { run in
                    [
                        run.id.map(String.init) ?? "", run.kind, run.scenario ?? "-",
                        run.environment ?? "-", run.branch ?? "-",
                        format == .csv ? run.commitId ?? "" : shortCommit(run.commitId),
                        run.buildId ?? "-",
                        run.invalidated ? "\(run.status) (invalidated)" : run.status,
                        run.startedAt,
                    ]
                })
            switch format {
            case .markdown: return table.markdown()
            case .csv: return table.csv()
            default: return runs.isEmpty ? "no runs\n" : table.plain()
            }
        }
    }

    /// One run with its metrics, thresholds, checks and SLO or chaos details.
    public static func show(_ detail: RunDetail, format: OutputFormat) -> String {
        switch format {
        case .json: return JSONWriter.render(.object(json(detail)))
        case .csv: return metricsTable(detail, includeEmpty: true).csv()
        case .table, .markdown: return text(detail, markdown: format == .markdown)
        }
    }

    /// The fields every run has in JSON.
    static func summary(_ run: RunRecord) -> JSONObject {
        JSONObject([
            ("id", .number(run.id.map(Double.init))),
            ("kind", .string(run.kind)),
            ("tool", .string(run.tool)),
            ("source_format", .string(run.sourceFormat)),
            ("source_file", .string(run.sourceFile)),
            ("scenario", .string(run.scenario)),
            ("environment", .string(run.environment)),
            ("branch", .string(run.branch)),
            ("commit", .string(run.commitId)),
            ("build", .string(run.buildId)),
            ("build_url", .string(run.buildUrl)),
            ("pull_request", .string(run.pullRequest)),
            ("status", .string(run.status)),
            ("exit_code", .number(run.exitCode.map(Double.init))),
            ("started_at", .string(run.startedAt)),
            ("ended_at", .string(run.endedAt)),
            ("duration_ms", .number(run.durationMs)),
            ("invalidated", .bool(run.invalidated)),
            ("invalidated_reason", .string(run.invalidatedReason)),
            ("content_digest", .string(run.contentDigest)),
        ])
    }

    static func json(_ detail: RunDetail) -> JSONObject {
        var object = JSONObject.report()
        for (key, value) in summary(detail.run).members { object[key] = value }
        object["labels"] = .object(JSONObject(detail.labels.map { ($0.key, .string($0.value)) }))
        object["metrics"] = .object(
            JSONObject(
                detail.metrics.map { metric in
                    (
                        metric.series.name,
                        .object(JSONObject(metric.statistics.map { ($0.name, .number($0.value)) }))
                    )
                }))
        object["thresholds"] = .array(
            detail.thresholds.map { threshold in
                .object(
                    JSONObject([
                        ("series", .string(threshold.series)),
                        ("expression", .string(threshold.expression)),
                        ("passed", threshold.passed.map { .bool($0) } ?? .null),
                        ("abort_on_fail", .bool(threshold.abortOnFail)),
                    ]))
            })
        object["checks"] = .array(
            detail.checks.map { check in
                .object(
                    JSONObject([
                        ("group", .string(check.groupPath)), ("name", .string(check.name)),
                        ("passes", .number(Double(check.passes))),
                        ("fails", .number(Double(check.fails))),
                    ]))
            })
        if let slo = detail.slo { object["slo"] = .object(sloJSON(slo.evaluation, slo.results)) }
        if let chaos = detail.chaos {
            object["chaos"] = .object(chaosJSON(chaos.experiment, chaos.activities))
        }
        return object
    }

    private static func sloJSON(_ evaluation: SLOEvaluationRecord, _ results: [SLOResultRecord])
        -> JSONObject
    {
        JSONObject([
            ("overall_status", .string(evaluation.overallStatus)),
            ("exit_code", .number(Double(evaluation.exitCode))),
            ("evaluated_at", .string(evaluation.evaluatedAt)),
            ("score", .number(evaluation.score)),
            (
                "results",
                .array(
                    results.map { result in
                        .object(
                            JSONObject([
                                ("name", .string(result.name)), ("title", .string(result.title)),
                                ("metric", .string(result.metric)),
                                ("statistic", .string(result.statistic)),
                                ("comparator", .string(result.comparator)),
                                ("target", .number(result.target)),
                                ("warning", .number(result.warning)),
                                ("unit", .string(result.unit)), ("actual", .number(result.actual)),
                                ("status", .string(result.status)),
                                ("priority", .string(result.priority)),
                                ("recommendation", .string(result.recommendation)),
                            ]))
                    })
            ),
        ])
    }

    private static func chaosJSON(
        _ experiment: ChaosExperimentRecord, _ activities: [ChaosActivityRecord]
    )
        -> JSONObject
    {
        JSONObject([
            ("experiment_id", .string(experiment.experimentId)),
            ("name", .string(experiment.name)),
            ("family", .string(experiment.family)),
            ("fault_type", .string(experiment.faultType)),
            ("blast_radius", .string(experiment.blastRadius)),
            ("target", .string(experiment.target)),
            ("steady_state_before", experiment.steadyStateBefore.map { .bool($0) } ?? .null),
            ("steady_state_after", experiment.steadyStateAfter.map { .bool($0) } ?? .null),
            ("outcome", .string(experiment.outcome)),
            ("rolled_back", .bool(experiment.rolledBack)),
            ("rollback_reason", .string(experiment.rollbackReason)),
            ("availability_pct", .number(experiment.availabilityPct)),
            ("availability_target_pct", .number(experiment.availabilityTargetPct)),
            ("error_rate_pct", .number(experiment.errorRatePct)),
            ("error_rate_target_pct", .number(experiment.errorRateTargetPct)),
            ("mttr_s", .number(experiment.mttrS)),
            ("mttr_target_s", .number(experiment.mttrTargetS)),
            ("requests_total", .number(experiment.requestsTotal.map(Double.init))),
            ("requests_failed", .number(experiment.requestsFailed.map(Double.init))),
            ("started_at", .string(experiment.startedAt)),
            ("ended_at", .string(experiment.endedAt)),
            ("duration_s", .number(experiment.durationS)),
            (
                "activities",
                .array(
                    activities.map { activity in
                        .object(
                            JSONObject([
                                ("phase", .string(activity.phase)),
                                ("type", .string(activity.type)),
                                ("name", .string(activity.name)),
                                ("status", .string(activity.status)),
                                (
                                    "tolerance_met",
                                    activity.toleranceMet.map { .bool($0) } ?? .null
                                ),
                                ("started_at", .string(activity.startedAt)),
                                ("duration_s", .number(activity.durationS)),
                            ]))
                    })
            ),
        ])
    }

    /// Statistics shown as columns in the metrics table, in this order.
    private static let statisticColumns = [
        "avg", "min", "med", "max", "p90", "p95", "p99", "count", "rate", "value", "passes",
        "fails",
    ]

    private static func metricsTable(_ detail: RunDetail, includeEmpty: Bool) -> TextTable {
        let present = Set(detail.metrics.flatMap { $0.statistics.map(\.name) })
        var columns = statisticColumns.filter { includeEmpty || present.contains($0) }
        columns += present.subtracting(statisticColumns).sorted {
            Warehouse.statisticOrder($0) < Warehouse.statisticOrder($1)
        }
        return TextTable(
            columns: [.init("series"), .init("unit")] + columns.map { .init($0, alignRight: true) },
            rows: detail.metrics.map { metric in
                let values = Dictionary(
                    metric.statistics.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                return [metric.series.name, metric.series.unit]
                    + columns.map { column in
                        values[column].map(Figure.format) ?? (includeEmpty ? "" : "")
                    }
            })
    }

    private static func text(_ detail: RunDetail, markdown: Bool) -> String {
        let run = detail.run
        var out = ""
        let title = "Run \(run.id.map(String.init) ?? "?") · \(run.kind) · \(run.status)"
        out += markdown ? "## \(TextTable.markdownCell(title))\n\n" : "\(title)\n\n"
        var facts: [(String, String)] = [
            ("tool", [run.tool, run.toolVersion].compactMap { $0 }.joined(separator: " ")),
            ("format", run.sourceFormat), ("file", run.sourceFile ?? "-"),
            ("scenario", run.scenario ?? "-"), ("environment", run.environment ?? "-"),
            ("branch", run.branch ?? "-"), ("commit", run.commitId ?? "-"),
            ("build", [run.buildId, run.buildUrl].compactMap { $0 }.joined(separator: " ")),
            ("pull request", run.pullRequest ?? "-"), ("started", run.startedAt),
            ("ended", run.endedAt ?? "-"),
            ("duration", run.durationMs.map { Figure.format($0 / 1000) + " s" } ?? "-"),
            ("exit code", run.exitCode.map(String.init) ?? "-"),
        ]
        if run.invalidated {
            facts.append(("invalidated", run.invalidatedReason ?? "yes"))
        }
        if !detail.labels.isEmpty {
            facts.append(
                ("labels", detail.labels.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        }
        let factTable = TextTable(
            columns: [.init("field"), .init("value")],
            rows: facts.map { [$0.0, $0.1.isEmpty ? "-" : $0.1] })
        out += markdown ? factTable.markdown() : factTable.plain()
        if !detail.metrics.isEmpty {
            let table = metricsTable(detail, includeEmpty: false)
            out +=
                markdown ? "\n### Metrics\n\n" + table.markdown() : "\nMetrics\n\n" + table.plain()
        }
        if !detail.thresholds.isEmpty {
            let table = TextTable(
                columns: [.init("series"), .init("threshold"), .init("result")],
                rows: detail.thresholds.map {
                    [
                        $0.series, $0.expression + ($0.abortOnFail ? " (abortOnFail)" : ""),
                        $0.passed.map { $0 ? "passed" : "FAILED" } ?? "not evaluated",
                    ]
                })
            out +=
                markdown
                ? "\n### Thresholds\n\n" + table.markdown() : "\nThresholds\n\n" + table.plain()
        }
        if !detail.checks.isEmpty {
            let table = TextTable(
                columns: [
                    .init("group"), .init("check"), .init("passes", alignRight: true),
                    .init("fails", alignRight: true),
                ],
                rows: detail.checks.map {
                    [
                        $0.groupPath.isEmpty ? "(root)" : $0.groupPath, $0.name, String($0.passes),
                        String($0.fails),
                    ]
                })
            out += markdown ? "\n### Checks\n\n" + table.markdown() : "\nChecks\n\n" + table.plain()
        }
        if let slo = detail.slo {
            let table = TextTable(
                columns: [
                    .init("slo"), .init("priority"), .init("actual", alignRight: true),
                    .init("target"), .init("status"), .init("recommendation"),
                ],
                rows: slo.results.map { result in
                    [
                        result.title ?? result.name, result.priority, Figure.format(result.actual),
                        "\(result.comparator) \(Figure.format(result.target)) \(result.unit ?? "")"
                            .trimmingCharacters(in: .whitespaces),
                        result.status, result.recommendation ?? "",
                    ]
                })
            let heading =
                "SLOs: \(slo.evaluation.overallStatus) (exit code \(slo.evaluation.exitCode))"
            out +=
                markdown
                ? "\n### \(heading)\n\n" + table.markdown() : "\n\(heading)\n\n" + table.plain()
        }
        if let chaos = detail.chaos {
            let experiment = chaos.experiment
            let rows: [[String]] = [
                ["experiment", experiment.name],
                ["family / fault", "\(experiment.family ?? "-") / \(experiment.faultType ?? "-")"],
                ["blast radius", experiment.blastRadius ?? "-"],
                ["target", experiment.target ?? "-"],
                [
                    "steady state before / after",
                    "\(yesNo(experiment.steadyStateBefore)) / \(yesNo(experiment.steadyStateAfter))",
                ],
                ["outcome", experiment.outcome + (experiment.rolledBack ? " (rolled back)" : "")],
                [
                    "availability",
                    percent(
                        experiment.availabilityPct, target: experiment.availabilityTargetPct,
                        sign: ">"),
                ],
                [
                    "error rate",
                    percent(
                        experiment.errorRatePct, target: experiment.errorRateTargetPct, sign: "<"),
                ],
                [
                    "MTTR",
                    experiment.mttrS.map {
                        Figure.format($0) + " s"
                            + (experiment.mttrTargetS.map { " (target < \(Figure.format($0)) s)" }
                                ?? "")
                    } ?? "-",
                ],
                [
                    "requests failed / total",
                    "\(experiment.requestsFailed.map(String.init) ?? "-") / \(experiment.requestsTotal.map(String.init) ?? "-")",
                ],
            ]
            let table = TextTable(columns: [.init("chaos"), .init("value")], rows: rows)
            out +=
                markdown
                ? "\n### Chaos experiment\n\n" + table.markdown()
                : "\nChaos experiment\n\n" + table.plain()
            if !chaos.activities.isEmpty {
                let activities = activityTable(chaos.activities)
                out +=
                    markdown
                    ? "\n### Activities\n\n" + activities.markdown()
                    : "\nActivities\n\n" + activities.plain()
            }
        }
        return out
    }

    /// A chaos experiment's activities in order; a steady-state probe's tolerance result beside
    /// the tool's status (a probe that ran is `succeeded` even when its tolerance failed).
    private static func activityTable(_ activities: [ChaosActivityRecord]) -> TextTable {
        TextTable(
            columns: [
                .init("#", alignRight: true), .init("phase"), .init("type"), .init("name"),
                .init("status"), .init("tolerance"), .init("duration_s", alignRight: true),
            ],
            rows: activities.map { activity in
                [
                    String(activity.seq), activity.phase, activity.type, activity.name,
                    activity.status,
                    activity.toleranceMet.map { $0 ? "met" : "NOT met" } ?? "-",
                    activity.durationS.map(Figure.format) ?? "-",
                ]
            })
    }

    private static func yesNo(_ value: Bool?) -> String {
        value.map { $0 ? "met" : "NOT met" } ?? "-"
    }

    private static func percent(_ value: Double?, target: Double?, sign: String) -> String {
        guard let value else { return "-" }
        let text = Figure.format(value) + " %"
        return target.map { text + " (target \(sign) \(Figure.format($0)) %)" } ?? text
    }

    static func shortCommit(_ commit: String?) -> String {
        guard let commit else { return "-" }
        return commit.count > 12 ? String(commit.prefix(12)) : commit
    }
}
