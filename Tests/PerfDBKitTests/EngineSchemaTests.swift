import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBStore

/// The warehouse's schema as both engines see it, reduced to what must agree: tables, columns
/// (name, type family, nullability, default, in order), primary keys, unique keys, foreign keys
/// with their delete rule, the columns each CHECK constraint reads, and the other indexes.
struct SchemaShape: Equatable, CustomStringConvertible {
    var lines: [String]

    var description: String { lines.joined(separator: "\n") }

    /// What differs, one line each side.
    func differences(from other: SchemaShape) -> [String] {
        let mine = Set(lines)
        let theirs = Set(other.lines)
        return mine.subtracting(theirs).sorted().map { "only in the first:  \($0)" }
            + theirs.subtracting(mine).sorted().map { "only in the second: \($0)" }
    }
}

extension SchemaShape {
    /// SQLite's INTEGER, REAL, TEXT and BLOB; PostgreSQL's bigint, double precision, text, bytea.
    static func family(_ type: String) -> String {
        switch type.lowercased() {
        case "integer", "bigint": "integer"
        case "real", "double precision": "real"
        case "text": "text"
        case "blob", "bytea": "blob"
        default: "other(\(type))"
        }
    }

    /// A default without PostgreSQL's cast (`'{}'::text` is `'{}'`).
    static func plainDefault(_ text: String?) -> String {
        guard let text else { return "-" }
        return text.replacingOccurrences(
            of: #"::[a-z ]+$"#, with: "", options: .regularExpression)
    }

    static func sqlite(_ db: Database) throws -> SchemaShape {
        var lines: [String] = []
        let tables = try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migration'
                ORDER BY name
                """)
        for table in tables {
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))")
            let names = Set(columns.map { $0["name"] as String })
            var primary: [(Int, String)] = []
            for column in columns {
                let name: String = column["name"]
                let pk: Int = column["pk"]
                if pk > 0 { primary.append((pk, name)) }
                let notNull = (column["notnull"] as Int) == 1 || pk > 0
                lines.append(
                    "\(table) column \(column["cid"] as Int) \(name) \(family(column["type"])) "
                        + "\(notNull ? "not null" : "null") default \(plainDefault(column["dflt_value"]))"
                )
            }
            lines.append(
                "\(table) primary key (\(primary.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: ", ")))"
            )
            for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(table))") {
                let name: String = index["name"]
                let origin: String = index["origin"]
                let indexColumns = try String.fetchAll(
                    db, sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                    arguments: [name]
                ).joined(separator: ", ")
                switch origin {
                case "u": lines.append("\(table) unique (\(indexColumns))")
                case "c": lines.append("\(table) index \(name) (\(indexColumns))")
                default: break
                }
            }
            for key in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(table))") {
                lines.append(
                    "\(table) foreign key (\(key["from"] as String)) references "
                        + "\(key["table"] as String) (\(key["to"] as String)) on delete "
                        + (key["on_delete"] as String).lowercased())
            }
            let sql =
                try String.fetchOne(
                    db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table])
                ?? ""
            for check in checkExpressions(in: sql) {
                lines.append("\(table) check (\(columnsNamed(in: check, among: names)))")
            }
        }
        let views = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
        for view in views {
            for column in try Row.fetchAll(db, sql: "PRAGMA table_info(\(view))") {
                lines.append(
                    "view \(view) column \(column["cid"] as Int) \(column["name"] as String)")
            }
        }
        return SchemaShape(lines: lines.sorted())
    }

    static func postgresql(_ cluster: PostgresCluster, database: String) throws -> SchemaShape {
        func rows(_ sql: String) throws -> [[String]] {
            try cluster.psql(sql, database: database)
                .split(separator: "\n").map {
                    $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                }
        }
        var lines: [String] = []
        // Column positions count from 0 as SQLite's cid does, over the columns a table has now.
        for row in try rows(
            """
            SELECT c.table_name, row_number() OVER (PARTITION BY c.table_name
                    ORDER BY c.ordinal_position) - 1,
                c.column_name, c.data_type, c.is_nullable, coalesce(c.column_default, '-')
            FROM information_schema.columns c
            JOIN information_schema.tables t
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND c.table_name <> 'schema_migration'
                AND t.table_type = 'BASE TABLE'
            """)
        {
            let nullable = row[4] == "YES" ? "null" : "not null"
            let fallback = row[5].hasPrefix("nextval(") ? "-" : plainDefault(row[5])
            lines.append(
                "\(row[0]) column \(row[1]) \(row[2]) \(family(row[3])) \(nullable) default \(fallback)"
            )
        }
        // A view's columns by name, in order: their types differ by design (`time`).
        for row in try rows(
            """
            SELECT c.table_name, c.ordinal_position - 1, c.column_name
            FROM information_schema.columns c
            JOIN information_schema.tables t
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'VIEW'
            """)
        {
            lines.append("view \(row[0]) column \(row[1]) \(row[2])")
        }
        let constraintColumns = """
            (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
             FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
            """
        for row in try rows(
            """
            SELECT t.relname, c.contype, \(constraintColumns),
                coalesce(r.relname, ''),
                coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.n)
                    FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), ''),
                c.confdeltype
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public'
            LEFT JOIN pg_class r ON r.oid = c.confrelid
            WHERE t.relname <> 'schema_migration'
            """)
        {
            let (table, kind, columns) = (row[0], row[1], row[2])
            switch kind {
            case "p": lines.append("\(table) primary key (\(columns))")
            case "u": lines.append("\(table) unique (\(columns))")
            case "c":
                lines.append(
                    "\(table) check (\(columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted().joined(separator: ", ")))"
                )
            case "f":
                let rule =
                    [
                        "a": "no action", "r": "restrict", "c": "cascade", "n": "set null",
                        "d": "set default",
                    ][
                        row[5]] ?? row[5]
                lines.append(
                    "\(table) foreign key (\(columns)) references \(row[3]) (\(row[4])) on delete \(rule)"
                )
            default: break
            }
        }
        for row in try rows(
            """
            SELECT t.relname, i.relname,
                (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
                 FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public'
            WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """)
        {
            lines.append("\(row[0]) index \(row[1]) (\(row[2]))")
        }
        return SchemaShape(lines: lines.sorted())
    }

    /// The expressions of the CHECK constraints in a CREATE TABLE statement.
    static func checkExpressions(in sql: String) -> [String] {
        var expressions: [String] = []
        var rest = Substring(sql)
        while let range = rest.range(of: #"CHECK\s*\("#, options: .regularExpression) {
            var depth = 1
            var index = range.upperBound
            while index < rest.endIndex, depth > 0 {
                if rest[index] == "(" { depth += 1 }
                if rest[index] == ")" { depth -= 1 }
                index = rest.index(after: index)
            }
            expressions.append(String(rest[range.upperBound..<rest.index(before: index)]))
            rest = rest[index...]
        }
        return expressions
    }

    /// The column names an expression mentions, sorted (string literals left out).
    static func columnsNamed(in expression: String, among columns: Set<String>) -> String {
        let withoutLiterals = expression.replacingOccurrences(
            of: #"'[^']*'"#, with: "''", options: .regularExpression)
        let words = withoutLiterals.split { !($0.isLetter || $0.isNumber || $0 == "_") }
        return Set(words.map(String.init)).intersection(columns).sorted().joined(separator: ", ")
    }
}

/// The SQL of `migrations/<engine>/`, in order.
func migrationFiles(_ engine: String) throws -> [(identifier: String, sql: String)] {
    let folder = TestPaths.root.appending(path: "migrations/\(engine)")
    return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasSuffix(".sql") }.sorted()
        .map { name in
            (
                String(name.dropLast(4)),
                try String(contentsOf: folder.appending(path: name), encoding: .utf8)
            )
        }
}

/// A new database on `cluster` with every file of `migrations/postgresql/` applied by psql.
func migratedPostgresDatabase(_ cluster: PostgresCluster, prefix: String = "schema") throws
    -> String
{
    let database = try cluster.createDatabase(prefix)
    for migration in try migrationFiles("postgresql") {
        try cluster.psql(migration.sql, database: database)
    }
    return database
}

@Suite(.serialized) struct EngineSchemaTests {
    private func migratedDatabase() throws -> (PostgresCluster, String) {
        let cluster = try PostgresCluster.shared()
        return (cluster, try migratedPostgresDatabase(cluster))
    }

    @Test func bothEnginesHaveTheSameMigrations() throws {
        let sqlite = try migrationFiles("sqlite").map(\.identifier)
        #expect(sqlite == Migrations.known)
        #expect(try migrationFiles("postgresql").map(\.identifier) == sqlite)
    }

    @Test func bothEnginesBuildTheSameSchema() throws {
        let (cluster, database) = try migratedDatabase()
        let postgresql = try SchemaShape.postgresql(cluster, database: database)
        let path = try TestPaths.temporaryDirectory().appending(path: "w.sqlite").path
        _ = try Warehouse(path: path)
        let sqlite = try DatabaseQueue(path: path).read { try SchemaShape.sqlite($0) }
        #expect(sqlite.lines.count > 100)
        #expect(sqlite.lines.contains("view v_measurement column 0 time"))
        let differences = sqlite.differences(from: postgresql)
        #expect(
            differences.isEmpty,
            "SQLite (first) and PostgreSQL (second):\n\(differences.joined(separator: "\n"))")
        #expect(
            Snapshot.mismatch(
                try cluster.schemaDump(database: database), named: "schema-postgresql.sql") == nil)
    }

    @Test func theComparisonSeesADifference() throws {
        let (cluster, database) = try migratedDatabase()
        let before = try SchemaShape.postgresql(cluster, database: database)
        try cluster.psql(
            """
            ALTER TABLE run_label DROP CONSTRAINT run_label_key_check;
            ALTER TABLE series ALTER COLUMN unit DROP NOT NULL;
            ALTER TABLE baseline DROP CONSTRAINT baseline_run_id_fkey;
            ALTER TABLE baseline ADD FOREIGN KEY (run_id) REFERENCES run (id) ON DELETE CASCADE;
            """, database: database)
        let after = try SchemaShape.postgresql(cluster, database: database)
        let differences = before.differences(from: after)
        #expect(differences.contains("only in the first:  run_label check (key)"))
        #expect(differences.contains { $0.contains("series column 4 unit text not null") })
        #expect(
            differences.contains {
                $0.hasSuffix("baseline foreign key (run_id) references run (id) on delete restrict")
            })
        #expect(
            differences.contains {
                $0.hasSuffix("baseline foreign key (run_id) references run (id) on delete cascade")
            })
    }
}
