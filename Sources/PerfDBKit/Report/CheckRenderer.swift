import Foundation

/// Renders `perfdb check`: Markdown fit for a PR comment, a plain table, JSON (the contract in
/// reports/check.schema.json) and JUnit XML.
public enum CheckRenderer {
    /// The report in `format`.
    public static func render(_ report: CheckReport, format: CheckFormat) -> String {
        switch format {
        case .json: return JSONWriter.render(.object(json(report)))
        case .markdown: return markdown(report)
        case .table: return table(report)
        case .junit: return junit(report)
        }
    }

    // MARK: JSON

    static func json(_ report: CheckReport) -> JSONObject {
        let run = report.run
        var counts = JSONObject()
        for verdict in Verdict.allCases {
            counts[verdict.rawValue] = .number(
                Double(report.verdicts.filter { $0.verdict == verdict }.count))
        }
        return JSONObject.report([
            ("run", .object(runJSON(run))),
            ("verdict", .string(report.verdict == .ok ? "pass" : report.verdict.rawValue)),
            ("exit_code", .number(Double(report.exitCode))),
            ("scope", .object(scopeJSON(report.scope))),
            ("baseline", .object(baselineJSON(report.baseline))),
            ("counts", .object(counts)),
            ("series", .array(report.verdicts.map { .object(seriesJSON($0)) })),
            ("slo", report.slo.map { .object(sloJSON($0)) } ?? .null),
            ("change_points", .array(report.changePoints.map { .object(changePointJSON($0)) })),
        ])
    }

    static func runJSON(_ run: RunRecord) -> JSONObject {
        JSONObject([
            ("id", .number(run.id.map(Double.init))), ("commit", .string(run.commitId)),
            ("branch", .string(run.branch)), ("build", .string(run.buildId)),
            ("build_url", .string(run.buildUrl)), ("pull_request", .string(run.pullRequest)),
            ("scenario", .string(run.scenario)), ("environment", .string(run.environment)),
            ("started_at", .string(run.startedAt)), ("status", .string(run.status)),
        ])
    }

    static func scopeJSON(_ scope: Scope) -> JSONObject {
        JSONObject([
            ("scenario", .string(scope.scenario)), ("environment", .string(scope.environment)),
            ("branch", .string(scope.branch)),
        ])
    }

    static func baselineJSON(_ choice: BaselineChoice) -> JSONObject {
        JSONObject([
            ("kind", .string(choice.kind)),
            ("runs", .array(choice.runs.compactMap { $0.id.map { .number(Double($0)) } })),
            ("held_back_at", .number(choice.heldBackAt?.id.map(Double.init))),
            ("accepted_at", .number(choice.acceptedAt?.id.map(Double.init))),
            (
                "pin",
                choice.entry.map { entry in
                    .object(
                        JSONObject([
                            ("id", .number(entry.id.map(Double.init))),
                            ("kind", .string(entry.kind)),
                            ("run_id", .number(Double(entry.runId))),
                            ("window", .number(entry.windowSize.map(Double.init))),
                            ("reason", .string(entry.reason)), ("set_at", .string(entry.setAt)),
                        ]))
                } ?? .null
            ),
        ])
    }

    static func seriesJSON(_ verdict: SeriesVerdict) -> JSONObject {
        var object = JSONObject([
            ("series", .string(verdict.pair.series)), ("stat", .string(verdict.pair.statistic)),
            ("verdict", .string(verdict.verdict.rawValue)), ("value", .number(verdict.value)),
            ("baseline", .number(verdict.baseline)), ("change_pct", .number(verdict.changePct)),
        ])
        for (key, value) in evidence(verdict).members { object[key] = value }
        return object
    }

