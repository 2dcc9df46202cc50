import Foundation
import PerfDBModel
import PostgresNIO

/// The schema of a PostgreSQL warehouse: `migrations/postgresql/`, applied in one transaction
/// under an advisory lock, so two perfdb processes upgrading one database at once do it once;
/// a database written by a newer perfdb is refused before anything is written.
extension PostgresWarehouse {
    /// The identifiers this perfdb knows, in order.
    public static var knownMigrations: [String] { embeddedMigrations.map(\.identifier) }

    func prepareSchema(migrate: Bool, create: Bool) throws {
        let applied = try appliedMigrations()
        try refuseNewer(applied ?? [])
        guard let missing = Self.knownMigrations.first(where: { !(applied ?? []).contains($0) })
        else { return }
        guard migrate, create || applied != nil else {
            if applied == nil {
                throw PerfDBError(
                    .inputNotFound,
                    "\(url.redacted): no perfdb warehouse in this database; "
                        + "`perfdb ingest` creates it")
            }
            throw PerfDBError(
                .io,
                "\(url.redacted): schema needs migration \(missing); run a writing command "
                    + "(e.g. perfdb ingest) first")
        }
        try migrateUnderLock()
    }

    /// The applied identifiers, or nil when the database has no perfdb schema yet.
    func appliedMigrations() throws -> Set<String>? {
        let exists = try single(
            "SELECT to_regclass('public.schema_migration') IS NOT NULL", as: Bool.self)
        guard exists == true else { return nil }
        return Set(
            try rows("SELECT identifier FROM schema_migration").map {
                try Self.decode($0, as: String.self)
            })
    }

    private func refuseNewer(_ applied: Set<String>) throws {
        let unknown = applied.subtracting(Self.knownMigrations).sorted()
        if let newest = unknown.last {
            throw PerfDBError(
                .io,
                "\(url.redacted): written by a newer perfdb (schema \(newest)); this perfdb "
                    + "knows up to \(Self.knownMigrations.last ?? "none"). Upgrade perfdb; the "
                    + "database was not changed")
        }
    }

    private func migrateUnderLock() throws {
        try execute("BEGIN")
        do {
            try execute("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    identifier text PRIMARY KEY,
                    applied_at text NOT NULL
                )
                """)
            // Another perfdb may have migrated while this one waited for the lock.
            let applied = try appliedMigrations() ?? []
            try refuseNewer(applied)
            for migration in embeddedMigrations where !applied.contains(migration.identifier) {
                for statement in SQLStatements.split(migration.sql) {
                    try executeUnbound(statement)
                }
                let now = Timestamp.format(Date())
                try execute(
                    """
                    INSERT INTO schema_migration (identifier, applied_at)
                    VALUES (\(migration.identifier), \(now))
                    """)
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

extension PostgresWarehouse {
    /// Runs one statement of perfdb's own SQL text, without parameters (a migration's).
    func executeUnbound(_ sql: String) throws {
        try execute(PostgresQuery(unsafeSQL: sql))
    }
}

/// Splits a migration into statements at the semicolons outside string literals, quoted names
/// and comments (the extended protocol takes one statement at a time).
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var characters = Array(sql)[...]
        var quote: Character?
        while let character = characters.popFirst() {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                current.append(character)
            case "-" where characters.first == "-":
                while let next = characters.first, next != "\n" { characters.removeFirst() }
            case ";":
                statements.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }
}
