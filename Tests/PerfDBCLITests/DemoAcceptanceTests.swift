import Foundation
import PerfDBTestSupport
import Testing

/// The acceptance of the regression gate on the demo history: 18 real k6 runs, the
/// reservations endpoint 40 → 100 ms from run 12.
@Suite struct DemoAcceptanceTests {
    /// A copy of the demo database (built once per test process), as `make demo` makes it.
    static func demoDatabase() throws -> CLI { try CLI.demo() }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theGateIsQuietOnStableRunsAndRedOnEveryRegressedRun() throws {
        let cli = try Self.demoDatabase()
        for run in 1...18 {
            let result = try cli.run(["check", String(run), "--format", "json"])
            let report = try Self.json(result.stdout)
            let series = try #require(report["series"] as? [[String: Any]])
            let flagged = series.filter {
                ["regression", "warning", "improved"].contains($0["verdict"] as? String ?? "")
            }
            switch run {
            case 1...5:
                // Fewer than five earlier runs: not enough to judge.
                #expect(result.status == 3, "run \(run)")
                #expect(report["verdict"] as? String == "insufficient-data")
            case 6...11:
                #expect(
                    result.status == 0,
                    "run \(run): \(flagged.map { "\($0["series"] ?? "") \($0["stat"] ?? "")" })")
                #expect(report["verdict"] as? String == "pass")
                #expect(flagged.isEmpty, "run \(run) flags \(flagged.count) series")
            default:
                #expect(result.status == 2, "run \(run)")
                #expect(report["verdict"] as? String == "regression")
                let reservations = series.filter {
                    $0["series"] as? String == "http_req_duration{endpoint:reservations}"
                }
                for stat in ["avg", "med", "p90", "p95"] {
                    #expect(
                        reservations.contains {
                            $0["stat"] as? String == stat
                                && $0["verdict"] as? String == "regression"
                        },
                        "run \(run) \(stat)")
                }
                // Only the reservations path regressed: the other endpoints stay ok.
                let otherEndpoints = series.filter {
                    let name = $0["series"] as? String ?? ""
                    return name.contains("{endpoint:") && !name.contains("reservations")
                }
                #expect(!otherEndpoints.isEmpty)
                #expect(
                    otherEndpoints.allSatisfy { $0["verdict"] as? String == "ok" }, "run \(run)")
                let baseline = try #require(report["baseline"] as? [String: Any])
                let runs = try #require(baseline["runs"] as? [Int])
                #expect(runs.allSatisfy { $0 < 12 }, "run \(run) baseline \(runs)")
            }
            if run == 12 {
                let points = try #require(report["change_points"] as? [[String: Any]])
                #expect(
                    points.contains {
                        $0["series"] as? String == "http_req_duration{endpoint:reservations}"
                            && $0["stat"] as? String == "p95" && $0["run_id"] as? Int == 12
                            && $0["direction"] as? String == "regression"
                    })
            }
        }
        let stored = try cli.run([
            "query",
            "SELECT count(*) AS n FROM verdict WHERE verdict = 'regression' AND series_id IS NOT NULL AND run_id < 12",
            "--format", "csv",
        ])
        #expect(stored.stdout == "n\n0\n")
        // The change point of the trend lands on run 12.
        let trend = try Self.json(
            try cli.run([
                "trend", "--series", "http_req_duration{endpoint:reservations}", "--stat", "p95",
                "--format", "json",
            ]).stdout)
        let points = try #require(trend["change_points"] as? [[String: Any]])
        #expect(points.map { $0["run_id"] as? Int } == [12])
        // Accepting the new level lets the baseline restart from it.
        #expect(
            try cli.run(["accept", "12", "--reason", "reservations now call the PMS", "--by", "ci"])
                .status == 0)
        let after = try cli.run(["check", "18", "--format", "json"])
        #expect(after.status == 0, "\(after.stdout.prefix(400))")
        let history = try cli.run(["baseline", "history", "--format", "json"])
        #expect(history.stdout.contains("reservations now call the PMS"))
    }

    @Test func aPinnedRunIsTheBaseline() throws {
        let cli = try Self.demoDatabase()
        #expect(
            try cli.run(["baseline", "set", "8", "--reason", "release 2.3 accepted", "--by", "qa"])
                .status == 0)
        let stable = try cli.run(["check", "10", "--format", "json"])
        let report = try Self.json(stable.stdout)
        let baseline = try #require(report["baseline"] as? [String: Any])
        #expect(baseline["kind"] as? String == "pinned-run")
        #expect(baseline["runs"] as? [Int] == [8])
        let regressed = try cli.run(["check", "15", "--format", "json"])
        #expect(regressed.status == 2)
        #expect(
            try cli.run(["baseline", "set", "9", "--window", "5", "--reason", "wider"]).status == 0)
        let log = try Self.jsonArray(
            try cli.run(["baseline", "history", "--format", "json"]).stdout)
        #expect(log.count == 2)
        #expect(log[1]["superseded_by"] as? Int == log[0]["id"] as? Int)
        let window = try Self.json(try cli.run(["check", "10", "--format", "json"]).stdout)
        #expect((window["baseline"] as? [String: Any])?["runs"] as? [Int] == [5, 6, 7, 8, 9])
    }

    static func jsonArray(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    @Test func driftFlagsTheRegressedEndpointAndCanGate() throws {
        let cli = try Self.demoDatabase()
        let drift = try cli.run(["baseline", "drift", "--format", "json"])
        #expect(drift.status == 0)
        let report = try Self.json(drift.stdout)
        let series = try #require(report["series"] as? [[String: Any]])
        let reservations = try #require(
            series.first {
                $0["series"] as? String == "http_req_duration{endpoint:reservations}"
                    && $0["stat"] as? String == "p95"
            })
        #expect(reservations["drifted"] as? Bool == true)
        let health = try #require(
            series.first {
                $0["series"] as? String == "http_req_duration{endpoint:health}"
                    && $0["stat"] as? String == "p95"
            })
        #expect(health["drifted"] as? Bool == false)
        #expect(health["creeping"] as? Bool == false)
        #expect(try cli.run(["baseline", "drift", "--fail-on", "drift"]).status == 2)
    }

    @Test func checkRendersForPullRequestsAndJUnit() throws {
        let cli = try Self.demoDatabase()
        let markdown = try cli.run(["check", "12", "--format", "markdown", "--no-store"])
        #expect(markdown.status == 2)
        #expect(
            markdown.stdout.hasPrefix("<!-- perfdb:check scenario=load environment=staging -->"))
        #expect(markdown.stdout.contains("**perfdb check: FAIL (23 series regressed) — run 12"))
        #expect(Snapshot.mismatch(markdown.stdout, named: "check-run-12.md") == nil)
        let junit = try cli.run(["check", "12", "--format", "junit", "--no-store"])
        #expect(junit.stdout.contains("<failure type=\"regression\""))
        #expect(Snapshot.mismatch(junit.stdout, named: "check-run-12.junit.xml") == nil)
        let trend = try cli.run([
            "trend", "--metric", "http_req_duration", "--tag", "endpoint=reservations", "--format",
            "markdown",
        ])
        #expect(trend.stdout.contains("xychart-beta"))
        #expect(Snapshot.mismatch(trend.stdout, named: "trend-reservations.md") == nil)
    }

    @Test func sloChecksExitLikeTheValidator() throws {
        let cli = try CLI()
        for (index, (file, status)) in [
            ("load.json", 0), ("slow-warning.json", 1), ("thresholds-crossed.json", 2),
        ].enumerated() {
            try cli.run(["ingest", CLI.fixture("k6-summary-export", file), "--scenario", file])
            let result = try cli.run(["slo", "check", String(index + 1), "--format", "json"])
            #expect(result.status == Int32(status), "\(file): \(result.stdout.prefix(300))")
            // perfdb agrees with the team's validator on the same run.
            let ours = try Self.json(result.stdout)
            let validator = try Self.json(
                try String(contentsOfFile: CLI.fixture("slo-report", file), encoding: .utf8))
            #expect(
                ours["overall_status"] as? String == validator["overall_status"] as? String,
                "\(file)")
        }
    }
}
