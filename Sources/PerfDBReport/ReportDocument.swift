import Foundation
import PerfDBModel

/// The formats reading commands print: aligned text, Markdown, JSON, CSV, a self-contained
/// HTML page.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table
    case markdown
    case json
    case csv
    case html
}

/// Version of the JSON documents perfdb prints; raised when a field changes meaning or goes
/// (reports/CHANGES.md).
public let reportSchemaVersion = 2

/// A report in every format it is printed in: a typed JSON document, the blocks people read
/// (Markdown, plain text and HTML alike), and a table for CSV.
public protocol Renderable {
    associatedtype JSONDocument: Encodable
    /// The JSON document (its contract is a schema in reports/).
    var document: JSONDocument { get }
    /// What people read.
    var blocks: [Block] { get }
    /// The rows for CSV.
    var csv: TextTable { get }
    /// ``render(_:)`` handed to `write` in pieces, so a long report need not be whole in memory
    /// as text; the default hands it whole.
    func write(_ format: OutputFormat, to write: (String) throws -> Void) throws
}

extension Renderable {
    public func write(_ format: OutputFormat, to write: (String) throws -> Void) throws {
        try write(try render(format))
    }

    /// The report in `format`.
    public func render(_ format: OutputFormat) throws -> String {
        switch format {
        case .json: JSONWriter.render(try JSONValueEncoder().encode(document))
        case .csv: csv.csv()
        case .markdown: Markup.markdown(blocks)
        case .table: Markup.plain(blocks)
        case .html: HTML.document(blocks)
        }
    }
}

/// A document with the report schema's version first: `{"schemaVersion": 2, …}`.
public struct Versioned<Body: Encodable>: Encodable {
    public var body: Body

    /// Wraps a document.
    public init(_ body: Body) { self.body = body }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ExactCodingKey.self)
        try container.encode(reportSchemaVersion, forKey: ExactCodingKey("schemaVersion"))
        try body.encode(to: encoder)
    }
}
