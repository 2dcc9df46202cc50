import Foundation
import PerfDBTestSupport
import Testing

/// The commands against a real PostgreSQL server (a throw-away cluster on loopback): the same
/// answers as on a file, moving history between the engines, the documented roles, and faults.
@Suite(.serialized) struct PostgresCommandTests {
    /// A fresh database on the shared cluster, its `--db` URL (no password in it) and the
    /// environment that gives the password.
    struct Server {
        let cluster: PostgresCluster
        let database: String
        var url: String { cluster.url(database: database) }
        var environment: [String: String] { ["PGPASSWORD": cluster.password, "PERFDB_DB": url] }

        init(_ prefix: String) throws {
            cluster = try PostgresCluster.shared()
            database = try cluster.createDatabase(prefix)
        }

        /// The demo history ingested with `tools/demo-db.sh`, as `make demo` builds it.
        func ingestDemo() throws {
            let build = Process()
            build.executableURL = TestPaths.root.appending(path: "tools/demo-db.sh")
            build.arguments = [CLI.binary.path, url]
            build.environment = ProcessInfo.processInfo.environment.merging(environment) {
                _, new in new
            }
            build.standardOutput = FileHandle.nullDevice
            try build.run()
            build.waitUntilExit()
            #expect(build.terminationStatus == 0)
        }

        func count(_ table: String) throws -> Int {
            Int(
                try cluster.psql("SELECT count(*) FROM \(table)", database: database)
                    .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
    }

    /// The reading commands a pipeline and a dashboard use, as JSON.
    static let readings: [[String]] = [
        ["runs", "list"], ["runs", "list", "--kind", "chaos", "--last", "3"],
        ["runs", "show", "latest"], ["runs", "show", "7"],
        ["check", "latest", "--no-store"], ["check", "12", "--no-store"],
        ["trend", "--series", "http_req_duration{endpoint:reservations}", "--change-points"],
        ["trend", "--series", "http_req_failed", "--stat", "rate"],
        ["baseline", "drift"], ["baseline", "show"], ["slo", "check", "latest", "--no-store"],
        ["slo", "trend"], ["chaos", "list"], ["chaos", "trend"], ["report"],
    ]

    /// The demo history in a file and on the server: every reading command prints the same
    /// JSON and exits the same; so again after `check` and `slo check` recorded their
    /// decisions and a baseline was pinned on both.
    @Test func everyCommandAnswersTheSameOnBothEngines() throws {
        let server = try Server("cli_parity")
        try server.ingestDemo()
        let cli = try CLI.demo()
        func compare() throws {
            for arguments in Self.readings {
                let file = try cli.run(arguments + ["--format", "json"])
                let postgres = try cli.run(
                    arguments + ["--format", "json"], environment: server.environment)
                #expect(postgres.status == file.status, "\(arguments): \(postgres.stderr)")
                #expect(
                    Self.clockFree(postgres.stdout) == Self.clockFree(file.stdout), "\(arguments)")
                #expect(!postgres.stdout.isEmpty, "\(arguments)")
            }
        }
        try compare()
        for environment in [[:], server.environment] {
            for arguments in [
                ["check", "latest"], ["slo", "check", "latest"], ["check", "9"],
                ["baseline", "set", "5", "--reason", "agreed after the PMS fix"],
                ["runs", "invalidate", "3", "--reason", "load generator starved"],
            ] {
                let result = try cli.run(arguments, environment: environment)
                #expect(result.status < 64, "\(arguments): \(result.stderr)")
            }
        }
        try compare()
        let verdicts = try cli.run(
            [
                "query",
                "SELECT run_id, series_id, statistic, verdict, value, evidence FROM verdict "
                    + "ORDER BY id", "--format", "csv",
            ])
        let serverVerdicts = try cli.run(
            [
                "query",
                "SELECT run_id, series_id, statistic, verdict, value, evidence FROM verdict "
                    + "ORDER BY id", "--format", "csv",
            ], environment: server.environment)
        #expect(serverVerdicts.stdout == verdicts.stdout)
        #expect(verdicts.stdout.split(separator: "\n").count > 10)
    }

    /// JSON without the wall-clock times of the decisions recorded by this test (when each
    /// engine's `check`, `slo check` or `baseline set` ran).
    static func clockFree(_ json: String) -> String {
        json.replacingOccurrences(
            of: #""(evaluated_at|set_at|decided_at)": "[^"]*""#, with: #""$1": "…""#,
            options: .regularExpression)
    }

