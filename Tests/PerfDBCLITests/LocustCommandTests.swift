import Foundation
import PerfDBTestSupport
import Testing

/// `perfdb ingest` of real Locust runs: the files of one run stored once, sibling files
/// stored with it, the exit code, and the gate over a Locust history.
@Suite struct LocustCommandTests {
    /// A copy of a fixture case's files in the test's directory, under `prefix`.
    func copy(_ name: String, to cli: CLI, prefix: String = "report", only: [String]? = nil)
        throws
    {
        let folder = URL(fileURLWithPath: CLI.fixture("locust", name))
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where file.hasPrefix("report") && (only?.contains(file) ?? true) {
            try FileManager.default.copyItem(
                at: folder.appending(path: file),
                to: cli.directory.appending(path: prefix + file.dropFirst("report".count)))
        }
    }

    func path(_ cli: CLI, _ file: String) -> String { cli.directory.appending(path: file).path }

    func query(_ cli: CLI, _ sql: String) throws -> String {
        let result = try cli.run(["query", sql, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test func aJSONReportAndItsStatsCSVAreOneRunWithItsSiblings() throws {
        let cli = try CLI()
        try copy("errors", to: cli)
        let result = try cli.run([
            "ingest", path(cli, "report.json"), path(cli, "report_stats.csv"), "--exit-code", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("load, locust-json, 27 series"), "\(result.stderr)")
        #expect(result.stderr.contains("is this run's stats CSV: the run is stored once"))
        #expect(
            try query(cli, "SELECT count(*) AS runs, max(status) AS status FROM run")
                == "runs,status\n1,failed\n")
        // The failures file beside it: two kinds, as Locust counted them.
        #expect(
            try query(cli, "SELECT kind, method, name, occurrences FROM run_error ORDER BY seq")
                == """
                kind,method,name,occurrences
                failure,GET,/api/v1/pms/availability,21
                failure,GET,/api/v1/pms/room-types,14

                """)
        // The history beside it is the run's timeline.
        let buckets = try query(
            cli,
            "SELECT sum(t.count) AS requests FROM timeline t JOIN series s ON s.id = t.series_id "
                + "WHERE s.name = 'http_reqs'")
        #expect(buckets.hasPrefix("requests\n") && buckets != "requests\n\n")
        let show = try cli.run(["runs", "show", "1"])
        #expect(show.stdout.contains("### Errors") || show.stdout.contains("Errors\n"))
        #expect(show.stdout.contains("HTTPError('503 Server Error"))
        let json = try cli.run(["runs", "show", "1", "--format", "json"])
        #expect(
            json.stdout.contains(#""occurrences" : 21"#)
                || json.stdout.contains(#""occurrences": 21"#))
        // The same JSON again is the same run.
        let again = try cli.run(["ingest", path(cli, "report.json")])
        #expect(again.status == 0)
        #expect(try query(cli, "SELECT count(*) AS runs FROM run") == "runs\n1\n")
    }

    @Test func mergeCarriesTheErrorKinds() throws {
        let cli = try CLI()
        #expect(try cli.run(["ingest", CLI.fixture("locust", "errors/report.json")]).status == 0)
        let other = path(cli, "other.sqlite")
        #expect(
            try cli.run(["ingest", "--db", other, CLI.fixture("k6-summary-export", "load.json")])
                .status == 0)
        let merged = try cli.run(["merge", cli.db, "--db", other])
        #expect(merged.status == 0, "\(merged.stderr)")
        let rows = try cli.run([
            "query", "--db", other, "--format", "csv",
            "SELECT e.run_id, e.occurrences FROM run_error e JOIN run r ON r.id = e.run_id "
                + "WHERE r.tool = 'locust' ORDER BY e.seq",
        ])
        #expect(rows.stdout == "run_id,occurrences\n2,21\n2,14\n", "\(rows.stderr)")
    }

    @Test func aSiblingWithoutItsRunIsAUsageErrorAndStoresNothing() throws {
        let cli = try CLI()
        try copy("errors", to: cli)
        #expect(try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        let result = try cli.run(["ingest", path(cli, "report_failures.csv")])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(
            result.stderr
                == "perfdb: \(path(cli, "report_failures.csv")): a Locust failures CSV is stored "
                + "with its run: name the run's \(path(cli, "report"))_stats.csv or "
                + "\(path(cli, "report")).json too\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
        // From standard input a sibling cannot be told from its name: its header says.
        let piped = try cli.run(
            ["ingest", "-"],
            stdin: try Data(contentsOf: URL(fileURLWithPath: path(cli, "report_failures.csv"))))
        #expect(piped.status == 65, "\(piped.stderr)")
        #expect(piped.stderr.contains("a Locust failures CSV is stored with its run"))
    }

    @Test func aBrokenSiblingStoresNothing() throws {
        let cli = try CLI()
        try copy("baseline", to: cli, only: ["report_stats.csv", "report_stats_history.csv"])
        let history = path(cli, "report_stats_history.csv")
        var text = try String(contentsOfFile: history, encoding: .utf8)
        text = text.replacingOccurrences(of: ",Aggregated,", with: ",Aggregated,x,")
        try text.write(toFile: history, atomically: true, encoding: .utf8)
        let result = try cli.run(["ingest", path(cli, "report_stats.csv")])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("perfdb: \(history): line 2: "), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.db))
    }

    @Test func gzipAndStandardInputAreRead() throws {
        let cli = try CLI()
        let gz = path(cli, "run_stats.csv.gz")
        try Data(try CLI.gzip(["-c", CLI.fixture("locust", "slow-endpoint/report_stats.csv")]))
            .write(to: URL(fileURLWithPath: gz))
        let zipped = try cli.run(["ingest", gz])
        #expect(zipped.status == 0, "\(zipped.stderr)")
        #expect(zipped.stderr.contains("locust-csv"))
        let piped = try cli.run(
            ["ingest", "-", "--input-format", "locust-json", "--exit-code", "2"],
            stdin: try Data(
                contentsOf: URL(fileURLWithPath: CLI.fixture("locust", "baseline/report.json"))))
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(
            try query(cli, "SELECT source_format, status FROM run ORDER BY id")
                == "source_format,status\nlocust-csv,passed\nlocust-json,aborted\n")
    }

    @Test func theGateFlagsTheSlowerEndpointOfALocustHistory() throws {
        let cli = try CLI()
        let baseline = CLI.fixture("locust", "baseline/report.json")
        let slow = CLI.fixture("locust", "slow-endpoint/report.json")
        // Five runs of the same baseline content under different names would be one run
        // (same digest): the demo history has real repeated runs; here the baseline is pinned.
        #expect(try cli.run(["ingest", baseline, "--commit", "a1"]).status == 0)
        #expect(try cli.run(["baseline", "set", "1", "--reason", "known good"]).status == 0)
        #expect(try cli.run(["ingest", slow, "--commit", "b2"]).status == 0)
        let check = try cli.run(["check", "latest"])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("http_req_duration{method:GET,name:/api/v1/reservations}"))
    }
}
