import Foundation

/// The input formats perfdb reads (PerfDBIngest maps each to its adapter).
public enum InputFormat: String, Codable, Sendable, CaseIterable {
    case k6SummaryExport = "k6-summary-export"
    case k6HandleSummary = "k6-handle-summary"
    case sloReport = "slo-report"
    case chaosResult = "chaos-result"
    case chaosToolkitJournal = "chaostoolkit-journal"
    case k6NDJSON = "k6-ndjson"
    case k6CSV = "k6-csv"
    case locustJSON = "locust-json"
    case locustCSV = "locust-csv"

    /// True for k6's raw streams, read line by line rather than as one document.
    public var isStream: Bool { self == .k6NDJSON || self == .k6CSV }

    /// A phrase for messages: what the format is.
    public var title: String {
        switch self {
        case .k6SummaryExport: "k6 --summary-export JSON"
        case .k6HandleSummary: "k6 handleSummary JSON"
        case .sloReport: "SLO report JSON"
        case .chaosResult: "chaos experiment result JSON"
        case .chaosToolkitJournal: "Chaos Toolkit journal"
        case .k6NDJSON: "k6 --out json NDJSON"
        case .k6CSV: "k6 --out csv"
        case .locustJSON: "Locust --json-file report"
        case .locustCSV: "Locust --csv stats CSV"
        }
    }
}
