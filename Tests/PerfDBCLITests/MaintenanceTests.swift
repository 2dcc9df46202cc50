import Foundation
import PerfDBTestSupport
import Testing

@Suite struct MaintenanceTests {
    /// A copy of a database made by an earlier schema version.
    func olderDatabase(_ cli: CLI) throws {
        try FileManager.default.copyItem(
            atPath: CLI.fixture("databases", "schema-0001.sqlite"), toPath: cli.db)
    }

    @Test func anOlderDatabaseUpgradesInPlaceWithItsData() throws {
        let cli = try CLI()
        try olderDatabase(cli)
        let list = try cli.run(["runs", "list", "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        let run = try #require(
            try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let metrics = try #require(run["metrics"] as? [String: [String: Double]])
        #expect(metrics["http_req_duration{endpoint:reservations}"]?["p95"] == 48.25)
        #expect(metrics["http_req_duration"]?["avg"] == 19.75)
        let migrations = try cli.run([
            "query", "SELECT identifier FROM schema_migration ORDER BY 1", "--format", "csv",
        ])
        #expect(
            migrations.stdout
                == """
                identifier
                0001_create_warehouse
                0002_add_distributions_and_timelines
                0003_keep_threshold_and_probe_details
                0004_drop_empty_tags_from_series
                0005_rename_slo_result_metric_to_series
                0006_add_run_errors
                0007_create_grafana_views
                0008_link_load_runs_to_chaos_runs
                0009_cover_measurement_by_run
                0010_mark_declared_series
                0011_restate_verdict_kind_check

                """)
        #expect(try cli.run(["doctor"]).status == 0)
        let ingest = try cli.run(["ingest", CLI.fixture("k6-ndjson", "smoke.ndjson.gz")])
        #expect(ingest.status == 0)
    }

    @Test func doctorReportsAndBackupCopies() throws {
        let cli = try CLI()
        #expect(try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")]).status == 0)
        let doctor = try cli.run(["doctor", "--format", "json"])
        #expect(doctor.status == 0)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [String: Any])
        #expect((report["runs"] as? NSNumber)?.intValue == 1)
        #expect((report["problems"] as? [Any])?.isEmpty == true)
        let copy = cli.directory.appending(path: "copy.sqlite").path
        #expect(try cli.run(["backup", copy]).status == 0)
        let listed = try cli.run(["runs", "list", "--db", copy, "--format", "csv"])
        #expect(listed.stdout == (try cli.run(["runs", "list", "--format", "csv"])).stdout)
        #expect(try cli.run(["backup", copy]).status == 64)
    }

    @Test func aDamagedFileIsReportedNotCrashedOn() throws {
        let cli = try CLI()
        #expect(try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        // Scribble over the first page's header: SQLite no longer knows the file.
        for index in 0..<16 { bytes[index] = 0x41 }
        try bytes.write(to: URL(fileURLWithPath: cli.db))
        let doctor = try cli.run(["doctor"])
        #expect(doctor.status == 74, "\(doctor.stderr)")
        #expect(
            doctor.stderr.contains("not a perfdb database") || doctor.stderr.contains("corrupt"))
        let ingest = try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json")])
        #expect(ingest.status == 74)
    }
}

@Suite struct BusyTests {
    /// A writer that holds the lock past the timeout: exit 75 with a clear message, no crash,
    /// and the ingest succeeds once the lock is gone.
    @Test func aBusyDatabaseIsExit75() throws {
        let cli = try CLI()
        #expect(
            try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json")]).status == 0)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute('BEGIN IMMEDIATE')
            print('locked', flush=True)
            time.sleep(3)
            db.execute('ROLLBACK')
            """, cli.db,
        ]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        _ = output.fileHandleForReading.availableData  // waits for "locked"
        let busy = try cli.run(
            ["ingest", CLI.fixture("k6-summary-export", "load.json")],
            environment: ["PERFDB_BUSY_TIMEOUT": "1"])
        #expect(busy.status == 75, "\(busy.stderr)")
        #expect(busy.stderr.contains("database busy"))
        holder.waitUntilExit()
        let after = try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")])
        #expect(after.status == 0)
    }
}
