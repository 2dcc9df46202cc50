import Foundation
import PerfDBTestSupport
import Testing

/// Raw k6 streams through the command line: ingest (file, gzip, stdin), timelines, bad lines,
/// and the gate comparing stored distributions.
@Suite struct StreamCommandTests {
    @Test func ndjsonIngestsAndShowsInK6Notation() throws {
        let cli = try CLI()
        let result = try cli.run([
            "ingest", CLI.fixture("k6-ndjson", "load.ndjson.gz"), "--scenario", "load",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("k6-ndjson"))
        #expect(result.stderr.contains("samples"))
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        let run = try #require(
            try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let metrics = try #require(run["metrics"] as? [String: [String: Double]])
        #expect(metrics["http_req_duration{endpoint:reservations}"]?["count"] == 262)
        #expect(run["labels"] as? [String: String] == ["testid": "fixture-load"])
        let timeline = try cli.run(["runs", "show", "1", "--timeline", "--format", "markdown"])
        #expect(timeline.status == 0)
        #expect(timeline.stdout.contains("xychart-beta"))
        #expect(timeline.stdout.contains("No sustained rise of p95"))
        let summary = try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")])
        #expect(summary.status == 0)
        let none = try cli.run(["runs", "show", "2", "--timeline"])
        #expect(none.status == 66)
    }

    @Test func thresholdsK6DidNotEvaluateShowAsSuch() throws {
        let cli = try CLI()
        let stream = CLI.fixture("k6-runs", "no-thresholds-1.1.0/stream.ndjson.gz")
        let result = try cli.run(["ingest", stream, "--exit-code", "0"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("3 thresholds (0 failed, 3 not evaluated)"))
        #expect(result.stderr.contains("status passed"))
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        let run = try #require(
            try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let thresholds = try #require(run["thresholds"] as? [[String: Any]])
        #expect(thresholds.count == 3)
        #expect(thresholds.allSatisfy { $0["passed"] is NSNull })
        #expect(try cli.run(["runs", "show", "1"]).stdout.contains("not evaluated"))
        let abort = try cli.run([
            "ingest", CLI.fixture("k6-runs", "abort-on-fail-0.57.0/stream.ndjson.gz"),
        ])
        #expect(abort.stderr.contains("status aborted"))
        #expect(
            try cli.run(["runs", "show", "2"]).stdout.contains("rate<0.01 (abortOnFail)  FAILED"))
    }

    @Test func metricTypesComeFromTheFlagAndTheConfiguration() throws {
        let cli = try CLI()
        let csv = CLI.fixture("k6-runs", "custom-metrics-1.1.0/stream-unix.csv.gz")
        try "ingest:\n  metric_types:\n    queue_depth: trend\n".write(
            to: cli.directory.appending(path: "perfdb.yml"), atomically: true, encoding: .utf8)
        let result = try cli.run(["ingest", csv, "--metric-type", "booking_ok=gauge"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("bookings_total as counter (every value 1)"))
        #expect(!result.stderr.contains("queue_depth as"))
        let types = try cli.run([
            "query",
            "SELECT name, metric_type FROM series WHERE name IN ('queue_depth', 'booking_ok') ORDER BY 1",
            "--format", "csv",
        ])
        #expect(types.stdout == "name,metric_type\nbooking_ok,gauge\nqueue_depth,trend\n")
        let bad = try cli.run(["ingest", csv, "--metric-type", "booking_ok=histogram"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("booking_ok=histogram"))
        try "ingest:\n  metric_typo: {}\n".write(
            to: cli.directory.appending(path: "perfdb.yml"), atomically: true, encoding: .utf8)
        let typo = try cli.run(["ingest", csv])
        #expect(typo.status == 65)
        #expect(typo.stderr.contains("ingest.metric_typo"))
    }

    @Test func droppedTagsMakeNoSeries() throws {
        let cli = try CLI()
        let result = try cli.run([
            "ingest", CLI.fixture("k6-ndjson", "smoke.ndjson.gz"), "--drop-tag", "endpoint",
        ])
        #expect(result.status == 0)
        let series = try cli.run([
            "query", "SELECT count(*) AS n FROM series WHERE name LIKE '%endpoint:%'", "--format",
            "csv",
        ])
        #expect(series.stdout == "n\n0\n")
    }

    @Test func aStreamStoredWithTheLegacyDigestIsRecognised() throws {
        // The schema-0002 fixture holds the smoke NDJSON (run 1) and CSV (run 2) under the
        // digests of an earlier perfdb.
        let cli = try CLI()
        try Data(CLI.gzip(["-dc", CLI.fixture("databases", "schema-0002.sqlite.gz")])).write(
            to: URL(fileURLWithPath: cli.db))
        let ndjson = try cli.run(["ingest", CLI.fixture("k6-ndjson", "smoke.ndjson.gz")])
        #expect(ndjson.status == 0, "\(ndjson.stderr)")
        #expect(ndjson.stderr.contains("already stored as run 1"))
        let csv = try cli.run(["ingest", CLI.fixture("k6-csv", "smoke.csv")])
        #expect(csv.stderr.contains("already stored as run 2"))
        // A new stream is stored under the digest that does not depend on the chunk size.
        let load = try cli.run(["ingest", CLI.fixture("k6-ndjson", "load.ndjson.gz")])
        #expect(load.stderr.contains("stored run 4"))
        let digest = try cli.run([
            "query", "SELECT content_digest FROM run WHERE id = 4", "--format", "csv",
        ])
        #expect(digest.stdout.contains("xxh64v2:"))
    }

    @Test func standardInputAndGzipAreTheSameStream() throws {
        let cli = try CLI()
        let gz = try Data(
            contentsOf: URL(fileURLWithPath: CLI.fixture("k6-ndjson", "smoke.ndjson.gz")))
        let first = try cli.run(["ingest", "-"], stdin: gz)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try cli.run(["ingest", CLI.fixture("k6-ndjson", "smoke.ndjson.gz")])
        #expect(again.stderr.contains("already stored as run 1"))
    }

    @Test func badLinesFailOrAreSkipped() throws {
        let cli = try CLI()
        let path = cli.directory.appending(path: "bad.ndjson").path
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        unzip.arguments = [
            "-c",
            "gzip -dc '\(CLI.fixture("k6-ndjson", "smoke.ndjson.gz"))' | sed '5s/.*/{oops/' > '\(path)'",
        ]
        try unzip.run()
        unzip.waitUntilExit()
        let failed = try cli.run(["ingest", path])
        #expect(failed.status == 65)
        #expect(failed.stderr.contains("line 5"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.db))
        let skipped = try cli.run(["ingest", path, "--skip-bad-lines"])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("1 bad lines skipped"))
        let stored = try cli.run(["query", "SELECT skipped_lines FROM run", "--format", "csv"])
        #expect(stored.stdout == "skipped_lines\n1\n")
    }

    @Test func theGateComparesStoredDistributions() throws {
        let cli = try CLI()
        let plain = cli.directory.appending(path: "load.ndjson").path
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        unzip.arguments = [
            "-c", "gzip -dc '\(CLI.fixture("k6-ndjson", "load.ndjson.gz"))' > '\(plain)'",
        ]
        try unzip.run()
        unzip.waitUntilExit()
        let text = try String(contentsOfFile: plain, encoding: .utf8)
        for day in 1...6 {
            // The same run six times (distinct content: trailing blank lines), one a day.
            let path = cli.directory.appending(path: "run-\(day).ndjson").path
            try (text + String(repeating: "\n", count: day)).write(
                toFile: path, atomically: true, encoding: .utf8)
            let result = try cli.run([
                "ingest", path, "--scenario", "load", "--branch", "main", "--started-at",
                "2026-11-1\(day)T09:00:00Z",
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let slow = try cli.run([
            "ingest", CLI.fixture("k6-ndjson", "thresholds-crossed.ndjson.gz"), "--scenario",
            "load", "--branch",
            "main", "--started-at", "2026-11-18T09:00:00Z",
        ])
        #expect(slow.status == 0)
        func reservations(_ run: Int) throws -> [String: Any] {
            let result = try cli.run(["check", String(run), "--format", "json", "--no-store"])
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let series = try #require(report["series"] as? [[String: Any]])
            return try #require(
                series.first {
                    $0["series"] as? String == "http_req_duration{endpoint:reservations}"
                        && $0["stat"] as? String == "med"
                })
        }
        let same = try reservations(6)
        #expect(same["verdict"] as? String == "ok")
        // The distributions are compared only where a verdict names a change.
        #expect(same["mann_whitney_p"] is NSNull)
        let regressed = try reservations(7)
        #expect(regressed["verdict"] as? String == "regression")
        #expect(((regressed["mann_whitney_p"] as? NSNumber)?.doubleValue ?? 1) < 1e-6)
        #expect(((regressed["superiority"] as? NSNumber)?.doubleValue ?? 0) > 0.9)
        #expect((regressed["method"] as? String ?? "").contains("Mann-Whitney"))
        // The median's own test: its 99 % intervals in the run and the baseline, apart.
        let interval = try #require(regressed["interval"] as? [NSNumber]).map(\.doubleValue)
        let baseline = try #require(regressed["baseline_interval"] as? [NSNumber])
            .map(\.doubleValue)
        #expect(interval.count == 2 && baseline.count == 2)
        #expect(interval[0] <= interval[1] && baseline[0] <= baseline[1])
        #expect(interval[0] > baseline[1], "\(interval) vs \(baseline)")
        #expect((regressed["reason"] as? String ?? "").contains("(apart)"))
        #expect(same["interval"] is NSNull || same["interval"] == nil)
        // trend merges the runs' stored distributions.
        let trend = try cli.run([
            "trend", "--series", "http_req_duration{endpoint:reservations}", "--scenario", "load",
            "--format", "json",
        ])
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(trend.stdout.utf8)) as? [String: Any])
        let merged = try #require(report["merged_distribution"] as? [String: Any])
        #expect((merged["runs"] as? NSNumber)?.intValue == 7)
        #expect(((merged["count"] as? NSNumber)?.intValue ?? 0) > 6 * 262)
    }
}

@Suite struct KillTests {
    /// A kill at any moment leaves no partial run: the file is read and checked before the
    /// database is touched, and stored in one transaction.
    @Test func aKilledIngestLeavesNoPartialRun() throws {
        let cli = try CLI()
        let path = cli.directory.appending(path: "big.ndjson").path
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/sh")
        build.arguments = [
            "-c",
            "for i in $(seq 40); do gzip -dc '\(CLI.fixture("k6-ndjson", "load.ndjson.gz"))'; done > '\(path)'",
        ]
        try build.run()
        build.waitUntilExit()
        #expect(
            try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json")]).status == 0)
        for delay in [0.05, 0.2, 0.5] {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["ingest", "--db", cli.db, "--quiet", path]
            process.environment = ["PATH": "/usr/bin:/bin"]
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let check = try cli.run([
                "query", "SELECT count(*) AS runs FROM run", "--format", "csv",
            ])
            let runs = check.stdout.split(separator: "\n").last.map(String.init) ?? ""
            // Either the kill came first (one run) or the ingest finished (two): never a half.
            #expect(runs == "1" || runs == "2", "after \(delay) s: \(check.stdout) \(check.stderr)")
            let integrity = try cli.run([
                "query",
                "SELECT count(*) AS orphans FROM measurement WHERE run_id NOT IN (SELECT id FROM run)",
                "--format", "csv",
            ])
            #expect(integrity.stdout == "orphans\n0\n")
        }
    }
}
