import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct ConfigTests {
    @Test func anEmptyFileKeepsTheDefaults() throws {
        let config = try Config.parse("", file: "perfdb.yml")
        #expect(config.baseBranch == "main")
        #expect(config.baselineWindow == 10)
        #expect(config.minBaselineRuns == 5)
        #expect(
            config.slos.map(\.name) == [
                "p95_latency", "p99_latency", "error_rate", "check_pass_rate",
                "avg_latency",
            ])
        #expect(config.changePoints.maxPValue == 0.001)
        #expect(config.changePoints.window == 50)
    }

    @Test func everySectionIsRead() throws {
        let yaml = """
            base_branch: trunk
            baseline: {window: 7, min_runs: 3}
            gate:
              durations: {min_change_pct: 15, min_change_abs: 5, min_z: 4, min_tail_samples: 20}
              rates: {min_change_abs: 0.02}
            series:
              http_req_duration{endpoint:reservations}: {min_change_pct: 5}
              vus: {gate: false}
              payload: {direction: lower_is_better, gate: true}
            change_points: {max_pvalue: 0.01, window: 30, min_magnitude: 0.05}
            drift: {recent_runs: 3, slope_runs: 10, max_drift_pct: 8, max_slope_pct_per_week: 2}
            slo:
              pass_score: 0.8
              objectives:
                - {name: p95, series: http_req_duration, statistic: p95, comparator: "<",
                   target: 500, warning: 400, unit: ms, priority: P0, relative: "<=+10%",
                   relative_warning: "<=+20%", weight: 2}
            """
        let config = try Config.parse(yaml, file: "perfdb.yml")
        #expect(config.baseBranch == "trunk")
        #expect(config.baselineWindow == 7)
        #expect(config.minBaselineRuns == 3)
        #expect(config.durations.minChangePct == 15)
        #expect(config.durations.minChangeAbs == 5)
        #expect(config.durations.minZ == 4)
        #expect(config.durations.minTailSamples == 20)
        #expect(config.durations.statistics == ["avg", "med", "p90", "p95", "p99"])
        #expect(config.rates.minChangeAbs == 0.02)
        #expect(config.series["vus"]?.gate == false)
        #expect(config.series["payload"]?.direction == .lowerIsBetter)
        #expect(config.changePoints.window == 30)
        #expect(config.drift.recentRuns == 3)
        #expect(config.sloPassScore == 0.8)
        #expect(config.slos.count == 1)
        #expect(config.slos[0].relative?.description == "<=+10%")
        #expect(config.slos[0].weight == 2)
    }

    @Test(arguments: [
        ("bogus: 1", "key bogus: unknown key"),
        ("baseline: {window: 0}", "key baseline.window: expected a whole number of at least 1"),
        ("gate: {durations: {min_z: fast}}", "key gate.durations.min_z: expected a number"),
        ("slo: {objectives: [{name: x}]}", "key slo.objectives[0].series: missing"),
        ("series: {vus: {direction: sideways}}", "key series.vus.direction"),
        ("change_points: {max_pvalue: 2}", "key change_points.max_pvalue"),
        ("chaos: {budgets: {pms: {p95: 3}}}", "key chaos.budgets.pms.p95: unknown key"),
        ("chaos: {budgets: {pms: {p95_ratio: 0}}}", "key chaos.budgets.pms.p95_ratio: expected"),
        ("chaos: {budgets: {pms: {error_rate_pct: 120}}}", "key chaos.budgets.pms.error_rate_pct"),
        ("[1, 2", "not valid YAML"),
    ])
    func mistakesNameTheKey(yaml: String, message: String) {
        #expect {
            _ = try Config.parse(yaml, file: "perfdb.yml")
        } throws: { error in
            let error = error as? PerfDBError
            return error?.code == .badInput && error?.message.contains(message) == true
                && error?.message.hasPrefix("perfdb.yml: ") == true
        }
    }

    @Test func theGatePolicyFollowsFamiliesAndOverrides() throws {
        var config = Config()
        config.series["http_req_duration{endpoint:reservations}"] = .init(
            rule: .init(minChangePct: 5))
        let policy = GatePolicy(config: config)
        func series(_ name: String, _ type: MetricType, _ unit: String, _ direction: Direction)
            -> SeriesRecord
        {
            SeriesRecord(
                id: 1, name: name, metric: SeriesKey(parsing: name)?.metric ?? name,
                metricType: type, unit: unit, direction: direction)
        }
        let reservations = try #require(
            policy.rule(
                for: series(
                    "http_req_duration{endpoint:reservations}", .trend, "ms", .lowerIsBetter)))
        #expect(reservations.family == .durations)
        #expect(reservations.minChangePct == 5)
        #expect(
            policy.rule(for: series("http_req_failed", .rate, "ratio", .lowerIsBetter))?.family
                == .rates)
        #expect(
            policy.rule(for: series("http_reqs", .counter, "count", .higherIsBetter))?.family
                == .throughput)
        #expect(policy.rule(for: series("vus", .gauge, "", .neutral)) == nil)
        #expect(policy.rule(for: series("data_sent", .counter, "bytes", .neutral)) == nil)
        // p99 of 242 samples has 2.4 samples beyond it: not judged; p95 has 12.
        #expect(reservations.judges(statistic: "p99", count: 242) == false)
        #expect(reservations.judges(statistic: "p95", count: 242) == true)
        #expect(reservations.judges(statistic: "avg", count: 3) == true)
        #expect(reservations.judges(statistic: "p99", count: nil) == true)
    }
}

