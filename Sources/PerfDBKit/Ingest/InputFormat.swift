/// The input formats perfdb reads: the only registry of adapters.
public enum InputFormat: String, Sendable, CaseIterable {
    case k6SummaryExport = "k6-summary-export"
    case k6HandleSummary = "k6-handle-summary"
    case sloReport = "slo-report"
    case chaosResult = "chaos-result"
    case chaosToolkitJournal = "chaostoolkit-journal"

    /// The adapter that reads this format.
    var adapter: any InputAdapter.Type {
        switch self {
        case .k6SummaryExport: K6SummaryExportAdapter.self
        case .k6HandleSummary: K6HandleSummaryAdapter.self
        case .sloReport: SLOReportAdapter.self
        case .chaosResult: ChaosResultAdapter.self
        case .chaosToolkitJournal: ChaosToolkitJournalAdapter.self
        }
    }

    /// A phrase for messages: what the format is.
    public var title: String {
        switch self {
        case .k6SummaryExport: "k6 --summary-export JSON"
        case .k6HandleSummary: "k6 handleSummary JSON"
        case .sloReport: "SLO report JSON"
        case .chaosResult: "chaos experiment result JSON"
        case .chaosToolkitJournal: "Chaos Toolkit journal"
        }
    }

    /// The format whose adapter recognises the document, if any.
    static func detect(_ document: JSONValue) -> InputFormat? {
        allCases.first { $0.adapter.recognizes(document) }
    }

    /// Reads an input: parses it, detects (or checks) its format and runs the adapter.
    public static func read(_ input: InputFile, as forced: InputFormat? = nil) throws -> IngestBatch
    {
        if input.bytes.isEmpty {
            throw PerfDBError.badInput(input.name, "empty file")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(input.bytes)
        } catch {
            throw PerfDBError.badInput(
                input.name, "not valid JSON: \(error.message)",
                at: "line \(error.line), column \(error.column)")
        }
        if let forced {
            return try forced.adapter.read(document, file: input.name)
        }
        guard let format = detect(document) else {
            let known = allCases.map(\.title).joined(separator: ", ")
            throw PerfDBError.badInput(
                input.name, "JSON of an unknown kind: not one of \(known) (force one with --format)"
            )
        }
        return try format.adapter.read(document, file: input.name)
    }
}

/// Reads one input format into an ``IngestBatch``.
protocol InputAdapter {
    /// The format this adapter reads.
    static var format: InputFormat { get }
    /// True when the document looks like this format.
    static func recognizes(_ document: JSONValue) -> Bool
    /// Reads the document; errors name `file` and the field.
    static func read(_ document: JSONValue, file: String) throws -> IngestBatch
}
