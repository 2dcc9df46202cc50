import Foundation
import PerfDBTestSupport
import Testing

/// `perfdb merge`: parallel CI jobs' files folded into one history.
@Suite struct MergeCommandTests {
    /// The demo history's runs: file, commit, build, branch, start, exit code.
    static let demoRuns: [[String]] = {
        let table =
            (try? String(
                contentsOf: TestPaths.root.appending(path: "demo/history/runs.tsv"),
                encoding: .utf8)) ?? ""
        return table.split(separator: "\n").dropFirst().map {
            $0.split(separator: "\t").map(String.init)
        }
    }()

    /// Ingests demo runs (1-based) into `db` with their CI context.
    static func ingestDemo(_ cli: CLI, _ runs: ClosedRange<Int>, into db: String) throws {
        for fields in demoRuns[(runs.lowerBound - 1)...(runs.upperBound - 1)] {
            let result = try cli.run([
                "ingest", TestPaths.root.appending(path: "demo/history/\(fields[0])").path,
                "--db", db, "--scenario", "load", "--environment", "staging", "--commit",
                fields[1], "--build", fields[2], "--branch", fields[3], "--started-at", fields[4],
                "--exit-code", fields[5],
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    /// Every table's rows, sorted, as CSV: equal fingerprints mean equal contents.
    static func fingerprint(_ cli: CLI, _ db: String) throws -> String {
        var text = ""
        for table in [
            "run", "run_label", "series", "series_tag", "measurement", "threshold_result",
            "check_result", "slo_evaluation", "slo_result", "chaos_experiment", "chaos_activity",
            "baseline", "verdict", "distribution", "timeline",
        ] {
            let result = try cli.run([
                "query", "SELECT * FROM \(table) ORDER BY 1, 2, 3", "--db", db, "--format", "csv",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            text += "\(table)\n\(result.stdout)"
        }
        return text
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func number(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }

    /// The bytes of a database and its WAL, to show a refused merge changed nothing.
    static func bytes(_ db: String) -> [Data?] {
        [db, db + "-wal"].map { try? Data(contentsOf: URL(fileURLWithPath: $0)) }
    }

    @Test func parallelJobsFoldIntoTheHistoryOneDatabaseWouldHave() throws {
        let cli = try CLI()
        let direct = cli.directory.appending(path: "direct.sqlite").path
        let job = cli.directory.appending(path: "job.sqlite").path
        // One database gets every run; the main file the first 9 and a CI job's file the rest,
        // with a chaos result, an SLO report and a raw k6 stream (distributions, timelines).
        try Self.ingestDemo(cli, 1...18, into: direct)
        try Self.ingestDemo(cli, 1...9, into: cli.db)
        try Self.ingestDemo(cli, 10...18, into: job)
        for (format, file) in [
            ("chaos-result", "network-latency.json"), ("slo-report", "load.json"),
            ("k6-ndjson", "smoke.ndjson.gz"),
        ] {
            for db in [direct, job] {
                let ingest = try cli.run([
                    "ingest", CLI.fixture(format, file), "--db", db, "--environment", "staging",
                    "--branch", "main",
                ])
                #expect(ingest.status == 0, "\(ingest.stderr)")
            }
        }
        // The main file pins a baseline; later the job pins its own and judges its newest run.
        #expect(try cli.run(["baseline", "set", "3", "--reason", "release 2.2"]).status == 0)
        #expect(
            try cli.run(["baseline", "set", "2", "--reason", "release 2.3", "--db", job]).status
                == 0)
        #expect(try cli.run(["check", "9", "--db", job]).status == 2)

        let merge = try cli.run(["merge", job, "--format", "json"])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(
            try SchemaValidator(named: "merge.schema.json").problems(inText: merge.stdout) == [])
        // The merged history, raw-stream and chaos runs among them, keeps the runs list contract.
        let list = try cli.run(["runs", "list", "--format", "json"]).stdout
        let listProblems = try SchemaValidator(named: "runs-list.schema.json").problems(
            inText: list)
        #expect(listProblems == [], "\(listProblems.prefix(5))")
        let source = try #require(
            (try Self.json(merge.stdout)["sources"] as? [[String: Any]])?.first)
        #expect(Self.number(source["runs_added"]) == 12)
        #expect(Self.number(source["runs_here_already"]) == 0)
        #expect(Self.number(source["baseline_entries_added"]) == 1)
        let added = try #require(source["runs"] as? [[String: Any]])
        #expect(added.map { Self.number($0["id"]) } == (10...21).map { $0 })
        #expect(added.map { Self.number($0["other_id"]) } == (1...12).map { $0 })

        // Every run reads as it does in the database that ingested them all.
        for arguments in [
            ["runs", "list", "--format", "csv"], ["runs", "show", "21", "--timeline"],
        ]
            + (1...21).map({ ["runs", "show", String($0), "--format", "json"] })
        {
            let merged = try cli.run(arguments)
            let reference = try cli.run(arguments + ["--db", direct])
            #expect(merged.status == 0, "\(arguments): \(merged.stderr)")
            #expect(merged.stdout == reference.stdout, "\(arguments)")
        }

        // The job's pin came later than the main file's, so it is in force, on the same run.
        let pin = try Self.json(
            try cli.run([
                "baseline", "show", "--scenario", "load", "--environment", "staging", "--format",
                "json",
            ]).stdout)
        let baseline = try #require(pin["baseline"] as? [String: Any])
        #expect(
            (baseline["pin"] as? [String: Any]).flatMap { Self.number($0["run_id"]) } == 11,
            "\(pin)")
        let history = try cli.run(["baseline", "history", "--format", "csv"]).stdout
        #expect(history.contains("release 2.2") && history.contains("release 2.3"))

        // The job's verdicts on its run 9 are run 18's here, their evidence pointing at the
        // same runs under their ids here.
        let sql = """
            SELECT s.name, v.statistic, v.verdict, v.value, v.evidence FROM verdict v
            LEFT JOIN series s ON s.id = v.series_id WHERE v.run_id = ? ORDER BY v.id
            """
        let there = try cli.run([
            "query", sql.replacingOccurrences(of: "?", with: "9"), "--db", job, "--format", "json",
        ])
        let here = try cli.run([
            "query", sql.replacingOccurrences(of: "?", with: "18"), "--format", "json",
        ])
        let theirs = try #require(
            try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [[String: Any]])
        let ours = try #require(
            try JSONSerialization.jsonObject(with: Data(here.stdout.utf8)) as? [[String: Any]])
        #expect(theirs.count == ours.count && ours.count > 50)
        var mappedRuns = 0
        for (their, our) in zip(theirs, ours) {
            for column in ["name", "statistic", "verdict", "value"] {
                #expect("\(their[column] ?? "-")" == "\(our[column] ?? "-")")
            }
            let theirEvidence = try Self.json(their["evidence"] as? String ?? "")
            let ourEvidence = try Self.json(our["evidence"] as? String ?? "")
            if let runs = theirEvidence["baseline_runs"] as? [NSNumber] {
                #expect(
                    runs.map { $0.intValue + 9 }
                        == (ourEvidence["baseline_runs"] as? [NSNumber])?.map(\.intValue))
                mappedRuns += runs.count
            }
            if let baseline = theirEvidence["baseline"] as? [String: Any] {
                let ourBaseline = try #require(ourEvidence["baseline"] as? [String: Any])
                #expect(
                    (baseline["runs"] as? [NSNumber])?.map { $0.intValue + 9 }
                        == (ourBaseline["runs"] as? [NSNumber])?.map(\.intValue))
                let theirPin = try #require(baseline["pin"] as? [String: Any])
                let ourPin = try #require(ourBaseline["pin"] as? [String: Any])
                #expect(Self.number(theirPin["run_id"]) == 2 && Self.number(ourPin["run_id"]) == 11)
                #expect(Self.number(theirPin["id"]) == 1 && Self.number(ourPin["id"]) == 2)
            }
        }
        #expect(mappedRuns > 0)
        #expect(try cli.run(["doctor"]).status == 0)
        #expect(try cli.run(["check", "18"]).status == 2)
    }

