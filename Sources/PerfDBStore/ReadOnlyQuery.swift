import GRDB
import PerfDBModel

extension Warehouse {
    /// Statements `perfdb query` refuses even when SQLite calls them read-only: they attach
    /// files, change settings or maintain the file.
    private static let refusedKeywords: Set<String> = [
        "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "END",
        "ROLLBACK", "SAVEPOINT", "RELEASE",
    ]

    /// Runs one read-only SQL statement.
    ///
    /// Anything that would write, attach, change pragmas or load extensions is refused (exit 64)
    /// before it runs.
    public func query(_ sql: String) throws -> QueryResult {
        try read { db in
            let statements = try Self.prepare(sql, in: db)
            guard statements.count == 1, let statement = statements.first else {
                throw PerfDBError(
                    .usage,
                    statements.isEmpty
                        ? "no SQL statement given" : "give one SQL statement at a time")
            }
            let keyword = SQLText.leadingKeyword(statement.sql)
            guard statement.isReadonly, !Self.refusedKeywords.contains(keyword),
                !statement.sql.lowercased().contains("load_extension")
            else {
                throw PerfDBError(.usage, SQLText.refusal(keyword))
            }
            let columns = statement.columnNames
            var rows: [[JSONValue]] = []
            let cursor = try Row.fetchCursor(statement)
            while let row = try cursor.next() {
                rows.append(
                    (0..<row.count).map { index in
                        switch row[index] as DatabaseValue {
                        case let value where value.isNull: return .null
                        case let value:
                            switch value.storage {
                            case .int64(let int): return .number(Double(int))
                            case .double(let double): return .number(double)
                            case .string(let string): return .string(string)
                            case .blob(let data): return .string("<blob \(data.count) bytes>")
                            case .null: return .null
                            }
                        }
                    })
            }
            return QueryResult(columns: columns, rows: rows)
        }
    }

    private static func prepare(_ sql: String, in db: Database) throws -> [Statement] {
        do {
            var statements: [Statement] = []
            let cursor = try db.allStatements(sql: sql)
            while let statement = try cursor.next() { statements.append(statement) }
            return statements
        } catch let error as DatabaseError {
            throw PerfDBError(.usage, "SQL error: \(error.message ?? "\(error.resultCode)")")
        }
    }
}
