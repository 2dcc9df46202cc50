import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb site`: the whole warehouse as static HTML pages linked by relative file names — an
/// index of the scopes, a page per scope (its report, its gate history, its SLOs), a page per
/// key series with its chart, the runs, and the chaos experiments.
public struct SiteView {
    /// What the site shows of one scope.
    public struct ScopePage: Sendable {
        public var report: ScopeReport
        /// The gate's verdict on each of the scope's runs, oldest first.
        public var gateHistory: [CheckReport]
        public var slo: SLOTrend?

        /// Creates a scope's page.
        public init(report: ScopeReport, gateHistory: [CheckReport], slo: SLOTrend?) {
            self.report = report
            self.gateHistory = gateHistory
            self.slo = slo
        }
    }

    public var scopes: [ScopePage]
    public var runs: [RunRecord]
    public var chaos: [ChaosTrendReport]

    /// The site of scopes, runs and chaos experiments.
    public init(scopes: [ScopePage], runs: [RunRecord], chaos: [ChaosTrendReport]) {
        self.scopes = scopes
        self.runs = runs
        self.chaos = chaos
    }

    /// One page: its file name in the site's folder and its HTML.
    public struct Page: Sendable {
        public var path: String
        public var html: String
    }

    /// Every page of the site, the index first.
    public var pages: [Page] {
        var pages = [Page(path: "index.html", html: HTML.document(index))]
        for (number, page) in scopes.enumerated() {
            pages.append(
                Page(path: Self.scopePath(number), html: HTML.document(scopeBlocks(page, number))))
            for (index, trend) in page.report.trends.enumerated() {
                pages.append(
                    Page(
                        path: Self.seriesPath(number, index),
                        html: HTML.document(
                            [.line(.link("← \(page.report.scope)", href: Self.scopePath(number)))]
                                + TrendView(trend).blocks)))
            }
        }
        pages.append(
            Page(
                path: "runs.html",
                html: HTML.document(
                    [.heading(1, ["Runs"]), Self.home] + RunsListView(runs).blocks)))
        pages.append(
            Page(
                path: "chaos.html",
                html: HTML.document(
                    [.heading(1, ["Chaos experiments"]), Self.home]
                        + (chaos.isEmpty
                            ? [.line("No chaos experiments stored.")]
                            : ChaosTrendView(chaos).blocks))))
        return pages
    }

    static let home = Block.line(.link("← all scopes", href: "index.html"))

    static func scopePath(_ number: Int) -> String { "scope-\(number + 1).html" }

    static func seriesPath(_ scope: Int, _ series: Int) -> String {
        "scope-\(scope + 1)-series-\(series + 1).html"
    }

    private var index: [Block] {
        var blocks: [Block] = [
            .heading(1, ["perfdb warehouse"]),
            .line(
                .text("\(runs.count) runs · "), .link("every run", href: "runs.html"),
                .text(" · "), .link("chaos experiments", href: "chaos.html")),
            .heading(2, ["Scopes"]),
        ]
        blocks.append(
            scopes.isEmpty
                ? .line("No scope has a valid load run.")
                : .list(
                    scopes.enumerated().map { number, page in
                        let check = page.report.check
                        return [
                            .link(page.report.scope.description, href: Self.scopePath(number)),
                            .text(
                                " · latest run \(check.run.id.map(String.init) ?? "?"): "
                                    + check.verdict.rawValue),
                        ]
                    }))
        return blocks
    }

    private func scopeBlocks(_ page: ScopePage, _ number: Int) -> [Block] {
        var blocks = ScopeReportView(page.report).blocks
        // The report's title first, then the way back and the way to each series.
        blocks.insert(Self.home, at: 1)
        blocks.insert(.line("The chart of each key series:"), at: 2)
        blocks.insert(
            .list(
                page.report.trends.enumerated().map { index, trend in
                    [
                        .link(
                            "\(trend.series.name) \(trend.statistic)",
                            href: Self.seriesPath(number, index))
                    ]
                }), at: 3)
        blocks += [.heading(2, ["Gate history"]), .table(gateHistory(page.gateHistory))]
        if let slo = page.slo {
            blocks += [.heading(2, ["SLOs"])] + SLOTrendView(slo).blocks
        }
        return blocks
    }

    private func gateHistory(_ checks: [CheckReport]) -> TextTable {
        TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("commit"),
                .init("regressed", alignRight: true), .init("warnings", alignRight: true),
                .init("verdict"),
            ],
            rows: checks.map { check in
                [
                    check.run.id.map(String.init) ?? "?", check.run.startedAt,
                    RunsListView.shortCommit(check.run.commitId),
                    String(check.verdicts.filter { $0.verdict == .regression }.count),
                    String(check.verdicts.filter { $0.verdict == .warning }.count),
                    check.verdict.rawValue,
                ]
            })
    }
}
