import Foundation
import PerfDBTestSupport
import Testing

@Suite struct IngestCommandTests {
    let context = [
        "--scenario", "load", "--environment", "staging", "--branch", "main", "--commit",
        "4f1c2a9e0b7d6c5a4f1c2a9e0b7d6c5a4f1c2a9e", "--build", "1042", "--started-at",
        "2026-11-10T09:00:00Z",
    ]

    @Test func ingestsASummaryAndListsIt() throws {
        let cli = try CLI()
        let ingest = try cli.run(
            ["ingest", CLI.fixture("k6-summary-export", "load.json")] + context)
        #expect(ingest.status == 0)
        #expect(ingest.stdout.isEmpty)
        #expect(ingest.stderr.hasPrefix("stored run 1 from "))
        #expect(ingest.stderr.contains("status passed"))
        let list = try cli.run(["runs", "list"])
        #expect(list.status == 0)
        #expect(Snapshot.mismatch(list.stdout, named: "runs-list.txt") == nil)
    }

    @Test func runsListJSONKeepsItsContract() throws {
        let cli = try CLI()
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")] + context)
        try cli.run(
            [
                "ingest", CLI.fixture("k6-handle-summary", "thresholds-crossed.json"),
                "--started-at",
                "2026-11-11T09:00:00Z", "--exit-code", "99",
            ])
        let list = try cli.run(["runs", "list", "--format", "json"])
        #expect(list.status == 0)
        let runs = try #require(
            try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
        for key in [
            "id", "kind", "scenario", "environment", "branch", "commit", "build", "status",
            "started_at",
        ] {
            #expect(runs.allSatisfy { $0.keys.contains(key) }, "\(key) missing")
        }
        #expect(runs[0]["id"] as? Int == 2)
        #expect(runs[0]["status"] as? String == "failed")
        #expect(runs[0]["started_at"] as? String == "2026-11-11T09:00:00.000Z")
        #expect(runs[1]["commit"] as? String == "4f1c2a9e0b7d6c5a4f1c2a9e0b7d6c5a4f1c2a9e")
        #expect(runs[1]["build"] as? String == "1042")
        let filtered = try cli.run(["runs", "list", "--format", "json", "--since", "2026-11-11"])
        let recent =
            try JSONSerialization.jsonObject(with: Data(filtered.stdout.utf8)) as? [[String: Any]]
        #expect(recent?.count == 1)
    }