    /// A job's file pushed to the server with `merge` and pulled back with `backup`: every
    /// table of the copy equals the file, ids included; merging again adds nothing.
    @Test func mergeToTheServerAndBackupRoundTripTheHistory() throws {
        let server = try Server("cli_roundtrip")
        let cli = try CLI.demo()
        for arguments in [
            ["check", "latest"], ["check", "9"], ["slo", "check", "latest"],
            ["baseline", "set", "5", "--reason", "agreed"], ["accept", "latest", "--reason", "ok"],
            ["runs", "invalidate", "3", "--reason", "starved"],
            ["ingest", CLI.fixture("k6-ndjson", "smoke.ndjson.gz"), "--scenario", "smoke"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status < 64, "\(arguments): \(result.stderr)")
        }
        let merged = try cli.run(
            ["merge", cli.db, "--db", server.url, "--format", "json"],
            environment: server.environment)
        #expect(merged.status == 0, "\(merged.stderr)")
        let again = try cli.run(
            ["merge", cli.db, "--db", server.url], environment: server.environment)
        #expect(again.stdout.contains("0 runs added, 59 here already"), "\(again.stdout)")
        let copy = cli.directory.appending(path: "copy.sqlite").path
        let backup = try cli.run(
            ["backup", copy, "--db", server.url], environment: server.environment)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stderr.contains("backed up postgresql://perfdb@127.0.0.1:"))
        for table in [
            "run", "run_label", "series", "series_tag", "measurement", "threshold_result",
            "check_result", "slo_evaluation", "slo_result", "chaos_experiment", "chaos_activity",
            "distribution", "timeline", "baseline", "verdict",
        ] {
            let sql = "SELECT * FROM \(table) ORDER BY 1, 2, 3"
            let original = try cli.run(["query", sql, "--format", "csv"])
            let roundTrip = try cli.run(["query", sql, "--format", "csv", "--db", copy])
            #expect(original.status == 0, "\(table): \(original.stderr)")
            #expect(roundTrip.stdout == original.stdout, "\(table)")
            // The demo's chaos experiments come from the orchestrator, which lists no activities.
            if table != "chaos_activity" {
                #expect(original.stdout.split(separator: "\n").count > 1, "\(table) is empty")
            }
        }
        let doctor = try cli.run(["doctor", "--db", copy])
        #expect(doctor.status == 0, "\(doctor.stderr)")
    }

    /// A file merged into a server that holds other runs first: every run, series and
    /// baseline gets the server's ids, and each verdict's evidence names the same runs (by
    /// content digest) as in the file.
    @Test func mergeIntoAServerWithHistoryMapsEveryId() throws {
        let server = try Server("cli_mapping")
        let cli = try CLI.demo()
        let chaos = try cli.run(
            [
                "ingest", CLI.fixture("chaostoolkit", "pms-outage-deviated.json"),
                CLI.fixture("k6-summary-export", "thresholds-crossed.json"),
            ],
            environment: server.environment)
        #expect(chaos.status == 0, "\(chaos.stderr)")
        for arguments in [
            ["check", "latest"], ["check", "9"], ["baseline", "set", "5", "--reason", "agreed"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status < 64, "\(arguments): \(result.stderr)")
        }
        let merged = try cli.run(["merge", cli.db], environment: server.environment)
        #expect(merged.status == 0, "\(merged.stderr)")
        func evidence(_ environment: [String: String]) throws -> [String] {
            let digests = try Self.rows(
                cli, "SELECT id, content_digest FROM run", environment
            ).reduce(into: [Int: String]()) {
                $0[$1["id"] as? Int ?? -1] = $1["content_digest"] as? String
            }
            return try Self.rows(
                cli,
                """
                SELECT r.content_digest AS run, s.name AS series, v.statistic, v.verdict,
                    v.evidence, b.run_id AS pinned
                FROM verdict v JOIN run r ON r.id = v.run_id
                LEFT JOIN series s ON s.id = v.series_id
                LEFT JOIN baseline b ON b.id = (SELECT max(id) FROM baseline)
                """, environment
            ).map { row in
                let text = row["evidence"] as? String ?? ""
                let json =
                    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                let baseline = json?["baseline"] as? [String: Any]
                let ids =
                    (json?["baseline_runs"] as? [Int]) ?? (baseline?["runs"] as? [Int]) ?? []
                let pin = (baseline?["pin"] as? [String: Any])?["run_id"] as? Int
                return [
                    row["run"], row["series"], row["statistic"], row["verdict"],
                    ids.map { digests[$0] ?? "missing \($0)" }, pin.map { digests[$0] },
                    (row["pinned"] as? Int).map { digests[$0] },
                ].map { "\($0 ?? "-")" }.joined(separator: " ")
            }.sorted()
        }
        let inFile = try evidence([:])
        #expect(inFile.count > 100)
        #expect(try evidence(server.environment) == inFile)
        #expect(try server.count("run") == 60)
    }

