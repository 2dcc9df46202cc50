import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb calibrate` (reports/calibrate.schema.json for JSON).
public struct CalibrationView: Renderable {
    public var report: CalibrationReport

    /// The view of a calibration.
    public init(_ report: CalibrationReport) { self.report = report }

    public struct Document: Encodable {
        public var scope: Scope
        public var runs: Int
        public var resamples: Int
        public var targetFalseAlarmPct: Double
        public var suggestedMinZ: JSONValue
        public var series: [Row]

        public struct Row: Encodable {
            public var series: String
            public var stat: String
            public var family: String
            public var runs: Int
            public var baseline: Double
            public var noisePct: Double
            public var detectableChangePct: Double
            public var falseAlarmPct: Double
            public var falseWarningPct: Double
            public var quietMinZ: Double?
        }
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                scope: report.scope, runs: report.runs, resamples: report.resamples,
                targetFalseAlarmPct: report.targetFalseAlarmPct,
                suggestedMinZ: .object(
                    JSONObject(
                        report.suggestedMinZ.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                            ($0.key.rawValue, .number($0.value))
                        })),
                series: report.rows.map { row in
                    Document.Row(
                        series: row.pair.series, stat: row.pair.statistic,
                        family: row.family.rawValue, runs: row.runs, baseline: row.centre,
                        noisePct: row.noisePct, detectableChangePct: row.detectableChangePct,
                        falseAlarmPct: row.falseAlarmPct, falseWarningPct: row.falseWarningPct,
                        quietMinZ: row.quietMinZ)
                }))
    }

    public var csv: TextTable { table(report.rows) }

    public var blocks: [Block] {
        let alarms = report.rows.filter { $0.falseAlarmPct > report.targetFalseAlarmPct }
        var blocks: [Block] = [
            .line(
                .strong(
                    "perfdb calibrate: \(report.rows.count) series over \(report.runs) runs of "
                        + "\(report.scope), \(report.resamples) resampled checks each")),
            .line(
                .text(
                    alarms.isEmpty
                        ? "No series raises false alarms above \(Figure.format(report.targetFalseAlarmPct)) % of checks with the current settings."
                        : "\(alarms.count) series raise false alarms above \(Figure.format(report.targetFalseAlarmPct)) % of checks with the current settings."
                )),
        ]
        let suggestions = report.suggestedMinZ.sorted { $0.key.rawValue < $1.key.rawValue }
        let unsettled = Set(report.rows.map(\.family)).subtracting(report.suggestedMinZ.keys)
        for family in unsettled.sorted(by: { $0.rawValue < $1.rawValue }) {
            blocks.append(
                .line(
                    .text(
                        "No min_z up to \(Figure.format(Calibration.minZGrid.last ?? 0)) keeps every "
                            + "\(family.rawValue) series quiet: the history holds real changes (see "
                            + "perfdb trend --change-points), or their effect thresholds are below "
                            + "their noise (the detectable % column).")))
        }
        if !suggestions.isEmpty {
            blocks.append(
                .list(
                    suggestions.map { family, minZ in
                        [
                            .code("gate.\(family.rawValue).min_z: \(Figure.format(minZ))"),
                            .text(
                                " is the smallest that keeps every \(family.rawValue) series at or "
                                    + "under \(Figure.format(report.targetFalseAlarmPct)) % false alarms"
                            ),
                        ]
                    }))
        }
        let noisiest = report.rows.sorted { $0.noisePct > $1.noisePct }
        blocks.append(
            .details(
                summary: "All \(report.rows.count) series (noisiest first)",
                [.table(table(noisiest))]))
        return blocks
    }

    private func table(_ rows: [CalibrationRow]) -> TextTable {
        TextTable(
            columns: [
                .init("series"), .init("stat"), .init("runs", alignRight: true),
                .init("noise %", alignRight: true), .init("detectable %", alignRight: true),
                .init("false alarms %", alignRight: true),
                .init("false warnings %", alignRight: true),
                .init("quiet min_z", alignRight: true),
            ],
            rows: rows.map { row in
                [
                    row.pair.series, row.pair.statistic, String(row.runs),
                    Figure.format(row.noisePct), Figure.format(row.detectableChangePct),
                    Figure.format(row.falseAlarmPct), Figure.format(row.falseWarningPct),
                    row.quietMinZ.map(Figure.format) ?? "> 6",
                ]
            })
    }
}
