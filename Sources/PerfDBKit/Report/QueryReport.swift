/// Renders the rows of `perfdb query`.
public enum QueryReport {
    /// Rows as a table, Markdown, CSV, or a JSON array of objects keyed by column.
    public static func render(_ result: QueryResult, format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONWriter.render(
                .array(
                    result.rows.map { row in
                        .object(JSONObject(Array(zip(result.columns, row))))
                    }))
        case .table, .markdown, .csv:
            let table = TextTable(
                columns: result.columns.map { .init($0) },
                rows: result.rows.map { row in
                    row.map { value in
                        switch value {
                        case .null: return format == .csv ? "" : "NULL"
                        case .number(let number):
                            return format == .csv
                                ? JSONWriter.formatNumber(number) : Figure.format(number)
                        case .string(let string): return string
                        default: return JSONWriter.render(value, pretty: false)
                        }
                    }
                })
            switch format {
            case .markdown: return table.markdown()
            case .csv: return table.csv()
            default: return table.plain()
            }
        }
    }
}
