import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

/// Load runs made under a fault are tied to the chaos run they ran under.
///
/// The real k6 run and PMS experiment of Fixtures/k6-under-chaos are tied — by `--chaos-run`
/// or by time — shown in `runs show`, untied by `runs unlink`, and kept out of the normal
/// baseline and trends; `check` measures such a run but does not gate it. On both engines.
@Suite(.serialized) struct ChaosLinkTests {
    static let fixtures = "Tests/Fixtures/k6-under-chaos"
    static let chaos = CLI.root.appending(path: "\(fixtures)/pair-01.chaos.json").path
    static let stream = CLI.root.appending(path: "\(fixtures)/pair-01.k6.ndjson.gz").path
    static let summary = CLI.root.appending(path: "\(fixtures)/pair-01.k6.json").path
    static let scope = ["--scenario", "load", "--environment", "staging", "--branch", "main"]

    /// The stored id in an ingest note (`stored run 47 from …`).
    static func storedID(_ stderr: String) -> Int? {
        guard let range = stderr.range(of: "stored run ") else { return nil }
        return Int(stderr[range.upperBound...].prefix { $0.isNumber })
    }

    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    /// Stores the fixture's chaos run at 10:00 on 2026-11-19 in `environment`; its id.
    static func ingestChaosRun(_ cli: CLI, environment: String = "staging") throws -> Int {
        let chaos = try cli.run(
            [
                "ingest", "--environment", environment, "--started-at", "2026-11-19T10:00:00Z",
                Self.chaos,
            ])
        return try #require(Self.storedID(chaos.stderr), "\(chaos.stderr)")
    }

    /// The ids of the runs a check's baseline drew from.
    static func baselineRuns(_ cli: CLI, _ run: Int, environment: [String: String] = [:]) throws
        -> [Int]
    {
        let check = try cli.run(
            ["check", String(run), "--no-store", "--format", "json"], environment: environment)
        let runs = try json(check.stdout)["baseline"]?["runs"]?.arrayValue ?? []
        return runs.compactMap { $0.numberValue.map(Int.init) }
    }