    @Test func runsShowJSONHasMetricsInK6Notation() throws {
        let cli = try CLI()
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")] + context)
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        #expect(show.status == 0)
        let run = try #require(
            try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(run["schemaVersion"] as? Int == 2)
        #expect(run["kind"] as? String == "load")
        let metrics = try #require(run["metrics"] as? [String: [String: Double]])
        let reservations = try #require(metrics["http_req_duration{endpoint:reservations}"])
        #expect(
            Set(reservations.keys) == ["avg", "min", "med", "max", "p90", "p95", "p99", "count"])
        #expect(metrics["http_req_failed"]?.keys.sorted() == ["fails", "passes", "rate"])
        #expect(metrics["http_reqs"]?.keys.sorted() == ["count", "rate"])
        // The source's numbers, unrounded.
        let source =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: URL(fileURLWithPath: CLI.fixture("k6-summary-export", "load.json")))
            ) as? [String: Any]
        let sourceMetrics = source?["metrics"] as? [String: [String: Any]]
        let p95 = sourceMetrics?["http_req_duration{endpoint:reservations}"]?["p(95)"] as? Double
        #expect(reservations["p95"] == p95)
        let thresholds = try #require(run["thresholds"] as? [[String: Any]])
        #expect(
            thresholds.contains {
                $0["series"] as? String == "http_req_duration"
                    && $0["expression"] as? String == "p(95)<3000" && $0["passed"] as? Bool == true
            })
        let checks = try #require(run["checks"] as? [[String: Any]])
        #expect(!checks.isEmpty)
    }

    @Test func runsShowRendersTableAndMarkdown() throws {
        let cli = try CLI()
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")] + context)
        let table = try cli.run(["runs", "show", "latest"])
        #expect(table.status == 0)
        #expect(Snapshot.mismatch(table.stdout, named: "runs-show-load.txt") == nil)
        let markdown = try cli.run(["runs", "show", "latest", "--format", "markdown"])
        #expect(Snapshot.mismatch(markdown.stdout, named: "runs-show-load.md") == nil)
    }

    @Test func theSameFileTwiceIsStoredOnce() throws {
        let cli = try CLI()
        let file = CLI.fixture("k6-summary-export", "smoke.json")
        try cli.run(["ingest", file])
        let again = try cli.run(["ingest", file])
        #expect(again.status == 0)
        #expect(again.stderr.contains("already stored as run 1"))
        let gzipped = cli.directory.appending(path: "smoke.json.gz").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(file)' > '\(gzipped)'"]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = try cli.run(["ingest", gzipped])
        #expect(compressed.stderr.contains("already stored as run 1"), "gzip of the same content")
        let replaced = try cli.run(["ingest", file, "--replace"])
        #expect(replaced.status == 0)
        #expect(replaced.stderr.hasPrefix("replaced run 1 with run 2"))
        let count = try cli.run(["query", "SELECT count(*) AS n FROM run", "--format", "csv"])
        #expect(count.stdout == "n\n1\n")
    }

    @Test func exitCodesMapToStatus() throws {
        let cli = try CLI()
        try cli.run([
            "ingest", CLI.fixture("k6-summary-export", "interrupted.json"), "--exit-code", "105",
        ])
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--exit-code", "0"])
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "thresholds-crossed.json")])
        let rows = try cli.run([
            "query", "SELECT source_file, status, exit_code FROM run ORDER BY id", "--format",
            "csv",
        ])
        #expect(
            rows.stdout
                == "source_file,status,exit_code\ninterrupted.json,aborted,105\nsmoke.json,passed,0\nthresholds-crossed.json,failed,\n"
        )
    }

    @Test func readsStandardInput() throws {
        let cli = try CLI()
        let data = try Data(
            contentsOf: URL(fileURLWithPath: CLI.fixture("k6-handle-summary", "smoke.json")))
        let result = try cli.run(
            ["ingest", "-", "--started-at", "2026-11-10T09:00:00Z"], stdin: data)
        #expect(result.status == 0)
        #expect(result.stderr.contains("stored run 1 from -"))
    }

    @Test func ciContextComesFromTheEnvironment() throws {
        let cli = try CLI()
        let env = [
            "GITHUB_ACTIONS": "true", "GITHUB_SHA": "a1b2c3", "GITHUB_REF": "refs/pull/77/merge",
            "GITHUB_HEAD_REF": "feature/faster-pms", "GITHUB_RUN_ID": "9001",
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "hotel/api",
        ]
        try cli.run(
            ["ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--commit", "fromflag"],
            environment: env)
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        let run = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect(run?["commit"] as? String == "fromflag")
        #expect(run?["branch"] as? String == "feature/faster-pms")
        #expect(run?["build"] as? String == "9001")
        #expect(run?["build_url"] as? String == "https://github.com/hotel/api/actions/runs/9001")
        #expect(run?["pull_request"] as? String == "77")
    }

    @Test func labelsAreStored() throws {
        let cli = try CLI()
        try cli.run([
            "ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--label", "region=eu-west",
            "--label", "team=booking",
        ])
        let show = try cli.run(["runs", "show", "1", "--format", "json"])
        let run = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect(run?["labels"] as? [String: String] == ["region": "eu-west", "team": "booking"])
    }

    @Test func concurrentIngestsAllSucceed() throws {
        let cli = try CLI()
        let source = try String(
            contentsOfFile: CLI.fixture("k6-summary-export", "smoke.json"), encoding: .utf8)
        var files: [String] = []
        for index in 0..<12 {
            let path = cli.directory.appending(path: "run-\(index).json").path
            // Distinct content (trailing white space) so each is its own run.
            try (source + String(repeating: " ", count: index + 1)).write(
                toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let results = ResultBox()
        let paths = files
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            let mine = [paths[worker * 2], paths[worker * 2 + 1]]
            let result = try? cli.run(["ingest"] + mine)
            results.append(result?.status ?? -1)
        }
        #expect(results.values == Array(repeating: 0, count: 6))
        let count = try cli.run(["query", "SELECT count(*) AS n FROM run", "--format", "csv"])
        #expect(count.stdout == "n\n12\n")
    }

    @Test func invalidateAndDelete() throws {
        let cli = try CLI()
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json")])
        try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")])
        let invalid = try cli.run([
            "runs", "invalidate", "1", "--reason", "load generator was saturated",
        ])
        #expect(invalid.status == 0)
        let noReason = try cli.run(["runs", "invalidate", "1"])
        #expect(noReason.status == 64)
        let rows = try cli.run([
            "query", "SELECT id, invalidated, invalidated_reason FROM run ORDER BY id", "--format",
            "csv",
        ])
        #expect(
            rows.stdout
                == "id,invalidated,invalidated_reason\n1,1,load generator was saturated\n2,0,\n")
        let deleted = try cli.run(["runs", "delete", "2"])
        #expect(deleted.status == 0)
        let missing = try cli.run(["runs", "show", "2"])
        #expect(missing.status == 66)
        let left = try cli.run([
            "query", "SELECT count(*) AS n FROM measurement WHERE run_id = 2", "--format", "csv",
        ])
        #expect(left.stdout == "n\n0\n")
    }
}

/// Collects results from concurrent workers.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int32] = []

    func append(_ value: Int32) {
        lock.lock()
        storage.append(value)
        lock.unlock()
    }

    var values: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
