import Foundation
import GRDB
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// A migration that fails part-way leaves the database as it was: the old schema, its data and
/// its migration record.
@Suite struct MigrationFailureTests {
    @Test func aFailedMigrationLeavesTheOldSchemaInPlace() throws {
        let path = try TestPaths.temporaryDirectory().appending(path: "old.sqlite").path
        try FileManager.default.copyItem(
            atPath: TestPaths.fixture("databases", "schema-0001.sqlite"), toPath: path)
        let queue = try DatabaseQueue(path: path)
        let schemaBefore = try queue.read { try Migrations.dumpSchema($0) }
        let runsBefore = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM run") }
        #expect((runsBefore ?? 0) > 0)

        // The real migrations, then one that changes the schema and then fails.
        let failing = EmbeddedMigration(
            identifier: "9999_break_things",
            sql: """
                CREATE TABLE half_done (a INTEGER) STRICT;
                DELETE FROM run;
                INSERT INTO no_such_table VALUES (1);
                """)
        #expect(throws: (any Error).self) {
            try Migrations.apply(
                to: queue, path: path, migrations: embeddedMigrations + [failing])
        }

        let schemaAfter = try queue.read { try Migrations.dumpSchema($0) }
        let runsAfter = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM run") }
        let applied = try queue.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM schema_migration")
        }
        let halfDone = try queue.read { try $0.tableExists("half_done") }
        #expect(schemaAfter == schemaBefore)
        #expect(runsAfter == runsBefore)
        #expect(applied == ["0001_create_warehouse"])
        #expect(!halfDone)

        // The same database still upgrades with the real migrations afterwards.
        try Migrations.apply(to: queue, path: path)
        let upgraded = try queue.read {
            try String.fetchAll(
                $0, sql: "SELECT identifier FROM schema_migration ORDER BY identifier")
        }
        #expect(upgraded == Migrations.known)
    }
}