    /// The rows of a query as JSON objects.
    static func rows(_ cli: CLI, _ sql: String, _ environment: [String: String]) throws
        -> [[String: Any]]
    {
        let result = try cli.run(["query", sql, "--format", "json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        return
            (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            ?? []
    }

    /// The writer and reader roles of docs/scaling.md, created by its SQL: the writer ingests
    /// and records verdicts; the reader reads, checks without storing and runs queries, and
    /// every write it tries is refused (exit 74) with the database unchanged.
    @Test func theDocumentedRolesWorkForReal() throws {
        let server = try Server("cli_roles")
        try server.ingestDemo()
        let doc = try String(
            contentsOf: TestPaths.root.appending(path: "docs/scaling.md"), encoding: .utf8)
        let block = try #require(
            doc.components(separatedBy: "```sql\n").dropFirst().first?.components(
                separatedBy: "```"
            ).first)
        let suffix = "_\(server.database.suffix(8))"
        let writer = "perfdb_writer" + suffix
        let reader = "perfdb_reader" + suffix
        let sql = block.replacingOccurrences(of: "perfdb_writer", with: writer)
            .replacingOccurrences(of: "perfdb_reader", with: reader)
        try server.cluster.psql(sql, database: server.database)
        try server.cluster.psql(
            "ALTER ROLE \(writer) PASSWORD 'w-secret-1'; ALTER ROLE \(reader) PASSWORD 'r-secret-2'",
            database: server.database)
        let cli = try CLI()
        let asWriter = [
            "PERFDB_DB": server.cluster.url(database: server.database, user: writer),
            "PGPASSWORD": "w-secret-1",
        ]
        let asReader = [
            "PERFDB_DB": server.cluster.url(database: server.database, user: reader),
            "PGPASSWORD": "r-secret-2",
        ]
        for arguments in [
            [
                "ingest", CLI.fixture("k6-summary-export", "load.json"), "--scenario", "load",
                "--environment", "staging", "--branch", "main",
            ],
            ["check", "latest"], ["baseline", "set", "5", "--reason", "writer pins"],
            ["runs", "invalidate", "2", "--reason", "writer curates"],
        ] {
            let result = try cli.run(arguments, environment: asWriter)
            #expect(result.status < 64, "writer \(arguments): \(result.stderr)")
        }
        let runs = try server.count("run")
        let verdicts = try server.count("verdict")
        for arguments in [
            ["runs", "list"], ["check", "latest", "--no-store"], ["report"],
            ["trend", "--series", "http_req_duration"], ["query", "SELECT count(*) FROM run"],
            ["doctor"],
            // Grafana's data source reads the dashboard views as this role (docs/grafana.md).
            ["query", "SELECT count(*) FROM v_measurement"], ["query", "SELECT * FROM v_run"],
        ] {
            let result = try cli.run(arguments, environment: asReader)
            #expect(result.status < 64, "reader \(arguments): \(result.stderr)")
        }
        for arguments in [
            ["ingest", CLI.fixture("k6-summary-export", "smoke.json")], ["check", "latest"],
            ["runs", "delete", "4"],
        ] {
            let result = try cli.run(arguments, environment: asReader)
            #expect(result.status == 74, "reader \(arguments): \(result.stderr)")
            #expect(result.stderr.contains("permission denied"), "\(result.stderr)")
            #expect(!result.stderr.contains("r-secret-2"))
        }
        #expect(try server.count("run") == runs)
        #expect(try server.count("verdict") == verdicts)
    }

    /// TLS for real: with the server's certificate authority, `verify-full` connects and the
    /// server sees an encrypted connection; `require` encrypts without checking; an authority
    /// that did not sign the certificate is refused (exit 74) before anything is sent.
    @Test func tlsConnectsAndChecksTheServersCertificate() throws {
        let cluster = try PostgresCluster.start(tls: true)
        defer { cluster.stop() }
        let database = try cluster.createDatabase("tls")
        let cli = try CLI()
        let base = "postgresql://perfdb@localhost:\(cluster.port)/\(database)"
        let environment = ["PGPASSWORD": cluster.password]
        let verified =
            "\(base)?sslmode=verify-full&sslrootcert=\(cluster.certificateAuthority.path)"
        let ingest = try cli.run(
            ["ingest", CLI.fixture("k6-summary-export", "load.json"), "--db", verified],
            environment: environment)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        for url in [verified, "\(base)?sslmode=require"] {
            let ssl = try cli.run(
                [
                    "query", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    "--db", url, "--format", "csv",
                ], environment: environment)
            #expect(ssl.stdout == "ssl\ntrue\n", "\(url): \(ssl.stderr)")
        }
        let refused = try cli.run(
            [
                "runs", "list", "--db",
                "\(base)?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
                "--connect-timeout", "2",
            ], environment: environment)
        #expect(refused.status == 74, "\(refused.stderr)")
        #expect(refused.stderr.contains("certificate does not verify"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(!refused.stderr.contains(cluster.password))
    }

    /// A raw-stream ingest killed (SIGKILL) at moments spread over its run leaves no run or a
    /// whole one, and the next ingest of the same file succeeds.
    @Test func aClientKilledMidIngestLeavesNoPartialRun() throws {
        let server = try Server("cli_kill")
        let cli = try CLI()
        let file = try Self.largeStream(cli)
        let reference = try cli.run(["ingest", file, "--db", cli.db])
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try Self.shape(cli, ["--db", cli.db])
        for delay in [0.2, 0.5, 0.8, 1.1, 1.4, 1.7, 2.0] {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["ingest", file, "--quiet"]
            process.environment = ["PATH": "/usr/bin:/bin", "HOME": cli.directory.path]
                .merging(server.environment) { _, new in new }
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let shape = try Self.shape(cli, [], server.environment)
            #expect(shape == "" || shape == expected, "after \(delay) s: \(shape)")
        }
        let last = try cli.run(["ingest", file], environment: server.environment)
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try Self.shape(cli, [], server.environment) == expected)
    }

    /// The server restarted (`pg_ctl restart -m immediate`) while ingests run: each ingest
    /// stores its whole run (retrying on a new connection) or fails with exit 74/75, no run is
    /// partial or stored twice, and ingesting again stores what is missing.
    @Test func aServerRestartedMidIngestLeavesNoPartialRun() throws {
        let cluster = try PostgresCluster.start()
        defer { cluster.stop() }
        let database = try cluster.createDatabase("restart")
        let environment = [
            "PERFDB_DB": cluster.url(database: database), "PGPASSWORD": cluster.password,
        ]
        let cli = try CLI()
        let file = try Self.largeStream(cli)
        let reference = try cli.run(["ingest", file, "--db", cli.db])
        let expected = try Self.shape(cli, ["--db", cli.db])
        #expect(reference.status == 0)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["ingest", file, "--quiet"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": cli.directory.path]
            .merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        Thread.sleep(forTimeInterval: 1.0)
        try cluster.restartImmediately()
        process.waitUntilExit()
        let stderr = String(
            decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect([0, 74, 75].contains(process.terminationStatus), "\(stderr)")
        let shape = try Self.shape(cli, [], environment)
        #expect(shape == "" || shape == expected, "\(shape)")
        let again = try cli.run(["ingest", file], environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.shape(cli, [], environment) == expected)
    }

    /// A raw k6 stream large enough that its ingest takes a while: the load run, eight times
    /// over (about 38 MB).
    static func largeStream(_ cli: CLI) throws -> String {
        let load = Data(try CLI.gzip(["-dc", CLI.fixture("k6-ndjson", "load.ndjson.gz")]))
        let path = cli.directory.appending(path: "large.ndjson")
        var data = Data()
        for _ in 0..<8 { data.append(load) }
        try data.write(to: path)
        return path.path
    }

    /// Each stored run's digest and its row counts, one line a run.
    static func shape(_ cli: CLI, _ arguments: [String], _ environment: [String: String] = [:])
        throws -> String
    {
        let result = try cli.run(
            [
                "query",
                """
                SELECT r.content_digest,
                    (SELECT count(*) FROM measurement m WHERE m.run_id = r.id) AS measurements,
                    (SELECT count(*) FROM timeline t WHERE t.run_id = r.id) AS timeline,
                    (SELECT count(*) FROM distribution d WHERE d.run_id = r.id) AS distributions
                FROM run r ORDER BY r.id
                """, "--format", "csv",
            ] + arguments, environment: environment)
        // A client killed before its first migration committed leaves no schema: no runs.
        if result.status == 66, result.stderr.contains("no perfdb warehouse") { return "" }
        guard result.status == 0 else { return "query failed: \(result.stderr)" }
        return result.stdout.split(separator: "\n").dropFirst().joined(separator: "\n")
    }
}
