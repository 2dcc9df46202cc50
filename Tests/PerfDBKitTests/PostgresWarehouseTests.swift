import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBModel
@testable import PerfDBPostgres

@Suite struct PostgresURLTests {
    @Test(arguments: [
        (
            "postgresql://ci:s3cr%40t@db.example:6543/perf?sslmode=require",
            "postgresql://ci:***@db.example:6543/perf?sslmode=require", "s3cr@t"
        ),
        (
            "postgres://ci@[::1]/perf?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgresql://ci@[::1]:5432/perf?sslmode=verify-full&sslrootcert=/etc/ca.pem", nil
        ),
        (
            "postgresql://ci@/perf?host=/run/postgresql",
            "postgresql://ci@/run/postgresql:5432/perf?sslmode=prefer", nil
        ),
        (
            "postgresql://ci@/perf?host=/tmp/pg&port=55432",
            "postgresql://ci@/tmp/pg:55432/perf?sslmode=prefer", nil
        ),
    ])
    func parsesAndRedacts(text: String, redacted: String, password: String?) throws {
        let url = try PostgresURL(parsing: text)
        #expect(url.redacted == redacted)
        #expect(url.password == password)
    }

    @Test func theEnvironmentFillsWhatTheURLLeavesOut() throws {
        let url = try PostgresURL(
            parsing: "postgresql://",
            environment: [
                "PGUSER": "reader", "PGHOST": "pg", "PGPORT": "5433", "PGDATABASE": "perf",
                "PGSSLMODE": "disable",
            ])
        #expect(url.redacted == "postgresql://reader@pg:5433/perf?sslmode=disable")
    }

    @Test(arguments: [
        ("postgresql://ci:pw@h/db?sslmode=sometimes", "sslmode sometimes is not one of"),
        ("postgresql://ci:pw@h/db?timeout=3", "unknown parameter timeout"),
        ("postgresql://ci:pw@h:0/db", "port 0 is out of range"),
    ])
    func refusesWhatItCannotHonourWithoutThePassword(text: String, problem: String) {
        let error = #expect(throws: PerfDBError.self) { try PostgresURL(parsing: text) }
        #expect(error?.code == .usage)
        #expect(error?.message.contains(problem) == true)
        #expect(error?.message.contains("pw") == false)
        #expect(error?.message.contains("ci:***@h") == true)
    }

    @Test func thePasswordComesFromTheURLThenPGPASSWORDThenThePassFile() throws {
        let folder = try TestPaths.temporaryDirectory()
        let file = folder.appending(path: "pgpass").path
        try """
        # comment
        other:*:*:*:wrong
        db.example:6543:perf:ci:from\\:file
        *:*:*:*:fallback
        """.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let environment = ["PGPASSFILE": file]
        let url = try PostgresURL(parsing: "postgresql://ci@db.example:6543/perf")
        #expect(url.resolvedPassword(environment: environment, home: "/") == "from:file")
        #expect(
            url.resolvedPassword(
                environment: environment.merging(["PGPASSWORD": "env"]) { $1 },
                home: "/") == "env")
        let other = try PostgresURL(parsing: "postgresql://x@elsewhere/db")
        #expect(other.resolvedPassword(environment: environment, home: "/") == "fallback")
        let written = try PostgresURL(parsing: "postgresql://ci:inline@db.example:6543/perf")
        #expect(written.resolvedPassword(environment: environment, home: "/") == "inline")
        // A file others may read is ignored, as libpq ignores it.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(url.resolvedPassword(environment: environment, home: "/") == nil)
    }
}

