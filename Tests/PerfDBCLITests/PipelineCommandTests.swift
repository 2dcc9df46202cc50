import Foundation
import PerfDBTestSupport
import Testing

/// perfdb in a CI job: the run a job stored is the run it judges, pull requests are judged
/// against their base branch, and one judgement writes every output a job uses.
@Suite struct PipelineCommandTests {
    /// A GitHub Actions pull-request job: the event file names the head commit, branch, number
    /// and base branch; GITHUB_SHA is the test-merge commit.
    static func pullRequestEnvironment(_ cli: CLI, head: String) throws -> [String: String] {
        let event = cli.directory.appending(path: "event.json")
        try Data(
            """
            {"pull_request": {"number": 7, "head": {"sha": "\(head)", "ref": "feature/cache"},
             "base": {"ref": "main"}}, "repository": {"default_branch": "main"}}
            """.utf8
        ).write(to: event)
        return [
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": event.path, "GITHUB_SHA": String(repeating: "e", count: 40),
            "GITHUB_REF": "refs/pull/7/merge", "GITHUB_HEAD_REF": "feature/cache",
            "GITHUB_BASE_REF": "main", "GITHUB_RUN_ID": "901",
            "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "team/api",
            "PERFDB_SCENARIO": "load", "PERFDB_ENVIRONMENT": "staging",
        ]
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func checkJudgesTheNewestRunOfItsOwnScopeAndCommit() throws {
        let cli = try CLI.demo()
        // A smoke job stores a run after the load history's newest.
        try cli.run([
            "ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--scenario", "smoke",
            "--environment", "staging", "--branch", "main", "--started-at",
            "2026-11-19T09:00:00Z",
        ])
        let load = try cli.run(["check", "--scenario", "load", "--format", "json", "--no-store"])
        #expect(load.status == 2)
        #expect((try Self.json(load.stdout)["run"] as? [String: Any])?["id"] as? Int == 18)
        // The scenario from the job's variables: the smoke run, with no history of its own.
        let smoke = try cli.run(
            ["check", "--format", "json", "--no-store"], environment: ["PERFDB_SCENARIO": "smoke"])
        #expect(smoke.status == 3)
        #expect((try Self.json(smoke.stdout)["run"] as? [String: Any])?["id"] as? Int == 59)
        // An older commit by prefix; a commit nobody stored is exit 66, naming what was asked.
        let older = try cli.run(["check", "--commit", "9d9d80a4", "--format", "json", "--no-store"])
        #expect((try Self.json(older.stdout)["run"] as? [String: Any])?["id"] as? Int == 12)
        let missing = try cli.run(["check", "--scenario", "load", "--commit", "0123456789abc"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no load run of scenario load, commit 0123456789abc"))
    }

    @Test func aPullRequestRunIsItsHeadCommitJudgedAgainstTheBaseBranch() throws {
        let cli = try CLI.demo()
        let head = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
        let environment = try Self.pullRequestEnvironment(cli, head: head)
        let ingest = try cli.run(
            [
                "ingest", CLI.fixture("k6-summary-export", "load.json"), "--output-format",
                "json", "--started-at", "2026-11-19T09:00:00Z",
            ], environment: environment)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let stored = try #require((try Self.json(ingest.stdout)["runs"] as? [[String: Any]])?.first)
        #expect(stored["commit"] as? String == head)
        #expect(stored["branch"] as? String == "feature/cache")
        #expect(stored["pull_request"] as? String == "7")
        #expect(stored["new"] as? Bool == true)
        #expect(stored["branch_assumed"] as? Bool == false)
        let problems = try SchemaValidator(named: "ingest.schema.json").problems(
            inText: ingest.stdout)
        #expect(problems.isEmpty, "\(problems)")

        let check = try cli.run(
            ["check", "--format", "json", "--no-store", "--no-step-summary"],
            environment: environment)
        let report = try Self.json(check.stdout)
        #expect((report["run"] as? [String: Any])?["id"] as? Int == 59)
        #expect((report["scope"] as? [String: Any])?["branch"] as? String == "main")
        // At the merge-base commit's run (run 10) the baseline ends there.
        let atBase = try cli.run(
            [
                "check", "--merge-base", "6faa6766", "--format", "markdown", "--no-store",
                "--no-step-summary",
            ], environment: environment)
        #expect(atBase.stdout.contains("up to run 10, of the merge-base commit 6faa67662ec9"))
    }

    @Test func aRunWithoutABranchCountsAsTheBaseBranchAndSaysSo() throws {
        let cli = try CLI()
        for day in 10...16 {
            let result = try cli.run([
                "ingest", CLI.fixture("k6-summary-export", "load.json"), "--scenario", "load",
                "--started-at", "2026-11-\(day)T09:00:00Z", "--replace",
            ])
            #expect(result.stderr.contains("counts as the base branch main"))
        }
        let trend = try cli.run(["trend", "--series", "http_req_duration", "--scenario", "load"])
        #expect(trend.status == 0, "\(trend.stderr)")
        #expect(trend.stdout.contains("branch main"))
    }

    @Test func oneJudgementWritesEveryOutputAJobUses() throws {
        let cli = try CLI.demo()
        let summary = cli.directory.appending(path: "step-summary.md")
        try Data("# Earlier step\n".utf8).write(to: summary)
        let result = try cli.run(
            [
                "check", "--scenario", "load", "--markdown", "comment.md", "--junit",
                "junit.xml", "--json", "check.json", "--no-store",
            ],
            environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary.path])
        #expect(result.status == 2)
        #expect(result.stdout.hasPrefix("perfdb check: FAIL (26 series regressed)"))
        let comment = try String(
            contentsOf: cli.directory.appending(path: "comment.md"), encoding: .utf8)
        #expect(comment.hasPrefix("<!-- perfdb:check scenario=load environment=staging -->\n"))
        #expect(comment.contains("**perfdb check: FAIL (26 series regressed)"))
        let junit = try String(
            contentsOf: cli.directory.appending(path: "junit.xml"), encoding: .utf8)
        #expect(junit.contains("<failure type=\"regression\""))
        let json = try Self.json(
            try String(contentsOf: cli.directory.appending(path: "check.json"), encoding: .utf8))
        #expect(json["verdict"] as? String == "regression")
        let step = try String(contentsOf: summary, encoding: .utf8)
        #expect(step.hasPrefix("# Earlier step\n<!-- perfdb:check"))
        // Annotations for the job page, on standard error.
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("::error title=") }
        #expect(errors.count == 26)
        #expect(errors.contains { $0.contains("title=perfdb regression%3A http_req_duration") })
    }

    @Test func markdownFitsItsLimitWithoutCuttingARow() throws {
        let cli = try CLI()
        try cli.run([
            "ingest", CLI.fixture("k6-ndjson", "load.ndjson.gz"), "--scenario", "soak",
        ])
        let full = try cli.run([
            "check", "--format", "markdown", "--no-store", "--max-chars", "1000000",
        ])
        #expect(full.stdout.count > 100_000)
        let fitted = try cli.run(["check", "--format", "markdown", "--no-store"])
        #expect(fitted.stdout.count <= 65_000)
        #expect(fitted.stdout.contains("**perfdb check: INSUFFICIENT DATA"))
        #expect(fitted.stdout.contains("more rows not shown here (size limit)"))
        // Every table line is whole: it starts and ends with a pipe.
        for line in fitted.stdout.split(separator: "\n") where line.hasPrefix("|") {
            #expect(line.hasSuffix("|"))
        }
        let small = try cli.run(
            ["check", "--format", "markdown", "--no-store", "--max-chars", "5000"])
        #expect(small.stdout.count <= 5_000)
    }

    @Test func sloCheckAndChaosTrendWriteJUnitAndNameTheirCause() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let slo = try cli.run([
            "slo", "check", "--scenario", "load", "--junit", "slo.xml", "--no-store",
        ])
        #expect(slo.status == 0)
        #expect(slo.stdout.contains("SLOs from "))
        let sloJUnit = try String(
            contentsOf: cli.directory.appending(path: "slo.xml"), encoding: .utf8)
        #expect(sloJUnit.contains("tests=\"6\" failures=\"0\""))
        let chaos = try cli.run(["chaos", "trend", "--junit", "chaos.xml"])
        #expect(chaos.status == 2)
        #expect(chaos.stdout.contains("perfdb chaos trend: FAIL (3 targets missed, 4 regressed)"))
        #expect(chaos.stdout.contains("missed-target"))
        let chaosJUnit = try String(
            contentsOf: cli.directory.appending(path: "chaos.xml"), encoding: .utf8)
        #expect(chaosJUnit.contains("<failure type=\"missed-target\""))
        // Without the team's file the built-in SLOs hold: generic, and no throughput target.
        try FileManager.default.removeItem(at: cli.directory.appending(path: "perfdb.yml"))
        let defaults = try cli.run(["slo", "check", "18", "--no-store"])
        #expect(defaults.stdout.contains("SLOs: the built-in defaults"))
        #expect(!defaults.stdout.contains("Throughput"))
    }