    @Test func mergingAgainAddsNothingAndOverlapIsRecognised() throws {
        let cli = try CLI()
        try Self.ingestDemo(cli, 1...6, into: cli.db)
        // A job starts from a copy of the main file, adds a run and invalidates an old one.
        let job = cli.directory.appending(path: "job.sqlite").path
        #expect(try cli.run(["backup", job]).status == 0)
        try Self.ingestDemo(cli, 7...7, into: job)
        #expect(
            try cli.run(["runs", "invalidate", "2", "--reason", "noisy host", "--db", job]).status
                == 0)

        let first = try Self.json(try cli.run(["merge", job, "--format", "json"]).stdout)
        let source = try #require((first["sources"] as? [[String: Any]])?.first)
        #expect(Self.number(source["runs_added"]) == 1)
        #expect(Self.number(source["runs_here_already"]) == 6)
        #expect(Self.number(source["invalidations_carried"]) == 1)
        let invalidated = try cli.run([
            "query", "SELECT id, invalidated_reason FROM run WHERE invalidated = 1", "--format",
            "csv",
        ])
        #expect(invalidated.stdout == "id,invalidated_reason\n2,noisy host\n")

        let before = try Self.fingerprint(cli, cli.db)
        let again = try cli.run(["merge", job])
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 runs added, 7 here already"), "\(again.stdout)")
        #expect(try Self.fingerprint(cli, cli.db) == before)
        // The other way round too: the job's file learns nothing new but run 7 stays.
        #expect(try cli.run(["merge", cli.db, "--db", job]).status == 0)
        #expect(try Self.fingerprint(cli, job) == before)
    }

    @Test func aFileOfAnEarlierSchemaMergesAndIsLeftAlone() throws {
        let cli = try CLI()
        let old = cli.directory.appending(path: "old.sqlite").path
        try FileManager.default.copyItem(
            atPath: CLI.fixture("databases", "schema-0001.sqlite"), toPath: old)
        let before = try Data(contentsOf: URL(fileURLWithPath: old))
        let merge = try cli.run(["merge", old])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("schema 0001_create_warehouse"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: old)) == before)
        let show = try Self.json(try cli.run(["runs", "show", "1", "--format", "json"]).stdout)
        let metrics = try #require(show["metrics"] as? [String: [String: Double]])
        #expect(metrics["http_req_duration{endpoint:reservations}"]?["p95"] == 48.25)
        #expect(try cli.run(["doctor"]).status == 0)
    }

    @Test func aRefusedMergeChangesNothing() throws {
        let cli = try CLI()
        try Self.ingestDemo(cli, 1...3, into: cli.db)
        let job = cli.directory.appending(path: "job.sqlite").path
        try Self.ingestDemo(cli, 4...5, into: job)
        let text = cli.directory.appending(path: "results.json").path
        try FileManager.default.copyItem(
            atPath: CLI.fixture("k6-summary-export", "load.json"), toPath: text)
        let link = cli.directory.appending(path: "link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: cli.db)
        let before = Self.bytes(cli.db)
        let cases: [([String], Int32, String)] = [
            (["missing.sqlite"], 66, "missing.sqlite: no such file"),
            ([cli.directory.path], 66, "is a directory"),
            ([text], 65, "results.json: not a perfdb database"),
            ([cli.db], 64, "is the database itself"),
            ([link], 64, "is the database itself"),
            ([job, "missing.sqlite"], 66, "missing.sqlite"),
        ]
        for (arguments, status, message) in cases {
            let result = try cli.run(["merge"] + arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(Self.bytes(cli.db) == before, "\(arguments)")
        }
        // A database that does not exist yet is not created for a merge that fails.
        let fresh = cli.directory.appending(path: "fresh.sqlite").path
        #expect(try cli.run(["merge", "missing.sqlite", "--db", fresh]).status == 66)
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }
}
