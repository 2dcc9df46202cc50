/// Renders `perfdb doctor`.
public enum DoctorRenderer {
    /// The report in `format`.
    public static func render(_ report: DoctorReport, format: OutputFormat) -> String {
        let facts: [(String, String)] = [
            ("database", report.path), ("schema", report.schema.last ?? "-"),
            ("migrations", String(report.schema.count)), ("runs", String(report.runs)),
            ("measurements", String(report.measurements)),
            ("size", Figure.format(Double(report.bytes) / 1_048_576) + " MiB"),
            ("incomplete runs", String(report.incompleteRuns)),
            ("invalidated runs", String(report.invalidatedRuns)),
            ("problems", report.problems.isEmpty ? "none" : String(report.problems.count)),
        ]
        switch format {
        case .json:
            return JSONWriter.render(
                .object(
                    JSONObject.report([
                        ("database", .string(report.path)),
                        ("migrations", .array(report.schema.map { .string($0) })),
                        ("runs", .number(Double(report.runs))),
                        ("measurements", .number(Double(report.measurements))),
                        ("bytes", .number(Double(report.bytes))),
                        ("incomplete_runs", .number(Double(report.incompleteRuns))),
                        ("invalidated_runs", .number(Double(report.invalidatedRuns))),
                        ("problems", .array(report.problems.map { .string($0) })),
                    ])))
        case .markdown:
            return TextTable(
                columns: [.init("check"), .init("value")], rows: facts.map { [$0.0, $0.1] }
            ).markdown()
        case .csv:
            return TextTable(
                columns: [.init("check"), .init("value")], rows: facts.map { [$0.0, $0.1] }
            ).csv()
        case .table:
            return TextTable(
                columns: [.init("check"), .init("value")], rows: facts.map { [$0.0, $0.1] }
            ).plain()
        }
    }
}
