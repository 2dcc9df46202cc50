import Foundation
import PerfDBModel
import PostgresNIO

/// `perfdb query` and `perfdb doctor` on PostgreSQL.
extension PostgresWarehouse {
    /// The statements `perfdb query` runs: reading ones only, by their first keyword; the
    /// read-only transaction refuses the rest again on the server.
    private static let readingKeywords: Set<String> = [
        "SELECT", "WITH", "EXPLAIN", "VALUES", "TABLE",
    ]

    /// Runs one read-only SQL statement in a read-only transaction that the server cancels
    /// after `timeout`.
    ///
    /// A statement that would write is refused (exit 64), a cancelled one is exit 75; the
    /// database is unchanged either way.
    public func query(_ sql: String, timeout: Duration) throws -> QueryResult {
        let keyword = SQLText.leadingKeyword(sql)
        if sql.trimmingCharacters(in: .whitespacesAndNewlines.union([";"])).isEmpty {
            throw PerfDBError(.usage, "no SQL statement given")
        }
        guard Self.readingKeywords.contains(keyword) else {
            throw PerfDBError(.usage, SQLText.refusal(keyword))
        }
        let milliseconds = max(1, timeout.components.seconds * 1000)
        try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? execute("ROLLBACK") }
        try executeUnbound("SET LOCAL statement_timeout = \(milliseconds)")
        let result: PostgresQueryResult
        do {
            result = try Self.result(
                of: PostgresQuery(unsafeSQL: sql), on: connection, logger: logger, url: url)
        } catch let error as PSQLError {
            throw Self.queryError(error, url: url, keyword: keyword, timeout: timeout)
        }
        var columns: [String] = []
        var rows: [[JSONValue]] = []
        for row in result.rows {
            let cells = Array(row)
            if columns.isEmpty { columns = cells.map(\.columnName) }
            rows.append(cells.map(Self.value))
        }
        return QueryResult(columns: columns, rows: rows)
    }

    /// The error of a refused, failed or cancelled statement.
    static func queryError(_ error: PSQLError, url: PostgresURL, keyword: String, timeout: Duration)
        -> PerfDBError
    {
        let state = error.serverInfo?[.sqlState] ?? ""
        switch state {
        case "25006":
            // read_only_sql_transaction: something in the statement wanted to write.
            return PerfDBError(.usage, SQLText.writeRefusal)
        case "57014":
            return PerfDBError(
                .busy,
                "\(url.redacted): the statement was cancelled after "
                    + "\(timeout.components.seconds) s (--statement-timeout)")
        case "42601" where error.serverInfo?[.message]?.contains("multiple commands") == true:
            return PerfDBError(.usage, "give one SQL statement at a time")
        case let state where state.hasPrefix("42") || state.hasPrefix("22"):
            return PerfDBError(.usage, "SQL error: \(describe(error))")
        default:
            return translate(error, url: url)
        }
    }

    /// A cell as JSON: numbers, text and flags as themselves; a timestamp (the `time` of the
    /// dashboard views) in perfdb's stored form, `2026-11-10T09:00:00.000Z`; bytes by their
    /// size; any other type as its text when it has one.
    static func value(_ cell: PostgresCell) -> JSONValue {
        guard let bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map { .number(Double($0)) } ?? .null
        case .float4, .float8:
            return (try? cell.decode(Double.self)).map(JSONValue.number) ?? .null
        case .numeric:
            return (try? cell.decode(Decimal.self)).map {
                .number(NSDecimalNumber(decimal: $0).doubleValue)
            } ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map(JSONValue.bool) ?? .null
        case .timestamptz, .timestamp:
            return (try? cell.decode(Date.self)).map { .string(Timestamp.format($0)) } ?? .null
        case .bytea:
            return .string("<blob \(bytes.readableBytes) bytes>")
        default:
            return (try? cell.decode(String.self)).map(JSONValue.string)
                ?? .string("<\(cell.dataType)>")
        }
    }

    /// Checks the schema version, the indexes and constraints, and counts what the database
    /// holds; problems are listed, not repaired.
    public func doctor() throws -> DoctorReport {
        try transaction {
            try execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            var problems: [String] = []
            let schema = try rows("SELECT identifier FROM schema_migration ORDER BY identifier")
                .map { try Self.decode($0, as: String.self) }
            for missing in Self.knownMigrations where !schema.contains(missing) {
                problems.append("schema: migration \(missing) not applied")
            }
            let invalidIndexes = try rows(
                """
                SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)
                ORDER BY 1
                """
            ).map { try Self.decode($0, as: String.self) }
            problems += invalidIndexes.map { "index \($0) is invalid (rebuild it with REINDEX)" }
            let unchecked = try rows(
                """
                SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                WHERE n.nspname = current_schema() AND NOT c.convalidated ORDER BY 1
                """
            ).map { try Self.decode($0, as: String.self) }
            problems += unchecked.map { "constraint \($0) is not validated" }
            func count(_ sql: PostgresQuery) throws -> Int {
                Int(try single(sql, as: Int64.self) ?? 0)
            }
            return DoctorReport(
                path: url.redacted, schema: schema,
                runs: try count("SELECT count(*) FROM run"),
                measurements: try count("SELECT count(*) FROM measurement"),
                bytes: try count(
                    """
                    SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = current_schema() AND c.relkind = 'r'
                    """),
                incompleteRuns: try count("SELECT count(*) FROM run WHERE incomplete = 1"),
                invalidatedRuns: try count("SELECT count(*) FROM run WHERE invalidated = 1"),
                problems: problems)
        }
    }
}
