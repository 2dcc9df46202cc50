import Foundation
import PerfDBModel

extension InputFormat {
    /// The adapter that reads this format as one JSON document.
    var adapter: any InputAdapter.Type {
        switch self {
        case .k6NDJSON, .k6CSV, .locustCSV: NotADocument.self
        case .locustJSON: LocustJSONAdapter.self
        case .k6SummaryExport: K6SummaryExportAdapter.self
        case .k6HandleSummary: K6HandleSummaryAdapter.self
        case .sloReport: SLOReportAdapter.self
        case .chaosResult: ChaosResultAdapter.self
        case .chaosToolkitJournal: ChaosToolkitJournalAdapter.self
        }
    }

    /// The format whose adapter recognises the document, if any.
    static func detect(_ document: JSONValue) -> InputFormat? {
        allCases.first { !$0.isStream && $0.adapter.recognizes(document) }
    }

    /// What reading one input yields.
    public struct Loaded: Sendable {
        public var batch: IngestBatch
        /// The content digest.
        public var digest: String
        /// The digest a raw stream was stored with before (``StreamOptions/legacyDigest``).
        public var legacyDigest: String?
        /// The file's modification time.
        public var modifiedAt: Date?
    }

    /// Reads a file or standard input of any format: raw k6 streams in one streaming pass,
    /// documents whole.
    public static func load(_ path: String, as forced: InputFormat?, options: StreamOptions) throws
        -> Loaded
    {
        let stream = try ByteStream(path: path)
        let prefix = try readPrefix(stream)
        let format = forced ?? K6StreamAdapter.detect(prefix)
        if let format, format.isStream {
            let read = try K6StreamAdapter.read(
                stream, prefix: prefix, format: format, options: options)
            return Loaded(
                batch: read.batch, digest: read.digest, legacyDigest: read.legacyDigest,
                modifiedAt: stream.modifiedAt)
        }
        // A document: read the rest and parse it whole.
        let input = InputFile(
            name: path, decompressed: prefix + (try stream.readToEnd()),
            wasCompressed: stream.isCompressed, modifiedAt: stream.modifiedAt)
        let batch = try read(input, as: format)
        return Loaded(
            batch: batch, digest: "sha256:" + SHA256.hex(of: input.bytes), legacyDigest: nil,
            modifiedAt: stream.modifiedAt)
    }

    /// The first (decompressed) bytes of a stream, that detection looks at; an empty file is
    /// bad input.
    static func readPrefix(_ stream: ByteStream) throws -> [UInt8] {
        var prefix = [UInt8](repeating: 0, count: K6StreamAdapter.detectionLength)
        var filled = 0
        while filled < prefix.count {
            let got = try prefix.withUnsafeMutableBufferPointer { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return try stream.read(into: base + filled, capacity: buffer.count - filled)
            }
            if got == 0 { break }
            filled += got
        }
        prefix.removeSubrange(filled...)
        if prefix.isEmpty { throw PerfDBError.badInput(stream.name, "empty file") }
        return prefix
    }

    /// Reads an input: parses it, detects (or checks) its format and runs the adapter.
    public static func read(_ input: InputFile, as forced: InputFormat? = nil) throws -> IngestBatch
    {
        if input.bytes.isEmpty {
            throw PerfDBError.badInput(input.name, "empty file")
        }
        let csv = LocustCSV.kind(of: input.bytes)
        if forced == .locustCSV || (forced == nil && csv != nil) {
            if let csv, csv != .stats {
                throw PerfDBError.badInput(
                    input.name,
                    "a \(csv.title) is stored with its run: ingest it together with the run's "
                        + "stats CSV or JSON report (PREFIX_stats.csv or PREFIX.json)")
            }
            return try LocustCSV.readStats(input)
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

/// Stands in for the formats that are not JSON documents (raw k6 streams, CSV files), which
/// are read before any JSON is parsed.
private enum NotADocument: InputAdapter {
    static let format = InputFormat.k6NDJSON
    static func recognizes(_ document: JSONValue) -> Bool { false }
    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        throw PerfDBError.badInput(file, "not a JSON document")
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
