import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

/// `perfdb chaos impact` on the real pair of Fixtures/k6-under-chaos: its figures against ones
/// computed here from the fixture and the baseline runs' stored values, and the degradation
/// window against the fault's real timing (k6 saw it from +1.6 s to +6.6 s of its run).
@Suite struct ChaosImpactTests {
    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    @Test func figuresAgainstTheNormalBaselineComputedByHand() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let chaosID = try ChaosLinkTests.ingestChaosRun(cli)
        let stream = try cli.run(
            ["ingest"] + ChaosLinkTests.scope
                + ["--started-at", "2026-11-19T10:00:00.903Z", ChaosLinkTests.stream])
        // The summary export of the same k6 run, tied to the chaos run by its id.
        let summary = try cli.run(
            ["ingest"] + ChaosLinkTests.scope
                + [
                    "--started-at", "2026-11-19T10:00:00.903Z", "--chaos-run", String(chaosID),
                    ChaosLinkTests.summary,
                ])
        #expect(summary.status == 0, "\(summary.stderr)")
        let ids = (
            chaos: chaosID, faulted: try #require(ChaosLinkTests.storedID(stream.stderr))
        )
        let summaryID = try #require(ChaosLinkTests.storedID(summary.stderr))

        let impact = try cli.run(["chaos", "impact", String(ids.chaos), "--format", "json"])
        #expect(impact.status == 0, "\(impact.stderr)")
        #expect(
            try SchemaValidator(named: "chaos-impact.schema.json").problems(inText: impact.stdout)
                == [])
        let document = try Self.json(impact.stdout)
        let only = try #require(document["impacts"]?.arrayValue?.first)
        #expect(only["chaos"]?["run_id"]?.numberValue == Double(ids.chaos))
        #expect(only["chaos"]?["mttr_s"]?.numberValue == 2.058)
        let loads = try #require(only["loads"]?.arrayValue)
        #expect(
            loads.compactMap { $0["run"]?["id"]?.numberValue } == [
                Double(ids.faulted), Double(summaryID),
            ])
        let load = try #require(loads.last)

        // The run's own figures, from the fixture file.
        let file =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: ChaosLinkTests.summary)))
            as? [String: Any]
        let metrics = try #require(file?["metrics"] as? [String: [String: Any]])
        let p95 = try #require(metrics["http_req_duration"]?["p(95)"] as? Double)
        let failed = try #require(metrics["http_req_failed"]?["value"] as? Double)
        let rate = try #require(metrics["http_reqs"]?["rate"] as? Double)

        // The baseline: the median of the listed normal runs' stored values.
        let baselineRuns = (load["baseline_runs"]?.arrayValue ?? []).compactMap(\.numberValue)
        #expect(baselineRuns.count == 10)
        #expect(!baselineRuns.contains(Double(ids.faulted)))
        var p95s: [Double] = []
        var failures: [Double] = []
        var rates: [Double] = []
        for run in baselineRuns {
            let show = try Self.json(
                try cli.run(["runs", "show", String(Int(run)), "--format", "json"]).stdout)
            #expect(show["under_chaos"] == nil)
            p95s.append(try #require(show["metrics"]?["http_req_duration"]?["p95"]?.numberValue))
            failures.append(try #require(show["metrics"]?["http_req_failed"]?["rate"]?.numberValue))
            rates.append(try #require(show["metrics"]?["http_reqs"]?["rate"]?.numberValue))
        }
        let normalP95 = Self.median(p95s)
        #expect(load["p95"]?["value"]?.numberValue == p95)
        #expect(abs((load["p95"]?["baseline"]?.numberValue ?? 0) - normalP95) < 1e-9)
        #expect(abs((load["p95"]?["ratio"]?.numberValue ?? 0) - p95 / normalP95) < 1e-9)
        let points = failed * 100 - Self.median(failures) * 100
        #expect(abs((load["error_rate_pct"]?["change"]?.numberValue ?? .nan) - points) < 1e-9)
        let throughput = (rate / Self.median(rates) - 1) * 100
        #expect(abs((load["throughput"]?["change"]?.numberValue ?? .nan) - throughput) < 1e-9)
        // A summary export has no timeline.
        #expect(load["degradation"] == nil || load["degradation"]?.isNull == true)
        #expect(load["slo"]?["overall_status"]?.stringValue != nil)
    }

    @Test func theStreamsDegradationWindowMatchesTheFaultsRealTiming() throws {
        let cli = try CLI.demo()
        let chaosID = try ChaosLinkTests.ingestChaosRun(cli)
        let stream = try cli.run(
            ["ingest"] + ChaosLinkTests.scope
                + [
                    "--started-at", "2026-11-19T10:00:00.903Z", "--bucket", "1",
                    ChaosLinkTests.stream,
                ])
        #expect(stream.status == 0, "\(stream.stderr)")
        let impact = try Self.json(
            try cli.run(["chaos", "impact", "--format", "json"]).stdout)
        let first = try #require(impact["impacts"]?.arrayValue?.first)
        #expect(first["chaos"]?["run_id"]?.numberValue == Double(chaosID))
        let degradation = try #require(first["loads"]?.arrayValue?.first?["degradation"])
        #expect(degradation["bucket_s"]?.numberValue == 1)
        #expect(degradation["recovered"]?.boolValue == true)
        let start = try #require(degradation["start_s"]?.numberValue)
        let back = try #require(degradation["p95_back_s"]?.numberValue)
        #expect((0...3).contains(start), "degraded from \(start) s")
        #expect((5...9).contains(back), "p95 back at \(back) s")
        let table = try cli.run(["chaos", "impact", String(chaosID)])
        #expect(
            table.stdout.hasPrefix(
                "perfdb chaos impact: 1 experiment run with 1 load run under fault"))
    }

    @Test func anUnknownChaosRunIsNotFound() throws {
        let cli = try CLI.demo()
        let missing = try cli.run(["chaos", "impact", "1"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("run 1 is not a stored chaos run"))
    }

    static let pms = "PMS struggling: slow and failing 2 % of calls, then recovering"

    /// The demo's six pairs (demo/chaos-load): the chaos runs oldest first, each with what
    /// `chaos impact` says of its load run.
    static func demoPairs(_ cli: CLI) throws -> [(chaos: Int64, load: JSONValue)] {
        let impact = try Self.json(
            try cli.run(["chaos", "impact", "--experiment", pms, "--format", "json"]).stdout)
        return try (impact["impacts"]?.arrayValue ?? []).map { one in
            (
                Int64(try #require(one["chaos"]?["run_id"]?.numberValue)),
                try #require(one["loads"]?.arrayValue?.first)
            )
        }.sorted { $0.chaos < $1.chaos }
    }

    @Test func theDemoPairsGrowingDegradationFailsTheResilienceGate() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let pairs = try Self.demoPairs(cli)
        #expect(pairs.count == 6)
        let trend = try cli.run(["chaos", "impact", "--trend", Self.pms, "--format", "json"])
        #expect(trend.status == 2, "\(trend.stderr)")
        #expect(
            try SchemaValidator(named: "chaos-impact-trend.schema.json").problems(
                inText: trend.stdout) == [])
        let document = try Self.json(trend.stdout)
        #expect(document["verdict"]?.stringValue == "fail")
        let runs = try #require(document["runs"]?.arrayValue)
        #expect(
            runs.compactMap { $0["chaos"]?["run_id"]?.numberValue }
                == pairs.map { Double($0.chaos) })
        // Each run's figures are its load run's impact.
        for (run, pair) in zip(runs, pairs) {
            #expect(
                run["degraded_s"]?.numberValue == pair.load["degradation"]?["window_s"]?.numberValue
            )
            #expect(run["p95_ratio"]?.numberValue == pair.load["p95"]?["ratio"]?.numberValue)
            #expect(
                run["error_rate_pct"]?.numberValue
                    == pair.load["error_rate_pct"]?["value"]?.numberValue)
        }
        let figures = Dictionary(
            (document["figures"]?.arrayValue ?? []).compactMap { figure in
                figure["figure"]?.stringValue.map { ($0, figure) }
            }, uniquingKeysWith: { one, _ in one })
        // The window under the fault grew from the fourth pair on (the server's slower
        // recovery), past the demo's 15 s budget; the fault's own latency did not change.
        let degraded = try #require(figures["load_degraded_s"])
        #expect(degraded["verdict"]?.stringValue == "regression")
        #expect(degraded["regressed_since_run"]?.numberValue == Double(pairs[3].chaos))
        #expect(degraded["target"]?.numberValue == 15)
        #expect(degraded["meets_target"]?.boolValue == false)
        #expect(figures["load_p95_ratio"]?["verdict"]?.stringValue == "ok")
        #expect(figures["load_p95_ratio"]?["meets_target"]?.boolValue == true)
        #expect(figures["load_error_rate_pct"]?["meets_target"]?.boolValue == true)

        // The chaos gate says the same, beside the experiment's own MTTR.
        let gate = try cli.run(["chaos", "trend", "--experiment", Self.pms, "--format", "json"])
        #expect(gate.status == 2)
        let experiment = try #require(Self.json(gate.stdout)["experiments"]?.arrayValue?.first)
        let judged = (experiment["figures"]?.arrayValue ?? []).filter {
            $0["figure"]?.stringValue == "load_degraded_s"
        }
        #expect(judged.first?["verdict"]?.stringValue == "regression")
        #expect(
            try SchemaValidator(named: "chaos-trend.schema.json").problems(inText: gate.stdout)
                == [])
    }

    @Test func theResilienceGatePassesBeforeTheGrowthAndFailsOnABudgetAlone() throws {
        let cli = try CLI.demo()
        let pairs = try Self.demoPairs(cli)
        // Back to the three pairs before the server's recovery slowed down.
        for pair in pairs.suffix(3) {
            let load = Int64(try #require(pair.load["run"]?["id"]?.numberValue))
            #expect(try cli.run(["runs", "delete", "--quiet", String(load)]).status == 0)
            #expect(try cli.run(["runs", "delete", "--quiet", String(pair.chaos)]).status == 0)
        }
        let windows = try pairs.prefix(3).map {
            try #require($0.load["degradation"]?["window_s"]?.numberValue)
        }
        let budget = { (seconds: Double) in
            "chaos:\n  budgets:\n    pms:\n      degraded_s: \(seconds)\n"
        }
        try budget((windows.max() ?? 0) + 1).write(
            to: cli.directory.appending(path: "perfdb.yml"), atomically: true, encoding: .utf8)
        let pass = try cli.run(["chaos", "impact", "--trend", Self.pms])
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.contains("perfdb chaos impact --trend: PASS — 3 runs"))
        // The newest window a second over the budget: exit 2 on the budget alone.
        try budget((windows.last ?? 0) - 1).write(
            to: cli.directory.appending(path: "perfdb.yml"), atomically: true, encoding: .utf8)
        let over = try cli.run(["chaos", "impact", "--trend", Self.pms])
        #expect(over.status == 2)
        #expect(over.stdout.contains("FAIL (over budget: load_degraded_s)"))

        let unknown = try cli.run(["chaos", "impact", "--trend", "no such experiment"])
        #expect(unknown.status != 0 && unknown.status != 2)
        #expect(unknown.stderr.contains("has load runs under it"))
    }
}
