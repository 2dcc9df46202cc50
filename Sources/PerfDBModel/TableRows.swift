/// One stored value as both engines hold it (perfdb's columns are integers, reals, text and
/// bytes): what `merge` and `backup` carry from one engine to the other.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// The integer, if the value is one.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The text, if the value is text.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// Rows of one table with their column names, in the order read.
public struct TableRows: Sendable {
    public var table: String
    public var columns: [String]
    public var rows: [[StoredValue]]

    /// Creates a batch of rows.
    public init(table: String, columns: [String], rows: [[StoredValue]] = []) {
        self.table = table
        self.columns = columns
        self.rows = rows
    }

    /// The position of a column.
    public func index(of column: String) -> Int? { columns.firstIndex(of: column) }

    /// The tables of a perfdb database in an order that inserts every row after the rows it
    /// refers to (a baseline's successor aside, which refers to its own table).
    public static let insertionOrder = [
        "run", "run_label", "series", "series_tag", "measurement", "threshold_result",
        "check_result", "slo_evaluation", "slo_result", "chaos_experiment", "chaos_activity",
        "chaos_link", "distribution", "timeline", "run_error", "baseline", "verdict",
    ]
}

/// Another perfdb database read whole for `merge` into a server: its tables by name.
public struct MergeContents: Sendable {
    /// The file.
    public var path: String
    /// Its newest migration.
    public var schema: String
    /// Every table but `schema_migration`, by name.
    public var tables: [String: TableRows]

    /// Creates the contents of one file.
    public init(path: String, schema: String, tables: [String: TableRows]) {
        self.path = path
        self.schema = schema
        self.tables = tables
    }
}
