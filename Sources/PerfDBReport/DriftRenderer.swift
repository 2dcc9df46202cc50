import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb baseline drift` (reports/drift.schema.json for JSON).
public struct DriftView: Renderable {
    public var report: DriftReport

    /// The view of a drift report.
    public init(_ report: DriftReport) { self.report = report }

    public struct Document: Encodable {
        public var scope: Scope
        public var baselineKind: BaselineSource
        public var latestRun: Int64?
        public var flagged: Bool
        public var settings: Settings
        public var series: [Row]

        public struct Settings: Encodable {
            public var recentRuns: Int
            public var slopeRuns: Int
            public var maxDriftPct: Double
            public var maxSlopePctPerWeek: Double
        }

        public struct Row: Encodable {
            public var series: String
            public var stat: String
            public var unit: String
            public var direction: Direction
            public var baseline: Double
            public var recent: Double
            public var recentRuns: Int
            public var driftPct: Double?
            public var slopePctPerWeek: Double?
            public var slopeRuns: Int
            public var drifted: Bool
            public var creeping: Bool
        }
    }

    public var document: Versioned<Document> { Versioned(plainDocument) }

    /// The document without its schema version (inside `report`).
    var plainDocument: Document {
        Document(
            scope: report.scope, baselineKind: report.baselineSource, latestRun: report.latest.id,
            flagged: report.flagged,
            settings: Document.Settings(
                recentRuns: report.settings.recentRuns, slopeRuns: report.settings.slopeRuns,
                maxDriftPct: report.settings.maxDriftPct,
                maxSlopePctPerWeek: report.settings.maxSlopePctPerWeek),
            series: report.rows.map { row in
                Document.Row(
                    series: row.pair.series, stat: row.pair.statistic, unit: row.unit,
                    direction: row.direction, baseline: row.baseline, recent: row.recent,
                    recentRuns: row.recentRuns, driftPct: row.driftPct,
                    slopePctPerWeek: row.slopePctPerWeek, slopeRuns: row.slopeRuns,
                    drifted: row.drifted, creeping: row.creeping)
            })
    }

    public var csv: TextTable { table(report.rows, flags: true) }

    public var blocks: [Block] {
        let flagged = report.rows.filter { $0.drifted || $0.creeping }.count
        let headline =
            "\(flagged) of \(report.rows.count) series past tolerance · \(report.scope) · "
            + "baseline \(report.baselineSource.rawValue) · recent = median of the last "
            + "\(report.settings.recentRuns) runs (tolerance \(Figure.format(report.settings.maxDriftPct)) %) · "
            + "slope over \(report.settings.slopeRuns) runs (tolerance "
            + "\(Figure.format(report.settings.maxSlopePctPerWeek)) %/week)"
        return [
            .heading(3, ["Drift from the baseline"]), .line(.text(headline)),
            .table(table(report.rows, flags: true)),
        ]
    }

    /// Drift rows as a table, with or without the flag column.
    func table(_ rows: [DriftRow], flags: Bool) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("baseline", alignRight: true),
                .init("recent", alignRight: true), .init("drift", alignRight: true),
                .init("slope/week", alignRight: true),
            ] + (flags ? [.init("flag")] : []),
            rows: rows.map { row in
                let flag = [row.drifted ? "drift" : nil, row.creeping ? "creep" : nil]
                    .compactMap { $0 }.joined(separator: "+")
                return [
                    row.pair.series, row.pair.statistic, Figure.format(row.baseline),
                    Figure.format(row.recent), Figure.percent(row.driftPct),
                    Figure.percent(row.slopePctPerWeek),
                ] + (flags ? [flag.isEmpty ? "ok" : flag] : [])
            })
    }
}
