import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb report`: the whole picture of a scope as Markdown or JSON
/// (reports/report.schema.json).
public struct ScopeReportView: Renderable {
    public var report: ScopeReport

    /// The view of a scope report.
    public init(_ report: ScopeReport) { self.report = report }

    public struct Document: Encodable {
        public var scope: Scope
        public var latestRun: CheckView.RunDocument
        public var check: Versioned<CheckView.Document>
        public var trends: [Versioned<TrendView.Document>]
        public var drift: Versioned<DriftView.Document>
        public var chaos: [ChaosTrendView.Experiment]
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                scope: report.scope, latestRun: CheckView.RunDocument(report.check.run),
                check: CheckView(report.check).document,
                trends: report.trends.map { TrendView($0).document },
                drift: DriftView(report.drift).document,
                chaos: report.chaos.map(ChaosTrendView.Experiment.init)))
    }

    public var csv: TextTable { keySeries }

    private var keySeries: TextTable {
        TextTable(
            columns: [
                .init("series"), .init("trend"), .init("baseline ms", alignRight: true),
                .init("latest ms", alignRight: true), .init("change", alignRight: true),
                .init("change points"),
            ],
            rows: report.trends.map { trend in
                let values = trend.points.map(\.value)
                let last = values.last
                let change = trend.baseline.flatMap { base in
                    last.map { base != 0 ? ($0 / base - 1) * 100 : 0 }
                }
                return [
                    trend.series.name, Sparkline.of(values), Figure.format(trend.baseline),
                    Figure.format(last), Figure.percent(change),
                    trend.changePoints.map {
                        "run \($0.run.id.map(String.init) ?? "?") (\(Figure.percent($0.changePct)))"
                    }.joined(separator: ", "),
                ]
            })
    }

    /// The trend with the gate's verdict of this report on the latest run, when no verdict of
    /// it is stored, so the chart marks what the gate section says.
    private func withGateVerdict(_ trend: TrendReport) -> TrendReport {
        guard let last = trend.points.indices.last, trend.points[last].verdict == nil,
            let id = report.check.run.id, trend.run(of: trend.points[last]).id == id,
            let judged = report.check.verdicts.first(where: {
                $0.pair == SeriesStatistic(series: trend.series.name, statistic: trend.statistic)
            })
        else { return trend }
        var marked = trend
        marked.points[last].verdict = judged.verdict
        return marked
    }

    public var blocks: [Block] {
        let run = report.check.run
        var blocks: [Block] = [
            .heading(1, [.text("Performance report · \(report.scope)")]),
            .line(
                .text(
                    "Latest run \(run.id.map(String.init) ?? "?") · \(run.startedAt) · commit "
                        + "\(RunsListView.shortCommit(run.commitId)) · build \(run.buildId ?? "-") · "
                        + "status \(run.status.rawValue)")),
            .heading(2, ["Gate"]),
        ]
        blocks += CheckView(report.check).blocks
        blocks += [.heading(2, ["Key series (p95)"]), .table(keySeries)]
        if let worst = report.trends.first { blocks.append(.chart(TrendView(worst).chart)) }
        // HTML draws every key series; Markdown keeps to the one Mermaid chart.
        blocks += report.trends.map { .figure(TrendView(withGateVerdict($0)).figure) }
        blocks.append(.heading(2, ["Drift"]))
        let flagged = report.drift.rows.filter { $0.drifted || $0.creeping }
        blocks.append(
            flagged.isEmpty
                ? .line("No series is past its drift tolerance.")
                : .table(DriftView(report.drift).table(flagged, flags: false)))
        blocks.append(.heading(2, ["Chaos resilience"]))
        blocks +=
            report.chaos.isEmpty
            ? [.line("No chaos experiments stored.")] : ChaosTrendView(report.chaos).body
        return blocks
    }
}
