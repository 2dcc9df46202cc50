import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb check`: Markdown fit for a PR comment, a plain table, JSON (the contract in
/// reports/check.schema.json) and JUnit XML.
public struct CheckView: JudgementView {
    public var report: CheckReport

    /// The view of a check.
    public init(_ report: CheckReport) { self.report = report }

    public var marker: String {
        Self.marker("check", scenario: report.run.scenario, environment: report.run.environment)
    }

    public var alertSet: AlertSet { AlertSet(check: report, headline: headline) }

    public var annotations: [Annotation] {
        // A run under a fault fails nothing: what moved is the fault's doing.
        guard report.underChaos == nil else { return [] }
        let found = report.verdicts.filter { $0.verdict == .regression || $0.verdict == .warning }
            .map { verdict in
                Annotation(
                    verdict.verdict == .regression ? .error : .warning,
                    title: "perfdb \(verdict.verdict.rawValue): \(verdict.pair.series) "
                        + verdict.pair.statistic,
                    message: "\(Self.withUnit(verdict.baseline, verdict.unit)) → "
                        + "\(Self.withUnit(verdict.value, verdict.unit)) "
                        + "(\(Figure.percent(verdict.changePct))): \(verdict.reason)")
            }
        return found + (report.slo.map(SLOCheckView.annotations) ?? [])
    }

    // MARK: JSON

    /// The run a report is about, as JSON shows it.
    public struct RunDocument: Encodable {
        public var id: Int64?
        public var commit: String?
        public var branch: String?
        public var build: String?
        public var buildUrl: String?
        public var pullRequest: String?
        public var scenario: String?
        public var environment: String?
        public var startedAt: String
        public var status: RunStatus

        /// The document of a run.
        public init(_ run: RunRecord) {
            id = run.id
            commit = run.commitId
            branch = run.branch
            build = run.buildId
            buildUrl = run.buildUrl
            pullRequest = run.pullRequest
            scenario = run.scenario
            environment = run.environment
            startedAt = run.startedAt
            status = run.status
        }
    }

    /// One series' verdict with its evidence.
    public struct SeriesDocument: Encodable {
        public var series: String
        public var stat: String
        public var verdict: Verdict
        public var value: Double?
        public var baseline: Double?
        public var changePct: Double?
        public var evidence: SeriesEvidence

        /// The document of a verdict.
        public init(_ verdict: SeriesVerdict) {
            series = verdict.pair.series
            stat = verdict.pair.statistic
            self.verdict = verdict.verdict
            value = verdict.value
            baseline = verdict.baseline
            changePct = verdict.changePct
            evidence = verdict.evidence
        }

        /// Its members, then the evidence's, built directly (a check of a raw stream writes a
        /// thousand of them).
        public func encode(to encoder: any Encoder) throws {
            let number = JSONValue.number(orNull:)
            let members: [(String, JSONValue)] = [
                ("series", .string(series)), ("stat", .string(stat)),
                ("verdict", .string(verdict.rawValue)), ("value", number(value)),
                ("baseline", number(baseline)), ("change_pct", number(changePct)),
            ]
            var container = encoder.singleValueContainer()
            try container.encode(JSONValue.object(JSONObject(distinct: members + evidence.members)))
        }
    }

    public struct Document: Encodable {
        public var run: RunDocument
        /// `pass`, `warning`, `regression` or `insufficient-data`.
        public var verdict: String
        public var exitCode: Int32
        public var scope: Scope
        public var baseline: BaselineEvidence
        public var counts: JSONValue
        public var series: [SeriesDocument]
        public var slo: SLODocument?
        public var changePoints: [ChangePointEvidence]
        /// The chaos run the judged run ran under: measured, not gated.
        public var underChaos: RunShowView.Document.UnderChaos?
    }

    public var document: Versioned<Document> { Versioned(plainDocument) }

    /// The document without its schema version (inside `report`).
    var plainDocument: Document {
        Document(
            run: RunDocument(report.run),
            verdict: report.verdict == .ok ? "pass" : report.verdict.rawValue,
            exitCode: report.exitCode, scope: report.scope, baseline: report.baseline.evidence,
            counts: .object(
                JSONObject(
                    Verdict.allCases.map { verdict in
                        (
                            verdict.rawValue,
                            .number(Double(report.verdicts.filter { $0.verdict == verdict }.count))
                        )
                    })),
            series: report.verdicts.map(SeriesDocument.init),
            slo: report.slo.map(SLODocument.init),
            changePoints: report.changePoints.map(\.evidence),
            underChaos: report.underChaos.map {
                RunShowView.Document.UnderChaos(
                    chaosRunId: $0.chaosRunId, experiment: $0.experiment,
                    linkedBy: $0.linkedBy.rawValue, linkedAt: $0.linkedAt)
            })
    }

    public var csv: TextTable { verdictTable(report.verdicts) }

    // MARK: Text

    /// The first line: the verdict, its cause, and what it rests on.
    var headline: String {
        let run = report.run
        let word =
            switch report.verdict {
            case .ok, .improved: "PASS"
            case .warning: "WARNING"
            case .regression: "FAIL"
            case .insufficientData: "INSUFFICIENT DATA"
            }
        let count = { (verdict: Verdict) in report.verdicts.filter { $0.verdict == verdict }.count }
        var parts = ["run \(run.id.map(String.init) ?? "?")"]
        if let commit = run.commitId { parts.append("commit \(commit.prefix(12))") }
        parts.append(
            "\(count(.regression)) regressed, \(count(.warning)) warnings, \(count(.improved)) improved of \(report.verdicts.count) series"
        )
        if let slo = report.slo { parts.append("SLOs \(slo.overallStatus.rawValue)") }
        if let link = report.underChaos {
            return "perfdb check: UNDER FAULT (chaos run \(link.chaosRunId), \(link.experiment): "
                + "measured against the normal baseline, not gated) — "
                + parts.joined(separator: " · ")
        }
        let cause = causes.isEmpty ? "" : " (" + causes.joined(separator: "; ") + ")"
        return "perfdb check: \(word)\(cause) — " + parts.joined(separator: " · ")
    }

    /// What made the verdict: regressions, SLOs, or too little data.
    var causes: [String] {
        var causes: [String] = []
        let regressed = report.verdicts.filter { $0.verdict == .regression }.count
        let warned = report.verdicts.filter { $0.verdict == .warning }.count
        if regressed > 0 {
            causes.append("\(regressed) \(regressed == 1 ? "series" : "series") regressed")
        } else if warned > 0, report.verdict == .warning {
            causes.append("\(warned) \(warned == 1 ? "series warns" : "series warn")")
        }
        if let slo = report.slo, slo.overallStatus != .pass {
            let names = slo.results.filter { $0.status == slo.overallStatus }
                .map { $0.title ?? $0.name }
            causes.append("SLO \(slo.overallStatus.rawValue): " + names.joined(separator: ", "))
        }
        if report.verdict == .insufficientData {
            let needed = report.neededRuns
            causes.append(
                "baseline of \(report.baseline.runs.count) runs, \(needed) needed"
                    + (report.verdicts.contains {
                        $0.verdict == .insufficientData && $0.value == nil
                    }
                        ? "; series missing from the run" : ""))
        }
        return causes
    }

    private var baselineLine: String {
        let choice = report.baseline
        var text: String
        switch choice.source {
        case .pinnedRun:
            text = "pinned run \(choice.runs.first?.id.map(String.init) ?? "?")"
        case .pinnedWindow:
            text = "pinned window of \(choice.runs.count) runs"
        case .automatic:
            text =
                "median of up to \(report.verdicts.first?.baselineRuns.count ?? 0) of \(choice.runs.count) valid runs (automatic)"
        }
        if let entry = choice.entry { text += " — \(entry.reason)" }
        if let outlier = choice.outlier, outlier.series == 0 {
            text +=
                "; run \(outlier.run)'s regression is within the noise of the runs around it:"
                + " left out, holding nothing back"
        } else if let outlier = choice.outlier {
            text +=
                "; run \(outlier.run) was an outlier (\(outlier.series) series moved at once"
                + (outlier.environmentSuspected ? ", environment suspected" : "")
                + "; the runs after it are back): left out, holding nothing back"
        }
        if let base = choice.mergeBaseRun, let id = base.id {
            text +=
                "; up to run \(id), of the merge-base commit \(base.commitId.map { String($0.prefix(12)) } ?? "?")"
        }
        if let held = choice.heldBackAt?.id {
            text +=
                "; held back before run \(held) (an unaccepted regression; perfdb accept \(held) --reason … accepts it)"
        }
        return "Baseline: \(report.scope) · " + text
    }

    public var blocks: [Block] {
        var blocks: [Block] = [.line(.strong(headline)), .line(.text(baselineLine))]
        let changed = report.verdicts.filter {
            $0.verdict == .regression || $0.verdict == .warning || $0.verdict == .improved
                || ($0.verdict == .insufficientData && $0.value == nil)
        }
        if !changed.isEmpty { blocks.append(.table(verdictTable(changed))) }
        if !report.changePoints.isEmpty {
            blocks += [
                .line("Change points this run completes:"),
                .table(Self.changePointTable(report.changePoints)),
            ]
        }
        if let slo = report.slo {
            let failing = slo.results.filter { $0.status != .pass }
            if !failing.isEmpty {
                blocks.append(
                    .list(
                        failing.map { result in
                            [
                                .strong(result.title ?? result.name),
                                .text(
                                    " \(result.status.rawValue): \(result.recommendation ?? "")"),
                            ]
                        }))
            }
            blocks.append(
                .details(
                    summary: "SLOs: \(slo.overallStatus.rawValue) (exit code \(slo.exitCode))"
                        + (slo.score.map { ", score \(Figure.format($0))" } ?? ""),
                    [
                        .table(SLOCheckView.table(slo)),
                        .line(.text(SLOCheckView.sourceLine(report.sloSource))),
                    ]))
        }
        blocks.append(
            .details(
                summary: "All \(report.verdicts.count) series",
                [.table(verdictTable(report.verdicts))]))
        return blocks
    }

    private func verdictTable(_ verdicts: [SeriesVerdict]) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("baseline", alignRight: true),
                .init("value", alignRight: true), .init("change", alignRight: true),
                .init("z", alignRight: true), .init("n", alignRight: true), .init("verdict"),
            ],
            rows: verdicts.map { verdict in
                [
                    verdict.pair.series, verdict.pair.statistic,
                    Self.withUnit(verdict.baseline, verdict.unit),
                    Self.withUnit(verdict.value, verdict.unit), Figure.percent(verdict.changePct),
                    verdict.z.map { $0.isFinite ? String(format: "%.1f", $0) : "no spread" }
                        ?? "-",
                    String(verdict.baselineRuns.count), verdict.verdict.rawValue,
                ]
            })
    }

    /// A figure with its unit as people read it: `48.1 ms`, `0.5 %` of a ratio.
    static func withUnit(_ value: Double?, _ unit: String) -> String {
        guard let value else { return "-" }
        switch unit {
        case "ms": return Figure.format(value) + " ms"
        case "ratio": return Figure.format(value * 100) + " %"
        default: return Figure.format(value)
        }
    }

    static func changePointTable(_ points: [ChangePointReport]) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("first run", alignRight: true),
                .init("commit"), .init("before", alignRight: true),
                .init("after", alignRight: true), .init("change", alignRight: true),
                .init("p-value", alignRight: true), .init("direction"),
            ],
            rows: points.map { point in
                [
                    point.pair.series, point.pair.statistic,
                    point.run.id.map(String.init) ?? "?",
                    RunsListView.shortCommit(point.run.commitId),
                    Figure.format(point.before), Figure.format(point.after),
                    Figure.percent(point.changePct), String(format: "%.2g", point.pValue),
                    point.isRegression ? "regression" : "improvement",
                ]
            })
    }

    // MARK: JUnit

    public func junit() throws -> String {
        let failingSLOs =
            report.slo?.results.filter { $0.status == .critical || $0.status == .fail }.count ?? 0
        let regressions = report.verdicts.filter { $0.verdict == .regression }.count
        let tests = report.verdicts.count + (report.slo?.results.count ?? 0)
        let name = "perfdb check run \(report.run.id.map(String.init) ?? "?")"
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"\(Self.xml(name))\" tests=\"\(tests)\" failures=\"\(regressions + failingSLOs)\">\n"
        out +=
            "  <testsuite name=\"\(Self.xml(name))\" tests=\"\(report.verdicts.count)\" failures=\"\(regressions)\">\n"
        for verdict in report.verdicts {
            out +=
                "    <testcase classname=\"\(Self.attribute(verdict.pair.series))\" name=\"\(Self.attribute(verdict.pair.statistic))\">"
            let body = Self.xml(
                JSONWriter.render(
                    try JSONValueEncoder().encode(SeriesDocument(verdict)), pretty: false))
            switch verdict.verdict {
            case .regression:
                out +=
                    "\n      <failure type=\"regression\" message=\"\(Self.attribute(verdict.reason))\">\(body)</failure>\n    "
            case .insufficientData:
                out += "\n      <skipped message=\"\(Self.attribute(verdict.reason))\"/>\n    "
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
                "  <testsuite name=\"SLOs\" tests=\"\(slo.results.count)\" failures=\"\(failingSLOs)\">\n"
            for result in slo.results {
                out += "    <testcase classname=\"slo\" name=\"\(Self.attribute(result.name))\">"
                if result.status == .critical || result.status == .fail {
                    out +=
                        "\n      <failure type=\"\(result.status.rawValue)\" message=\"\(Self.xml("\(Figure.format(result.actual)) \(result.comparator.rawValue) \(Figure.format(result.target)) not met"))\">\(Self.xml(result.recommendation ?? ""))</failure>\n    "
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