    /// The fault pair ingested as CI would (chaos result, then the k6 stream that ran inside
    /// it), and a normal k6 run the next day; their ids.
    static func ingestPair(_ cli: CLI, environment: [String: String] = [:]) throws
        -> (chaos: Int, faulted: Int, normal: Int)
    {
        let chaos = try cli.run(
            [
                "ingest", "--environment", "staging", "--branch", "main", "--started-at",
                "2026-11-19T10:00:00Z", Self.chaos,
            ], environment: environment)
        #expect(chaos.status == 0, "\(chaos.stderr)")
        let faulted = try cli.run(
            ["ingest"] + scope + ["--started-at", "2026-11-19T10:00:00.903Z", Self.stream],
            environment: environment)
        #expect(faulted.status == 0, "\(faulted.stderr)")
        let normal = try cli.run(
            ["ingest"] + scope + ["--started-at", "2026-11-20T09:00:00Z", Self.summary],
            environment: environment)
        #expect(normal.status == 0, "\(normal.stderr)")
        let ids = (
            try #require(storedID(chaos.stderr)), try #require(storedID(faulted.stderr)),
            try #require(storedID(normal.stderr))
        )
        #expect(
            faulted.stderr.contains(
                "run \(ids.1) ran under chaos run \(ids.0) (PMS struggling: slow and failing 2 % "
                    + "of calls, then recovering), linked by time: kept out of the normal baseline")
        )
        #expect(!normal.stderr.contains("ran under chaos run"))
        return ids
    }

    static func linkAndExclusion(_ cli: CLI, environment: [String: String] = [:]) throws {
        let ids = try ingestPair(cli, environment: environment)
        let show = try json(
            try cli.run(
                ["runs", "show", String(ids.faulted), "--format", "json"], environment: environment
            )
            .stdout)
        #expect(show["under_chaos"]?["chaos_run_id"]?.numberValue == Double(ids.chaos))
        #expect(show["under_chaos"]?["linked_by"]?.stringValue == "time")

        // The run under fault is measured, not gated.
        let check = try cli.run(
            ["check", String(ids.faulted), "--no-store"], environment: environment)
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.hasPrefix("perfdb check: UNDER FAULT (chaos run \(ids.chaos)"))
        let checked = try cli.run(
            ["check", String(ids.faulted), "--no-store", "--format", "json"],
            environment: environment)
        #expect(
            try SchemaValidator(named: "check.schema.json").problems(inText: checked.stdout) == [])
        let judged = try json(checked.stdout)
        #expect(judged["verdict"]?.stringValue == "pass")
        #expect(judged["under_chaos"]?["chaos_run_id"]?.numberValue == Double(ids.chaos))
        #expect(judged["under_chaos"]?["linked_by"]?.stringValue == "time")
        let normal = try json(
            try cli.run(
                ["check", String(ids.normal), "--no-store", "--format", "json"],
                environment: environment
            ).stdout)
        #expect(normal["under_chaos"]?.isNull == true)

        // The next normal run is judged against normal runs only.
        let baseline = try baselineRuns(cli, ids.normal, environment: environment)
        #expect(!baseline.isEmpty)
        #expect(!baseline.contains(ids.faulted))
        let trend = try json(
            try cli.run(
                ["trend", "--series", "http_req_duration", "--stat", "p95", "--format", "json"],
                environment: environment
            ).stdout)
        let shown = (trend["points"]?.arrayValue ?? []).compactMap { $0["run_id"]?.numberValue }
        #expect(shown.contains(Double(ids.normal)))
        #expect(!shown.contains(Double(ids.faulted)))

        // Untied, it is a normal run again: the next run's baseline holds it.
        let unlink = try cli.run(["runs", "unlink", String(ids.faulted)], environment: environment)
        #expect(unlink.status == 0)
        #expect(unlink.stderr.contains("unlinked run \(ids.faulted) from chaos run \(ids.chaos)"))
        #expect(try baselineRuns(cli, ids.normal, environment: environment).contains(ids.faulted))
        let again = try cli.run(["runs", "unlink", String(ids.faulted)], environment: environment)
        #expect(again.status == 64)
    }

    @Test func aLoadRunWithinAChaosRunIsLinkedByTimeAndKeptOutOfTheBaseline() throws {
        let cli = try CLI.demo()
        try Self.linkAndExclusion(cli)
    }

    @Test func theSameOnPostgreSQL() throws {
        let server = try PostgresCommandTests.Server("chaos_link")
        try server.ingestDemo()
        let cli = try CLI()
        try Self.linkAndExclusion(cli, environment: server.environment)
        // Unlinked again: the demo's own six pairs (demo/chaos-load) stay linked.
        #expect(try server.count("chaos_link") == 6)
    }

    @Test func aChaosRunStoredAfterItsLoadRunLinksIt() throws {
        let cli = try CLI.demo()
        let faulted = try cli.run(
            ["ingest"] + Self.scope + ["--started-at", "2026-11-19T10:00:00.903Z", Self.stream])
        let id = try #require(Self.storedID(faulted.stderr))
        #expect(!faulted.stderr.contains("ran under"))
        let chaosID = try Self.ingestChaosRun(cli)
        let show = try Self.json(
            try cli.run(["runs", "show", String(id), "--format", "json"]).stdout)
        #expect(show["under_chaos"]?["chaos_run_id"]?.numberValue == Double(chaosID))
        // Another environment's experiment run holds nothing of staging's.
        let other = try CLI.demo()
        _ = try other.run(
            ["ingest"] + Self.scope + ["--started-at", "2026-11-19T10:00:00.903Z", Self.stream])
        _ = try Self.ingestChaosRun(other, environment: "production")
        let unlinked = try Self.json(
            try other.run(["runs", "show", String(id), "--format", "json"]).stdout)
        #expect(unlinked["under_chaos"] == nil)
    }

    @Test func chaosRunNamedByIdDigestOrExperimentAndRefusedWhenUnknown() throws {
        let cli = try CLI.demo()
        let chaosID = try Self.ingestChaosRun(cli)
        let before = try cli.run(["runs", "list", "--format", "json"]).stdout

        // Unknown: nothing stored, exit 66, one line naming the file.
        let unknown = try cli.run(
            ["ingest"] + Self.scope + ["--chaos-run", "no-such-experiment", Self.summary])
        #expect(unknown.status == 66)
        #expect(
            unknown.stderr.contains(
                "pair-01.k6.json: --chaos-run no-such-experiment: no stored chaos run"))
        #expect(try cli.run(["runs", "list", "--format", "json"]).stdout == before)
        let noLoad = try cli.run(["ingest", "--chaos-run", String(chaosID), Self.chaos])
        #expect(noLoad.status == 64)

        // By id, a day later than the experiment: linked because it was named.
        let byID = try cli.run(
            ["ingest"] + Self.scope
                + [
                    "--started-at", "2026-11-20T09:00:00Z", "--chaos-run", String(chaosID),
                    Self.summary,
                ])
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(byID.stderr.contains("ran under chaos run \(chaosID)"))
        #expect(byID.stderr.contains("linked by --chaos-run"))

        // By the experiment's name.
        let byName = try cli.run(
            ["ingest"] + Self.scope
                + [
                    "--started-at", "2026-11-19T10:00:00.903Z", "--chaos-run",
                    "PMS struggling: slow and failing 2 % of calls, then recovering", Self.stream,
                ])
        #expect(byName.stderr.contains("ran under chaos run \(chaosID)"))
        #expect(byName.stderr.contains("linked by --chaos-run"))
    }

    @Test func mergeAndBackupCarryTheLinks() throws {
        let job = try CLI.demo()
        let ids = try Self.ingestPair(job)
        // Into a file that holds none of the job's runs: the link follows both runs' new ids.
        let shared = try CLI()
        let merge = try shared.run(["merge", job.db])
        #expect(merge.status == 0, "\(merge.stderr)")
        // An empty file numbers the merged runs as the job did.
        let show = try Self.json(
            try shared.run(["runs", "show", String(ids.faulted), "--format", "json"]).stdout)
        #expect(show["started_at"]?.stringValue == "2026-11-19T10:00:00.903Z")
        #expect(show["under_chaos"]?["chaos_run_id"]?.numberValue == Double(ids.chaos))
        let chaos = try Self.json(
            try shared.run(["runs", "show", String(ids.chaos), "--format", "json"]).stdout)
        #expect(chaos["kind"]?.stringValue == "chaos")

        // Into PostgreSQL, and back into a new file.
        let server = try PostgresCommandTests.Server("chaos_link_merge")
        let toServer = try job.run(
            ["merge", job.db, "--db", server.url], environment: server.environment)
        #expect(toServer.status == 0, "\(toServer.stderr)")
        #expect(try server.count("chaos_link") == 1 + 6, "the pair and the demo's six")
        let copy = job.directory.appending(path: "copy.sqlite").path
        let backup = try job.run(
            ["backup", copy, "--db", server.url], environment: server.environment)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restored = try Self.json(
            try job.run(["runs", "show", String(ids.faulted), "--db", copy, "--format", "json"])
                .stdout)
        #expect(restored["under_chaos"]?["linked_by"]?.stringValue == "time")
    }
}
