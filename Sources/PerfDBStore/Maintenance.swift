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
    public func backup(to destination: String) throws {
        if FileManager.default.fileExists(atPath: destination) {
            throw PerfDBError(.usage, "\(destination) exists; perfdb backup writes a new file")
        }
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target)
            try target.close()
        } catch let error as PerfDBError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw Self.translate(error, path: destination)
        }
    }
}
