import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb trend`: a table, Markdown with a sparkline and a Mermaid `xychart-beta` chart
/// (baseline drawn, change points marked), JSON (reports/trend.schema.json) and CSV.
public struct TrendView: Renderable {
    public var report: TrendReport

    /// The view of a trend.
    public init(_ report: TrendReport) { self.report = report }

    public struct Document: Encodable {
        public var series: String
        public var stat: String
        public var unit: String
        public var direction: Direction
        public var scope: Scope
        public var baseline: Baseline
        public var summary: Summary
        public var mergedDistribution: Merged?
        public var points: [Point]
        public var changePoints: [ChangePoint]

        public struct Baseline: Encodable {
            public var value: Double?
            public var kind: BaselineSource?
        }

        public struct Summary: Encodable {
            public var runs: Int
            public var first: Double?
            public var last: Double?
            public var min: Double?
            public var max: Double?
            public var median: Double?
            public var slopePctPerWeek: Double?
        }

        public struct Merged: Encodable {
            public var runs: Int
            public var count: Int
            public var p50: Double?
            public var p90: Double?
            public var p95: Double?
            public var p99: Double?
        }

        public struct Point: Encodable {
            public var runId: Int64?
            public var commit: String?
            public var build: String?
            public var startedAt: String
            public var value: Double
            public var verdict: Verdict?
            public var changePoint: Bool
        }

        public struct ChangePoint: Encodable {
            public var runId: Int64?
            public var commit: String?
            public var startedAt: String
            public var before: Double
            public var after: Double
            public var changePct: Double?
            public var pValue: Double
            public var direction: String
        }
    }

    public var document: Versioned<Document> { Versioned(plainDocument) }

    /// The document without its schema version (inside `report`).
    var plainDocument: Document {
        var document = documentHead
        let changePointRuns = self.changePointRuns
        document.points = report.points.map { point(of: $0, changePointRuns: changePointRuns) }
        return document
    }

    /// The document with no points yet.
    private var documentHead: Document {
        let values = report.points.map(\.value)
        return Document(
            series: report.series.name, stat: report.statistic, unit: report.series.unit,
            direction: report.series.direction, scope: report.scope,
            baseline: Document.Baseline(value: report.baseline, kind: report.baselineSource),
            summary: Document.Summary(
                runs: values.count, first: values.first, last: values.last, min: values.min(),
                max: values.max(), median: Statistics.median(values),
                slopePctPerWeek: report.slopePctPerWeek),
            mergedDistribution: report.merged.map {
                Document.Merged(
                    runs: $0.runs, count: $0.count, p50: $0.p50, p90: $0.p90, p95: $0.p95,
                    p99: $0.p99)
            },
            points: [],
            changePoints: report.changePoints.map { point in
                Document.ChangePoint(
                    runId: point.run.id, commit: point.run.commitId,
                    startedAt: point.run.startedAt, before: point.before, after: point.after,
                    changePct: point.changePct, pValue: point.pValue,
                    direction: point.isRegression ? "regression" : "improvement")
            })
    }

    /// The document's entry of a point.
    private func point(of point: TrendPoint, changePointRuns: Set<Int64>) -> Document.Point {
        let run = report.run(of: point)
        return Document.Point(
            runId: run.id, commit: run.commitId, build: run.buildId,
            startedAt: run.startedAt, value: point.value, verdict: point.verdict,
            changePoint: run.id.map(changePointRuns.contains) ?? false)
    }

    /// A point's members as its `Encodable` conformance writes them (a test holds the two
    /// equal), made directly: a hundred thousand points cost no encoder.
    static func members(_ point: Document.Point) -> [(String, JSONValue)] {
        [
            ("run_id", point.runId.map { .number(Double($0)) } ?? .null),
            ("commit", point.commit.map(JSONValue.string) ?? .null),
            ("build", point.build.map(JSONValue.string) ?? .null),
            ("started_at", .string(point.startedAt)), ("value", .number(point.value)),
            ("verdict", point.verdict.map { .string($0.rawValue) } ?? .null),
            ("change_point", .bool(point.changePoint)),
        ]
    }

    /// The ids of the change points' runs.
    private var changePointRuns: Set<Int64> { Set(report.changePoints.compactMap(\.run.id)) }

    /// Plain text without making the chart and figure it does not show, and JSON with its
    /// points encoded one at a time as they are written: a hundred thousand runs are never
    /// whole in memory as rows, lines or JSON values.
    public func write(_ format: OutputFormat, to write: (String) throws -> Void) throws {
        switch format {
        case .table:
            try Markup.writePlain(body(graphics: false), to: write)
        case .json:
            guard case .object(let head) = try JSONValueEncoder().encode(Versioned(documentHead))
            else { throw PerfDBError(.internal, "a trend document is not a JSON object") }
            let changePointRuns = self.changePointRuns
            try JSONWriter.write(
                head, streaming: "points", count: report.points.count,
                members: { index in
                    Self.members(point(of: report.points[index], changePointRuns: changePointRuns))
                }, to: write)
        default:
            try write(try render(format))
        }
    }

    public var csv: TextTable { table }

    /// The headline: series, scope, sparkline, baseline, slope, merged distribution.
    private var headline: [[Inline]] {
        let values = report.points.map(\.value)
        var lines: [[Inline]] = [
            [
                .text(
                    "\(report.series.name) \(report.statistic) · \(report.scope) · \(values.count) runs  "
                        + Sparkline.of(values))
            ]
        ]
        var second = ""
        if let baseline = report.baseline {
            second =
                "baseline \(Figure.format(baseline)) \(report.series.unit) (\(report.baselineSource?.rawValue ?? "-"))"
        }
        if let slope = report.slopePctPerWeek {
            second +=
                (second.isEmpty ? "" : " · ")
                + "slope \(slope >= 0 ? "+" : "")\(Figure.format(slope)) %/week"
        }
        if !second.isEmpty { lines.append([.text(second)]) }
        if let merged = report.merged {
            lines.append([
                .text(
                    "all \(merged.count) samples of \(merged.runs) runs merged: p50 \(Figure.format(merged.p50))"
                        + " · p90 \(Figure.format(merged.p90)) · p95 \(Figure.format(merged.p95))"
                        + " · p99 \(Figure.format(merged.p99)) \(report.series.unit)")
            ])
        }
        return lines
    }

    /// The table of the points, each row made when it is written.
    private var table: TextTable {
        let changePointRuns = self.changePointRuns
        let report = self.report
        // The table is measured, then written, each a pass over the rows: the numbers are
        // formatted once (short strings, kept inline), not in each pass.
        let numbers = report.points.map { point in
            (
                Figure.format(point.value),
                report.baseline.flatMap { base -> String? in
                    guard base != 0 else { return nil }
                    return Figure.percent((point.value / base - 1) * 100)
                } ?? "-"
            )
        }
        return TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("commit"),
                .init("build"), .init("value", alignRight: true),
                .init("vs baseline", alignRight: true), .init("verdict"), .init("change point"),
            ],
            count: report.points.count,
            row: { index in
                let point = report.points[index]
                let run = report.run(of: point)
                return [
                    run.id.map(String.init) ?? "?", run.startedAt,
                    RunsListView.shortCommit(run.commitId), run.buildId ?? "-",
                    numbers[index].0, numbers[index].1, point.verdict?.rawValue ?? "-",
                    run.id.map { changePointRuns.contains($0) ? "yes" : "" } ?? "",
                ]
            })
    }

    public var blocks: [Block] { body(graphics: true) }

    /// The blocks, with the Mermaid chart and the SVG figure only when `graphics` is set.
    private func body(graphics: Bool) -> [Block] {
        var blocks: [Block] = [
            .heading(
                3, [.text("Trend of "), .code(report.series.name), .text(" \(report.statistic)")]),
            .lines(headline),
        ]
        if graphics { blocks += [.chart(chart), .figure(figure)] }
        if report.changePoints.isEmpty {
            blocks.append(.line("no change points"))
        } else {
            blocks += [
                .line("Change points:"),
                .list(
                    report.changePoints.map { point in
                        [
                            .text(
                                "run \(point.run.id.map(String.init) ?? "?") (commit \(RunsListView.shortCommit(point.run.commitId))): "
                                    + "\(Figure.format(point.before)) → \(Figure.format(point.after))"
                                    + (point.changePct.map { " (\(Figure.percent($0)))" } ?? "")
                                    + ", p = \(String(format: "%.2g", point.pValue))"
                                    + (point.isRegression ? ", regression" : ""))
                        ]
                    }),
            ]
        }
        blocks.append(.details(summary: "\(report.points.count) runs", [.table(table)]))
        return blocks
    }

    /// A Mermaid `xychart-beta` line chart; the baseline is a second line and change-point
    /// runs are marked ▲ on the x axis.
    var chart: String {
        let unit = report.series.unit.isEmpty ? "" : " (\(report.series.unit))"
        let changePointRuns = self.changePointRuns
        let labels = report.points.map { point -> String in
            let run = report.run(of: point).id
            let id = run.map(String.init) ?? "?"
            return "\"" + (run.map(changePointRuns.contains) == true ? "▲" : "") + id
                + "\""
        }
        let values = report.points.map { JSONWriter.formatNumber(Self.rounded($0.value)) }
        var lines = [
            "xychart-beta",
            "    title \"\(report.series.name.replacingOccurrences(of: "\"", with: "'")) \(report.statistic)\(unit)\"",
            "    x-axis \"run\" [\(labels.joined(separator: ", "))]",
            "    y-axis \"\(report.statistic)\(unit)\"",
            "    line [\(values.joined(separator: ", "))]",
        ]
        if let baseline = report.baseline {
            let flat = Array(
                repeating: JSONWriter.formatNumber(Self.rounded(baseline)), count: values.count)
            lines.append("    line [\(flat.joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The chart of the HTML report: the values with a dot per run (run, commit, value and
    /// verdict on hover), the baseline and the gate's tolerance band around it, regressions and
    /// warnings marked, change points as vertical lines.
    var figure: SVGChart {
        let unit = report.series.unit
        let values = report.points.map(\.value)
        let changePointRuns = self.changePointRuns
        let runs = report.points.map { report.run(of: $0) }
        var series = [SVGChart.Series(report.statistic, values: values, dots: true)]
        if let baseline = report.baseline {
            series.append(
                SVGChart.Series(
                    "baseline", values: Array(repeating: baseline, count: values.count)))
        }
        var summary =
            "\(report.statistic) of \(report.series.name) over \(values.count) runs of "
            + "\(report.scope), from \(Figure.format(values.first)) to "
            + "\(Figure.format(values.last)) \(unit)"
        if let baseline = report.baseline {
            summary += "; baseline \(Figure.format(baseline)) \(unit)"
            if let tolerance = report.tolerance {
                summary += " ± \(Figure.format(tolerance))"
            }
        }
        summary +=
            "; \(report.changePoints.count) change "
            + (report.changePoints.count == 1 ? "point" : "points") + "."
        var chart = SVGChart(
            title: "\(report.series.name) \(report.statistic) run by run",
            summary: summary, xTitle: "run",
            yTitle: report.statistic + (unit.isEmpty ? "" : " (\(unit))"),
            xLabels: runs.map { $0.id.map(String.init) ?? "?" }, series: series, table: table)
        chart.pointNotes = zip(runs, report.points).map { run, point in
            "run \(run.id.map(String.init) ?? "?") · commit \(RunsListView.shortCommit(run.commitId))"
                + " · \(Figure.format(point.value)) \(unit)"
                + (point.verdict.map { " · \($0.rawValue)" } ?? "")
        }
        if let baseline = report.baseline, let tolerance = report.tolerance {
            chart.band = (
                baseline - tolerance, baseline + tolerance,
                "baseline \(Figure.format(baseline)) ± \(Figure.format(tolerance)) \(unit): "
                    + "a change inside is not material"
            )
        }
        for (index, point) in report.points.enumerated() {
            let kind: SVGChart.MarkerKind? =
                switch point.verdict {
                case .regression: .regression
                case .warning: .warning
                case .improved: .improvement
                default: nil
                }
            guard let kind, let verdict = point.verdict else { continue }
            chart.markers.append(
                SVGChart.Marker(
                    index: index, value: point.value, kind: kind,
                    note: "\(verdict.rawValue): " + chart.pointNotes[index]))
        }
        for (index, run) in runs.enumerated() {
            guard let id = run.id, changePointRuns.contains(id),
                let point = report.changePoints.first(where: { $0.run.id == id })
            else { continue }
            chart.events.append(
                SVGChart.Event(
                    index: index,
                    note:
                        "change point at run \(id) (commit \(RunsListView.shortCommit(run.commitId))): "
                        + "\(Figure.format(point.before)) → \(Figure.format(point.after)) \(unit)"
                        + (point.changePct.map { " (\(Figure.percent($0)))" } ?? "")))
        }
        return chart
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}
