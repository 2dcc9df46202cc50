import Foundation
import PerfDBAnalysis
import PerfDBModel

/// The rows of `perfdb query`: a table, Markdown, CSV, or a JSON array of objects keyed by
/// column.
public struct QueryView: Renderable {
    public var result: QueryResult

    /// The view of a result.
    public init(_ result: QueryResult) { self.result = result }

    public var document: JSONValue {
        .array(result.rows.map { row in .object(JSONObject(Array(zip(result.columns, row)))) })
    }

    public var csv: TextTable { table(csv: true) }

    public var blocks: [Block] { [.table(table(csv: false))] }

    private func table(csv: Bool) -> TextTable {
        TextTable(
            columns: result.columns.map { .init($0) },
            rows: result.rows.map { row in
                row.map { value in
                    switch value {
                    case .null: return csv ? "" : "NULL"
                    case .number(let number):
                        return csv ? JSONWriter.formatNumber(number) : Figure.format(number)
                    case .string(let string): return string
                    default: return JSONWriter.render(value, pretty: false)
                    }
                }
            })
    }
}
