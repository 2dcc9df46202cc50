import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb doctor`.
public struct DoctorView: Renderable {
    public var report: DoctorReport

    /// The view of a doctor report.
    public init(_ report: DoctorReport) { self.report = report }

    public struct Document: Encodable {
        public var database: String
        public var migrations: [String]
        public var runs: Int
        public var measurements: Int
        public var bytes: Int
        public var incompleteRuns: Int
        public var invalidatedRuns: Int
        public var problems: [String]
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                database: report.path, migrations: report.schema, runs: report.runs,
                measurements: report.measurements, bytes: report.bytes,
                incompleteRuns: report.incompleteRuns, invalidatedRuns: report.invalidatedRuns,
                problems: report.problems))
    }

    public var csv: TextTable { facts }

    public var blocks: [Block] { [.table(facts)] }

    private var facts: TextTable {
        let facts: [(String, String)] = [
            ("database", report.path), ("schema", report.schema.last ?? "-"),
            ("migrations", String(report.schema.count)), ("runs", String(report.runs)),
            ("measurements", String(report.measurements)),
            ("size", Figure.format(Double(report.bytes) / 1_048_576) + " MiB"),
            ("incomplete runs", String(report.incompleteRuns)),
            ("invalidated runs", String(report.invalidatedRuns)),
            ("problems", report.problems.isEmpty ? "none" : String(report.problems.count)),
        ]
        return TextTable(
            columns: [.init("check"), .init("value")], rows: facts.map { [$0.0, $0.1] })
    }
}