    @Test func globalFlagsComeBeforeOrAfterTheSubcommand() throws {
        let cli = try CLI.demo()
        let before = try cli.run(
            ["--db", cli.db, "runs", "list", "--last", "2"], environment: ["PERFDB_DB": ""])
        let after = try cli.run(
            ["runs", "list", "--last", "2", "--db", cli.db], environment: ["PERFDB_DB": ""])
        #expect(before.status == 0)
        #expect(before.stdout == after.stdout)
        #expect(before.stdout.split(separator: "\n").count == 4)
        let version = try cli.run(["--version"])
        #expect(version.stdout.hasPrefix("perfdb 0.1.0 (commit "))
        // The schema is the newest migration's.
        let newest = try FileManager.default.contentsOfDirectory(
            atPath: CLI.root.appending(path: "migrations/sqlite").path
        ).filter { $0.hasSuffix(".sql") }.sorted().last
        let schema = try #require(newest).replacingOccurrences(of: ".sql", with: "")
        #expect(version.stdout.contains(", schema \(schema), "), "\(version.stdout)")
        #expect(version.stdout.contains(", SQLite 3."))
        // The input format has its own name; the earlier one still works, unlisted.
        let named = try cli.run([
            "ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--input-format",
            "k6-summary-export", "--output-format", "json",
        ])
        #expect(named.status == 0)
        let old = try cli.run([
            "ingest", CLI.fixture("k6-summary-export", "smoke.json"), "--format",
            "k6-summary-export", "--output-format", "json",
        ])
        #expect(old.stdout.contains("\"new\": false"))
        let help = try cli.run(["ingest", "--help"])
        #expect(help.stdout.contains("--input-format"))
        #expect(!help.stdout.contains("--format <"))
        let failOn = try cli.run(["check", "--fail-on", "ok"])
        #expect(failOn.status == 64)
        #expect(failOn.stderr.contains("'warning'"))
    }

    @Test func gateStoresThenJudgesThatRun() throws {
        let cli = try CLI.demo()
        let gate = try cli.run([
            "gate", CLI.fixture("k6-summary-export", "load.json"), "--scenario", "load",
            "--environment", "staging", "--branch", "main", "--started-at",
            "2026-11-19T09:00:00Z", "--format", "json", "--no-store",
        ])
        #expect([0, 1, 2].contains(gate.status), "\(gate.stderr)")
        #expect((try Self.json(gate.stdout)["run"] as? [String: Any])?["id"] as? Int == 59)
        let two = try cli.run([
            "gate", CLI.fixture("k6-summary-export", "load.json"),
            CLI.fixture("k6-summary-export", "smoke.json"),
        ])
        #expect(two.status == 64)
        #expect(two.stderr.contains("gate judges one load run: the files hold 2"))
        let runs = try cli.run(["runs", "list", "--format", "json"])
        #expect(runs.stdout.components(separatedBy: "\"id\":").count - 1 == 59)
    }
}