@Suite struct SLOEvaluatorTests {
    static let values: [String: Double] = [
        "http_req_duration p95": 2500, "http_req_duration p99": 3000, "http_req_failed rate": 0.02,
        "http_reqs rate": 15, "checks rate": 1, "http_req_duration avg": 800,
    ]

    @Test func statusesAndExitCodesAreTheValidators() throws {
        // The team's six SLOs, as the demo's perfdb.yml sets them.
        let team = try Config.load(path: TestPaths.root.appending(path: "demo/perfdb.yml").path)
        let evaluation = SLOEvaluator.evaluate(
            team.slos, config: team,
            value: { Self.values["\($0) \($1)"] }, baseline: { _, _ in nil })
        let statuses = Dictionary(
            uniqueKeysWithValues: evaluation.results.map { ($0.name, $0.status) })
        #expect(statuses["p95_latency"] == .warning)  // 2500 between 2400 and 3000
        #expect(statuses["p99_latency"] == .pass)
        #expect(statuses["error_rate"] == .critical)  // 2 % of a P0 SLO
        #expect(statuses["throughput"] == .pass)
        #expect(evaluation.overallStatus == .critical)
        #expect(evaluation.exitCode == 2)
        #expect(
            evaluation.results.first { $0.name == "error_rate" }?.recommendation?.isEmpty == false)
        #expect(evaluation.results.first { $0.name == "throughput" }?.recommendation == nil)
        #expect(team.slos(for: "smoke").map(\.name) == ["p95_latency", "error_rate"])
        // Score: 4 PASS, 1 WARNING, 1 CRITICAL of equal weight.
        #expect(abs((evaluation.score ?? 0) - 4.5 / 6) < 1e-12)
    }

    @Test func relativeCriteriaOnlyMakeItWorse() throws {
        var definition = SLODefinition.defaults[0]
        definition.relative = RelativeCriterion(parsing: "<=+10%")
        definition.relativeWarning = RelativeCriterion(parsing: "<=+20%")
        func status(value: Double, baseline: Double) -> SLOStatus? {
            SLOEvaluator.evaluate(
                [definition], config: Config(), value: { _, _ in value },
                baseline: { _, _ in baseline }
            ).results.first?.status
        }
        #expect(status(value: 105, baseline: 100) == .pass)
        #expect(status(value: 115, baseline: 100) == .warning)
        #expect(status(value: 130, baseline: 100) == .critical)
        #expect(status(value: 2500, baseline: 2450) == .warning)  // absolute warning stays
        #expect(RelativeCriterion(parsing: ">=-5%")?.isMet(value: 96, baseline: 100) == true)
        #expect(RelativeCriterion(parsing: "about 5") == nil)
    }

    @Test func aMissingMetricFailsItsSLO() {
        let evaluation = SLOEvaluator.evaluate(
            SLODefinition.defaults, config: Config(), value: { _, _ in nil },
            baseline: { _, _ in nil })
        #expect(evaluation.results.allSatisfy { $0.status == .fail || $0.status == .critical })
        #expect(evaluation.results.first?.recommendation?.contains("missing") == true)
    }
}
