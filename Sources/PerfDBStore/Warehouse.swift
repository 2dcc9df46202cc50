import CSQLiteSettings
import Foundation
import GRDB
internal import GRDBSQLite
import PerfDBModel

/// The SQLite file that holds every run: opens it (WAL, foreign keys, busy timeout), applies the
/// embedded migrations, and runs each write in one immediate transaction.
public final class Warehouse: Sendable {
    /// The database file.
    public let path: String
    let pool: any DatabaseWriter

    /// How the warehouse is opened.
    public typealias Access = StoreAccess

    /// How long a writer waits for another writer before giving up (exit 75).
    public static var busyTimeout: TimeInterval {
        ProcessInfo.processInfo.environment["PERFDB_BUSY_TIMEOUT"].flatMap(Double.init) ?? 30
    }

    /// Opens (and for `.readWrite` creates and migrates) the warehouse at `path`.
    public init(path: String, access: Access = .readWrite) throws {
        self.path = path
        if PostgresURL.isPostgres(path) {
            // Not a file name: refused before anything could create a file of that name or
            // print the password it may hold.
            throw PerfDBError(
                .usage,
                "\(PostgresURL.redact(path)): a PostgreSQL URL; this perfdb keeps its "
                    + "warehouse in a SQLite file: give --db (or PERFDB_DB) a file path")
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            throw PerfDBError(.io, "\(path): is a directory, not a perfdb database")
        }
        if access != .readWrite && !exists {
            throw PerfDBError(
                .inputNotFound, "\(path): no such database (perfdb ingest creates it)")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.readonly = access == .readOnly
        configuration.label = "perfdb"
        do {
            if access != .readOnly {
                if exists {
                    // Look before opening for writing: a database from a newer perfdb is
                    // refused without a byte of it changed.
                    var peek = configuration
                    peek.readonly = true
                    let queue = try DatabaseQueue(path: path, configuration: peek)
                    try queue.read { db in try Migrations.refuseNewer(db, path: path) }
                    try queue.close()
                }
                pool = try DatabasePool(path: path, configuration: configuration)
                try Migrations.apply(to: pool, path: path)
            } else {
                // A database from an older perfdb is upgraded in place first when the file is
                // writable (a newer one is refused untouched).
                var peek = configuration
                peek.readonly = true
                let queue = try DatabaseQueue(path: path, configuration: peek)
                let pending = try queue.read { db -> Bool in
                    try Migrations.refuseNewer(db, path: path)
                    guard try db.tableExists("schema_migration") else { return false }
                    let applied = try String.fetchSet(
                        db, sql: "SELECT identifier FROM schema_migration")
                    return !Migrations.known.allSatisfy(applied.contains)
                }
                try queue.close()
                if pending && FileManager.default.isWritableFile(atPath: path) {
                    _ = try Warehouse(path: path, access: .readWrite)
                }
                pool = try DatabaseQueue(path: path, configuration: configuration)
                try pool.read { db in try Migrations.checkCurrent(db, path: path) }
            }
        } catch let error as PerfDBError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// True when the database at `path` exists and holds raw-stream runs with the digest of
    /// perfdb before `xxh64v2` (ingest then computes that digest too, to recognise them).
    public static func holdsLegacyStreamDigests(at path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else {
            return false
        }
        defer { try? queue.close() }
        return
            (try? queue.read { db in
                try db.tableExists("run")
                    && Bool.fetchOne(
                        db,
                        sql: "SELECT EXISTS (SELECT 1 FROM run WHERE content_digest LIKE 'xxh64:%')"
                    )
                        == true
            }) ?? false
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it is stored, or nothing.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else {
                    throw PerfDBError(.internal, "transaction ended without a result")
                }
                return result
            }
        } catch let error as PerfDBError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `body` on a consistent snapshot.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as PerfDBError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// The schema as SQL, one statement per object: the golden dump reviewed in tests.
    public func schemaDump() throws -> String {
        try read { db in try Migrations.dumpSchema(db) }
    }

    /// Maps an SQLite error to perfdb's exit codes: busy → 75, I/O, full disk and read-only
    /// files → 74, anything else → 70.
    static func translate(_ error: Error, path: String) -> PerfDBError {
        guard let error = error as? DatabaseError else {
            return PerfDBError(.internal, "\(path): \(error)")
        }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return PerfDBError(
                .busy,
                "\(path): database busy for more than \(Int(busyTimeout)) s "
                    + "(another perfdb is writing; retry, or raise PERFDB_BUSY_TIMEOUT)")
        case .SQLITE_FULL:
            return PerfDBError(.io, "\(path): disk full: \(detail); nothing was stored")
        case .SQLITE_READONLY:
            return PerfDBError(.io, "\(path): database is read-only: \(detail)")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return PerfDBError(.io, "\(path): cannot open or write the database: \(detail)")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return PerfDBError(.io, "\(path): not a perfdb database, or corrupt: \(detail)")
        default:
            return PerfDBError(.internal, "\(path): \(detail)")
        }
    }
}