    /// The evidence of one verdict, as stored in `verdict.evidence`.
    static func evidence(_ verdict: SeriesVerdict) -> JSONObject {
        JSONObject([
            ("unit", .string(verdict.unit)), ("direction", .string(verdict.direction.rawValue)),
            ("change_abs", .number(verdict.changeAbs)), ("spread", .number(verdict.spread)),
            (
                "z",
                verdict.z.map { $0.isFinite ? .number($0) : .string($0 > 0 ? "+inf" : "-inf") }
                    ?? .null
            ),
            ("n", .number(Double(verdict.baselineRuns.count))),
            ("baseline_runs", .array(verdict.baselineRuns.map { .number(Double($0)) })),
            (
                "method",
                .string(
                    (verdict.z == nil ? "relative change vs pinned run" : "robust z (median/MAD)")
                        + (verdict.mannWhitneyP == nil
                            ? "" : " and Mann-Whitney U on stored distributions"))
            ),
            ("mann_whitney_p", .number(verdict.mannWhitneyP)),
            ("superiority", .number(verdict.superiority)),
            (
                "thresholds",
                .object(
                    JSONObject([
                        ("family", .string(verdict.rule.family.rawValue)),
                        ("min_change_pct", .number(verdict.rule.minChangePct)),
                        ("min_change_abs", .number(verdict.rule.minChangeAbs)),
                        ("min_z", .number(verdict.rule.minZ)),
                        ("warning_change_pct", .number(verdict.rule.warningChangePct)),
                    ]))
            ),
            ("reason", .string(verdict.reason)),
        ])
    }

    /// The evidence of a run's overall verdict.
    static func summaryEvidence(_ report: CheckReport) -> JSONObject {
        JSONObject([
            ("baseline", .object(baselineJSON(report.baseline))),
            ("exit_code", .number(Double(report.exitCode))),
            ("slo", report.slo.map { .string($0.overallStatus.rawValue) } ?? .null),
            ("change_points", .array(report.changePoints.map { .object(changePointJSON($0)) })),
        ])
    }

    static func sloJSON(_ slo: SLOEvaluationValue) -> JSONObject {
        JSONObject([
            ("overall_status", .string(slo.overallStatus.rawValue)),
            ("exit_code", .number(Double(slo.exitCode))), ("score", .number(slo.score)),
            (
                "results",
                .array(
                    slo.results.map { result in
                        .object(
                            JSONObject([
                                ("name", .string(result.name)), ("title", .string(result.title)),
                                ("series", .string(result.metric)),
                                ("statistic", .string(result.statistic)),
                                ("comparator", .string(result.comparator.rawValue)),
                                ("target", .number(result.target)),
                                ("warning", .number(result.warning)),
                                ("unit", .string(result.unit)), ("actual", .number(result.actual)),
                                ("status", .string(result.status.rawValue)),
                                ("priority", .string(result.priority.rawValue)),
                                ("recommendation", .string(result.recommendation)),
                            ]))
                    })
            ),
        ])
    }

    static func changePointJSON(_ point: ChangePointReport) -> JSONObject {
        JSONObject([
            ("series", .string(point.pair.series)), ("stat", .string(point.pair.statistic)),
            ("run_id", .number(point.run.id.map(Double.init))),
            ("commit", .string(point.run.commitId)), ("started_at", .string(point.run.startedAt)),
            ("before", .number(point.before)), ("after", .number(point.after)),
            ("change_pct", .number(point.changePct)), ("p_value", .number(point.pValue)),
            ("direction", .string(point.isRegression ? "regression" : "improvement")),
        ])
    }

    // MARK: Text

    private static func headline(_ report: CheckReport) -> String {
        let run = report.run
        let word =
            switch report.verdict {
            case .ok, .improved: "PASS"
            case .warning: "WARNING"
            case .regression: "REGRESSION"
            case .insufficientData: "INSUFFICIENT DATA"
            }
        let count = { (verdict: Verdict) in report.verdicts.filter { $0.verdict == verdict }.count }
        var parts = ["run \(run.id.map(String.init) ?? "?")"]
        if let commit = run.commitId { parts.append("commit \(commit.prefix(12))") }
        parts.append(
            "\(count(.regression)) regressed, \(count(.warning)) warnings, \(count(.improved)) improved of \(report.verdicts.count) series"
        )
        if let slo = report.slo { parts.append("SLOs \(slo.overallStatus.rawValue)") }
        return "perfdb check: \(word) — " + parts.joined(separator: " · ")
    }

