import Foundation
import GRDB
import PerfDBModel

/// Moving a warehouse between engines: a file read whole for a merge into a server, and a new
/// file written from a server's snapshot (`perfdb backup` of a PostgreSQL warehouse).
extension MergeSource {
    /// Every table of the file in one read transaction, ids as they are.
    public func contents() throws -> MergeContents {
        let tables = try queue.read { db in
            var tables: [String: TableRows] = [:]
            // A file of an older schema lacks the newer tables.
            for table in TableRows.insertionOrder where try db.tableExists(table) {
                let columns = try db.columns(in: table).map(\.name)
                var rows = TableRows(table: table, columns: columns)
                let order = columns.contains("id") ? " ORDER BY id" : ""
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)\(order)")
                while let row = try cursor.next() {
                    rows.rows.append((0..<row.count).map { StoredValue(row[$0] as DatabaseValue) })
                }
                tables[table] = rows
            }
            return tables
        }
        return MergeContents(path: path, schema: schema, tables: tables)
    }
}

extension Warehouse {
    /// Writes a new database file at `destination` from rows that `produce` hands over, ids
    /// kept, in one transaction: the file is complete, or it is removed.
    ///
    /// `produce` calls its argument with batches of rows in `TableRows.insertionOrder`.
    public static func restore(
        to destination: String, journalMode: JournalMode = .wal,
        _ produce: ((TableRows) throws -> Void) throws -> Void
    ) throws {
        if FileManager.default.fileExists(atPath: destination) {
            throw PerfDBError(.usage, "\(destination) exists; perfdb backup writes a new file")
        }
        do {
            let warehouse = try Warehouse(path: destination)
            try warehouse.write { db in
                // A baseline names its successor, which comes later in the same table.
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                var statements: [String: Statement] = [:]
                try produce { batch in
                    let key = batch.table + " " + batch.columns.joined(separator: ",")
                    let statement: Statement
                    if let prepared = statements[key] {
                        statement = prepared
                    } else {
                        statement = try db.makeStatement(
                            sql:
                                "INSERT INTO \(batch.table) (\(batch.columns.joined(separator: ", ")))"
                                + " VALUES ("
                                + Array(repeating: "?", count: batch.columns.count).joined(
                                    separator: ", ") + ")")
                        statements[key] = statement
                    }
                    for row in batch.rows {
                        try statement.execute(
                            arguments: StatementArguments(row.map(\.databaseValue)))
                    }
                }
            }
            try warehouse.pool.close()
            if journalMode != .wal { try setJournalMode(journalMode, of: destination) }
        } catch {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: destination + suffix)
            }
            if let error = error as? PerfDBError { throw error }
            throw translate(error, path: destination)
        }
    }
}

extension StoredValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let int): self = .integer(int)
        case .double(let double): self = .real(double)
        case .string(let string): self = .text(string)
        case .blob(let data): self = .blob(Array(data))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let int): return int.databaseValue
        case .real(let double): return double.databaseValue
        case .text(let string): return string.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }
}