extension Warehouse {
    /// Sets SQLite up for this process, before its first use: no allocation statistics.
    ///
    /// With them on (as Debian builds SQLite), each of SQLite's allocations takes one
    /// process-wide mutex, and two connections of one process read no faster than one
    /// (`gathering`). A call after SQLite has started changes nothing.
    public static func prepareSQLite() {
        _ = perfdb_sqlite_unmetered()
    }
}

/// What `--version` says of the storage: the schema this build writes and the SQLite it runs on.
public enum StorageVersion {
    /// The newest migration this build applies (`0005_…`).
    public static var schema: String { Migrations.known.last ?? "none" }
    /// The version of the SQLite library in use.
    public static var sqlite: String { String(cString: sqlite3_libversion()) }
}

/// Applies the embedded migrations in order, each database change in one transaction, and
/// refuses databases written by a newer perfdb.
enum Migrations {
    /// The identifiers this perfdb knows, in order.
    static var known: [String] { embeddedMigrations.map(\.identifier) }

    static func apply(
        to pool: any DatabaseWriter, path: String,
        migrations: [EmbeddedMigration] = embeddedMigrations
    ) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS schema_migration (
                            identifier TEXT PRIMARY KEY,
                            applied_at TEXT NOT NULL
                        ) STRICT
                        """)
                let applied = try String.fetchSet(
                    db, sql: "SELECT identifier FROM schema_migration")
                try refuseNewer(applied, path: path)
                for migration in migrations where !applied.contains(migration.identifier) {
                    try db.execute(sql: migration.sql)
                    try db.execute(
                        sql: "INSERT INTO schema_migration (identifier, applied_at) VALUES (?, ?)",
                        arguments: [migration.identifier, Timestamp.format(Date())])
                }
                return .commit
            }
        }
    }

    static func checkCurrent(_ db: Database, path: String) throws {
        guard try db.tableExists("schema_migration") else {
            throw PerfDBError(.io, "\(path): not a perfdb database (no schema_migration table)")
        }
        let applied = try String.fetchSet(db, sql: "SELECT identifier FROM schema_migration")
        try refuseNewer(applied, path: path)
        if let missing = known.first(where: { !applied.contains($0) }) {
            throw PerfDBError(
                .io,
                "\(path): schema needs migration \(missing); run a writing command "
                    + "(e.g. perfdb ingest) with write access first")
        }
    }

    static func refuseNewer(_ db: Database, path: String) throws {
        guard try db.tableExists("schema_migration") else { return }
        let applied = try String.fetchSet(db, sql: "SELECT identifier FROM schema_migration")
        try refuseNewer(applied, path: path)
    }

    private static func refuseNewer(_ applied: Set<String>, path: String) throws {
        let unknown = applied.subtracting(known).sorted()
        if let newest = unknown.last {
            throw PerfDBError(
                .io,
                "\(path): written by a newer perfdb (schema \(newest)); this perfdb knows up "
                    + "to \(known.last ?? "none"). Upgrade perfdb; the database was not changed")
        }
    }

    /// The schema as SQL, sorted by object name: the golden dump reviewed in tests.
    static func dumpSchema(_ db: Database) throws -> String {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT type, name, sql FROM sqlite_master
                WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
                ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name
                """)
        return rows.map { row -> String in
            let sql: String = row["sql"]
            return sql + ";\n"
        }.joined(separator: "\n")
    }
}

extension Warehouse: Store {
    public var location: String { path }
}