    private static func baselineLine(_ report: CheckReport) -> String {
        let choice = report.baseline
        var text: String
        switch choice.kind {
        case "pinned-run":
            text = "pinned run \(choice.runs.first?.id.map(String.init) ?? "?")"
        case "pinned-window":
            text = "pinned window of \(choice.runs.count) runs"
        default:
            text =
                "median of up to \(report.verdicts.first?.baselineRuns.count ?? 0) of \(choice.runs.count) valid runs (automatic)"
        }
        if let entry = choice.entry { text += " — \(entry.reason)" }
        if let held = choice.heldBackAt?.id {
            text +=
                "; held back before run \(held) (an unaccepted regression; perfdb accept \(held) --reason … accepts it)"
        }
        return "Baseline: \(report.scope) · " + text
    }

    private static func verdictTable(_ verdicts: [SeriesVerdict]) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("baseline", alignRight: true),
                .init("value", alignRight: true), .init("change", alignRight: true),
                .init("z", alignRight: true), .init("n", alignRight: true), .init("verdict"),
            ],
            rows: verdicts.map { verdict in
                [
                    verdict.pair.series, verdict.pair.statistic,
                    withUnit(verdict.baseline, verdict.unit), withUnit(verdict.value, verdict.unit),
                    Figure.percent(verdict.changePct),
                    verdict.z.map {
                        $0.isFinite ? String(format: "%.1f", $0) : ($0 > 0 ? "+inf" : "-inf")
                    }
                        ?? "-",
                    String(verdict.baselineRuns.count), verdict.verdict.rawValue,
                ]
            })
    }

    private static func withUnit(_ value: Double?, _ unit: String) -> String {
        guard let value else { return "-" }
        switch unit {
        case "ms": return Figure.format(value) + " ms"
        case "ratio": return Figure.format(value * 100) + " %"
        default: return Figure.format(value)
        }
    }

    private static func changePointTable(_ points: [ChangePointReport]) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("first run", alignRight: true),
                .init("commit"), .init("before", alignRight: true),
                .init("after", alignRight: true),
                .init("change", alignRight: true), .init("p-value", alignRight: true),
                .init("direction"),
            ],
            rows: points.map { point in
                [
                    point.pair.series, point.pair.statistic,
                    point.run.id.map(String.init) ?? "?",
                    String((point.run.commitId ?? "-").prefix(12)),
                    Figure.format(point.before), Figure.format(point.after),
                    Figure.percent(point.changePct),
                    String(format: "%.2g", point.pValue),
                    point.isRegression ? "regression" : "improvement",
                ]
            })
    }

    private static func sloTable(_ slo: SLOEvaluationValue) -> TextTable {
        TextTable(
            columns: [
                .init("slo"), .init("priority"), .init("actual", alignRight: true),
                .init("target"), .init("status"),
            ],
            rows: slo.results.map { result in
                [
                    result.title ?? result.name, result.priority.rawValue,
                    Figure.format(result.actual) + (result.unit.map { " \($0)" } ?? ""),
                    "\(result.comparator.rawValue) \(Figure.format(result.target))",
                    result.status.rawValue,
                ]
            })
    }

    static func markdown(_ report: CheckReport) -> String {
        var out = "**\(TextTable.markdownCell(headline(report)))**\n\n"
        out += TextTable.markdownCell(baselineLine(report)) + "\n"
        let changed = report.verdicts.filter {
            $0.verdict == .regression || $0.verdict == .warning || $0.verdict == .improved
                || ($0.verdict == .insufficientData && $0.value == nil)
        }
        if !changed.isEmpty {
            out += "\n" + verdictTable(changed).markdown()
        }
        if !report.changePoints.isEmpty {
            out +=
                "\nChange points this run completes:\n\n"
                + changePointTable(report.changePoints).markdown()
        }
        if let slo = report.slo {
            let failing = slo.results.filter { $0.status != .pass }
            for result in failing {
                out +=
                    "\n- **\(TextTable.markdownCell(result.title ?? result.name))** \(result.status.rawValue): "
                    + TextTable.markdownCell(result.recommendation ?? "") + "\n"
            }
            out +=
                "\n<details><summary>SLOs: \(slo.overallStatus.rawValue)"
                + (slo.score.map { ", score \(Figure.format($0))" } ?? "") + "</summary>\n\n"
                + sloTable(slo).markdown() + "\n</details>\n"
        }
        out +=
            "\n<details><summary>All \(report.verdicts.count) series</summary>\n\n"
            + verdictTable(report.verdicts).markdown() + "\n</details>\n"
        return out
    }

    static func table(_ report: CheckReport) -> String {
        var out = headline(report) + "\n" + baselineLine(report) + "\n\n"
        out += verdictTable(report.verdicts).plain()
        if !report.changePoints.isEmpty {
            out +=
                "\nChange points this run completes\n\n"
                + changePointTable(report.changePoints).plain()
        }
        if let slo = report.slo {
            out +=
                "\nSLOs: \(slo.overallStatus.rawValue) (exit code \(slo.exitCode))\n\n"
                + sloTable(slo).plain()
            for result in slo.results where result.status != .pass {
                out += "- \(result.title ?? result.name): \(result.recommendation ?? "")\n"
            }
        }
        return out
    }

    // MARK: JUnit

    static func junit(_ report: CheckReport) -> String {
        let failures =
            report.verdicts.filter { $0.verdict == .regression }.count
            + (report.slo?.results.filter { $0.status == .critical || $0.status == .fail }.count
                ?? 0)
        let tests = report.verdicts.count + (report.slo?.results.count ?? 0)
        let name = "perfdb check run \(report.run.id.map(String.init) ?? "?")"
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(xml(name))\" tests=\"\(tests)\" failures=\"\(failures)\">\n"
        out +=
            "  <testsuite name=\"\(xml(name))\" tests=\"\(report.verdicts.count)\" failures=\"\(report.verdicts.filter { $0.verdict == .regression }.count)\">\n"
        for verdict in report.verdicts {
            out +=
                "    <testcase classname=\"\(attribute(verdict.pair.series))\" name=\"\(attribute(verdict.pair.statistic))\">"
            let body = xml(JSONWriter.render(.object(seriesJSON(verdict)), pretty: false))
            switch verdict.verdict {
            case .regression:
                out +=
                    "\n      <failure type=\"regression\" message=\"\(attribute(verdict.reason))\">\(body)</failure>\n    "
            case .insufficientData:
                out += "\n      <skipped message=\"\(attribute(verdict.reason))\"/>\n    "
            case .warning:
                out += "\n      <system-out>warning: \(body)</system-out>\n    "
            case .ok, .improved:
                break
            }
            out += "</testcase>\n"
        }
        out += "  </testsuite>\n"
        if let slo = report.slo {
            out +=
                "  <testsuite name=\"SLOs\" tests=\"\(slo.results.count)\" failures=\"\(slo.results.filter { $0.status == .critical || $0.status == .fail }.count)\">\n"
            for result in slo.results {
                out += "    <testcase classname=\"slo\" name=\"\(attribute(result.name))\">"
                if result.status == .critical || result.status == .fail {
                    out +=
                        "\n      <failure type=\"\(result.status.rawValue)\" message=\"\(xml("\(Figure.format(result.actual)) \(result.comparator.rawValue) \(Figure.format(result.target)) not met"))\">\(xml(result.recommendation ?? ""))</failure>\n    "
                }
                out += "</testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// The longest attribute value a JUnit report carries (CI pages show them as titles).
    static let maximumAttributeLength = 256

    /// An attribute value: escaped, and cut to ``maximumAttributeLength`` characters ending in
    /// "…".
    static func attribute(_ text: String) -> String {
        xml(TextTable.truncated(text, to: maximumAttributeLength))
    }

    /// Escapes text for XML attributes and content.
    ///
    /// Characters XML 1.0 forbids are dropped.
    static func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            default:
                if scalar.value < 0x20 && scalar != "\t" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The formats `perfdb check` prints.
public enum CheckFormat: String, Sendable, CaseIterable {
    case table
    case markdown
    case json
    case junit
}