@Suite(.serialized) struct PostgresWarehouseTests {
    /// The server ends an idle connection (as a restart or an idle timeout does): the next
    /// operation, repeatable or not, runs on a new connection, since nothing of it was sent.
    @Test func aConnectionEndedWhileIdleIsReplacedBeforeTheNextOperation() throws {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("idle")
        let store = try PostgresStore(
            url: try url(cluster, database), password: cluster.password, access: .readWrite)
        defer { store.close() }
        let run = try store.reading { try $0.runs(matching: RunFilter()) }
        #expect(run.isEmpty)
        let ended = try cluster.psql(
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = '\(database)' AND application_name = 'perfdb'
            """, database: "postgres")
        #expect(ended.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        Thread.sleep(forTimeInterval: 0.2)
        // `delete` is not repeated after a failure; here it must not fail for the old connection.
        #expect {
            _ = try store.delete(.id(1))
        } throws: { error in
            (error as? PerfDBError)?.code == .inputNotFound
        }
    }

    private func url(_ cluster: PostgresCluster, _ database: String) throws -> PostgresURL {
        try PostgresURL(parsing: cluster.url(database: database))
    }

    private func appliedCount(_ cluster: PostgresCluster, _ database: String) throws -> String {
        try cluster.psql("SELECT count(*) FROM schema_migration", database: database)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aNewDatabaseGetsTheSchemaTheMigrationFilesBuild() throws {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("open")
        let warehouse = try PostgresWarehouse.open(
            try url(cluster, database), password: cluster.password, migrate: true)
        warehouse.close()
        let reference = try migratedPostgresDatabase(cluster, prefix: "reference")
        #expect(
            try SchemaShape.postgresql(cluster, database: database)
                == SchemaShape.postgresql(cluster, database: reference))
        #expect(try appliedCount(cluster, database) == "\(PostgresWarehouse.knownMigrations.count)")
    }

    @Test func fourProcessesUpgradingAtOnceMigrateOnce() throws {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("race")
        let location = try url(cluster, database)
        _ = try Threads.run(4) { _ in
            try PostgresWarehouse.open(location, password: cluster.password, migrate: true)
                .close()
        }
        #expect(try appliedCount(cluster, database) == "\(PostgresWarehouse.knownMigrations.count)")
    }

    @Test func aDatabaseOfANewerPerfdbIsRefusedUntouched() throws {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("newer")
        let location = try url(cluster, database)
        let warehouse = try PostgresWarehouse.open(
            location, password: cluster.password, migrate: true)
        warehouse.close()
        try cluster.psql(
            "INSERT INTO schema_migration VALUES ('9999_from_the_future', 'x')", database: database)
        let before = try cluster.schemaDump(database: database)
        let error = #expect(throws: PerfDBError.self) {
            try PostgresWarehouse.open(location, password: cluster.password, migrate: true)
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("newer perfdb (schema 9999_from_the_future)") == true)
        #expect(try cluster.schemaDump(database: database) == before)
    }

    @Test func readingAnEmptyDatabaseCreatesNothing() throws {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("empty")
        let error = #expect(throws: PerfDBError.self) {
            try PostgresWarehouse.open(
                try url(cluster, database), password: cluster.password, migrate: false)
        }
        #expect(error?.code == .inputNotFound)
        #expect(
            try cluster.psql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: database
            )
            .trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func aWrongPasswordFailsAtOnceAndIsNeverPrinted() throws {
        let cluster = try PostgresCluster.shared()
        let secret = "not-the-password-\(UUID().uuidString)"
        let location = try PostgresURL(
            parsing:
                "postgresql://perfdb:\(secret)@127.0.0.1:\(cluster.port)/postgres?sslmode=disable")
        let started = Date()
        let error = #expect(throws: PerfDBError.self) {
            try PostgresWarehouse.open(
                location, password: location.password, connectTimeout: .seconds(20),
                migrate: false)
        }
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(error?.code == .io)
        #expect(error?.message.contains("password authentication failed") == true)
        #expect(error?.message.contains(secret) == false)
        #expect(error?.message.contains("perfdb:***@127.0.0.1") == true)
    }

    @Test func anUnreachableServerIsRetriedUntilTheTimeoutThenExit75() throws {
        // A port nothing listens on: free a moment ago.
        let port = try PostgresCluster.freePort()
        let location = try PostgresURL(
            parsing: "postgresql://perfdb:pw@127.0.0.1:\(port)/postgres?sslmode=disable")
        let started = Date()
        let error = #expect(throws: PerfDBError.self) {
            try PostgresWarehouse.open(
                location, password: "pw", connectTimeout: .seconds(2), migrate: false)
        }
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 1 && waited < 15)
        #expect(error?.code == .busy)
        #expect(error?.message.contains("server unreachable after") == true)
        #expect(error?.message.contains(":pw@") == false)
    }
}

@Suite struct SQLStatementsTests {
    @Test func splitsAtSemicolonsOutsideLiteralsAndComments() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE "a;b" (x text CHECK (x <> ';'));
            INSERT INTO t VALUES ('it''s; fine'); -- trailing; comment

            SELECT 1
            """
        #expect(
            SQLStatements.split(sql) == [
                #"CREATE TABLE "a;b" (x text CHECK (x <> ';'))"#,
                "INSERT INTO t VALUES ('it''s; fine')",
                "SELECT 1",
            ])
    }
}
