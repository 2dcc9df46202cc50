import Foundation
import GRDB
import PerfDBModel

extension Warehouse {
    /// Checks the file: SQLite's integrity and foreign-key checks, the schema version, and
    /// counts; problems are listed, not repaired.
    public func doctor() throws -> DoctorReport {
        try read { db in
            var problems: [String] = []
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] { problems += integrity.map { "integrity: \($0)" } }
            let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            for row in violations.prefix(20) {
                problems.append(
                    "foreign key: \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) → \(row[2] as String? ?? "?")"
                )
            }
            let schema = try String.fetchAll(
                db, sql: "SELECT identifier FROM schema_migration ORDER BY identifier")
            for missing in Migrations.known where !schema.contains(missing) {
                problems.append("schema: migration \(missing) not applied")
            }
            let orphans =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM measurement WHERE run_id NOT IN (SELECT id FROM run)"
                ) ?? 0
            if orphans > 0 { problems.append("\(orphans) measurements belong to no run") }
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return DoctorReport(
                path: path, schema: schema,
                runs: try Int.fetchOne(db, sql: "SELECT count(*) FROM run") ?? 0,
                measurements: try Int.fetchOne(db, sql: "SELECT count(*) FROM measurement") ?? 0,
                bytes: pages * pageSize,
                incompleteRuns: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM run WHERE incomplete = 1") ?? 0,
                invalidatedRuns: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM run WHERE invalidated = 1") ?? 0,
                problems: problems)
        }
    }

    /// Copies the database to `destination` with SQLite's online backup: consistent while writers
    /// go on.
    ///
    /// The destination must not exist.
    public func backup(to destination: String, journalMode: JournalMode = .wal) throws {
        if FileManager.default.fileExists(atPath: destination) {
            throw PerfDBError(.usage, "\(destination) exists; perfdb backup writes a new file")
        }
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target)
            try target.close()
            if journalMode != .wal { try Self.setJournalMode(journalMode, of: destination) }
        } catch let error as PerfDBError {
            throw error
        } catch {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: destination + suffix)
            }
            throw Self.translate(error, path: destination)
        }
    }

    /// Puts a closed database file in `mode`.
    ///
    /// In `delete` mode the file is complete in itself:
    /// a reader that may not write (a read-only mount, Grafana's SQLite data source) opens it
    /// without the `-wal` and `-shm` files a WAL database needs beside it.
    public static func setJournalMode(_ mode: JournalMode, of path: String) throws {
        let queue = try DatabaseQueue(path: path)
        let now = try queue.writeWithoutTransaction { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode = \(mode.rawValue)")
        }
        try queue.close()
        guard now?.lowercased() == mode.rawValue else {
            throw PerfDBError(
                .io, "\(path): SQLite kept journal mode \(now ?? "?") instead of \(mode.rawValue)")
        }
    }
}

/// How a backup's copy keeps its journal: `wal` as perfdb's own files (readers beside one
/// writer, but a reader needs to create `-wal`/`-shm` files next to it), `delete` SQLite's
/// rollback journal (one file that a read-only consumer can open as it is).
public enum JournalMode: String, CaseIterable, Sendable {
    case wal
    case delete
}
