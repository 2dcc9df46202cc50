import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBModel

/// The load under a fault across an experiment's runs: each figure judged against the earlier
/// runs that did not regress, the newest held to its budget — decided from numbers alone.
@Suite struct ChaosResilienceTests {
    /// A chaos run of the PMS experiment on `day`.
    static func chaosRun(_ id: Int64, day: Double) -> (RunRecord, ChaosExperimentRecord) {
        var value = ChaosExperimentValue(
            name: "PMS outage", outcome: .passed, rolledBack: false,
            startedAt: Date(timeIntervalSince1970: 1_793_491_200 + day * 86_400))
        value.family = .pms
        value.faultType = .exception
        value.mttrSeconds = 3
        value.availabilityPct = 100
        value.errorRatePct = 0
        var run = History.run(id, day: day)
        run.kind = .chaos
        return (run, ChaosExperimentRecord(value, runId: id))
    }

    /// One chaos run whose load run ran `p95Ratio` times slower than normally, failed
    /// `errorPct` % of its requests and was degraded for `degradedS` seconds.
    static func impact(
        _ id: Int64, p95Ratio: Double, errorPct: Double = 0.5, degradedS: Double = 12
    ) -> ChaosImpactReport {
        let (run, experiment) = chaosRun(id, day: Double(id))
        var load = History.run(100 + id, day: Double(id))
        load.kind = .load
        return ChaosImpactReport(
            chaosRun: run, experiment: experiment,
            loads: [
                LoadImpact(
                    run: load, baselineRuns: [1, 2, 3],
                    p95: .init(value: 45 * p95Ratio, baseline: 45),
                    p99: .init(value: 50 * p95Ratio, baseline: 50),
                    errorRatePct: .init(value: errorPct, baseline: 0.1),
                    throughput: .init(value: 15, baseline: 20),
                    slo: SLOEvaluationValue(
                        overallStatus: .pass, exitCode: 0, evaluatedAt: nil, score: nil,
                        results: []),
                    degradation: LoadImpact.Degradation(
                        bucketSeconds: 1, p95BandMs: 49.5, errorBandPct: 1.1, startS: 2,
                        endS: 2 + degradedS, p95BackS: 2 + degradedS, errorsBackS: nil,
                        recovered: true, degradedBuckets: Int(degradedS), buckets: 20))
            ])
    }

    /// One chaos run a day whose load run was degraded for each of `windows` seconds.
    static func impacts(degraded windows: [Double]) -> [ChaosImpactReport] {
        windows.enumerated().map { index, window in
            Self.impact(Int64(index + 1), p95Ratio: 9.5, degradedS: window)
        }
    }

    static func figure(_ name: String, _ impacts: [ChaosImpactReport], config: Config = Config())
        throws -> ChaosFigureTrend
    {
        let entries = impacts.map { ChaosEntry(run: $0.chaosRun, experiment: $0.experiment) }
        let report = try #require(
            ChaosTrends(config: config).build(entries, impacts: impacts).first)
        return try #require(report.figures.first { $0.figure == name })
    }

    @Test func aDegradationThatGrewStaysARegressionSinceTheRunItGrewAt() throws {
        let impacts = Self.impacts(degraded: [12, 12, 13, 17, 17, 16])
        let degraded = try Self.figure("load_degraded_s", impacts)
        #expect(degraded.verdict?.verdict == .regression)
        // Judged against the three runs before the growth, not against runs 4 and 5.
        #expect(degraded.verdict?.baseline == 12)
        #expect(degraded.regressedSince?.id == 4)
        // The p95 ratio did not move: no verdict on it.
        #expect(try Self.figure("load_p95_ratio", impacts).verdict?.verdict == .ok)
    }

    @Test func oneOutlierRunNeitherFailsTheNextRunsNorHoldsTheBaseline() throws {
        let impacts = Self.impacts(degraded: [12, 12, 13, 25, 12, 13])
        let degraded = try Self.figure("load_degraded_s", impacts)
        #expect(degraded.verdict?.verdict == .ok)
        #expect(degraded.regressedSince == nil)
        // Within its noise: a run 1 s longer than the baseline is no regression.
        let calm = Self.impacts(degraded: [12.0, 13, 12, 13, 12, 13])
        #expect(try Self.figure("load_degraded_s", calm).verdict?.verdict == .ok)
    }

    @Test func tooFewEarlierRunsAreNotJudged() throws {
        let impacts = Self.impacts(degraded: [12.0, 12, 30])
        #expect(
            try Self.figure("load_degraded_s", impacts).verdict?.verdict == .insufficientData)
    }

    @Test func theNewestRunIsHeldToItsBudgetByNameOrFamily() throws {
        let impacts = (1...4).map { Self.impact(Int64($0), p95Ratio: 9.5, errorPct: 6) }
        // No budget configured: the error rate is held to 5 %, the rest to nothing.
        let errors = try Self.figure("load_error_rate_pct", impacts)
        #expect(errors.target == 5)
        #expect(errors.meetsTarget == false)
        #expect(errors.comparator == "≤")
        #expect(try Self.figure("load_p95_ratio", impacts).meetsTarget == nil)

        var config = Config()
        config.chaosBudgets["pms"] = .init(p95Ratio: 9.5, errorRatePct: 8, degradedS: 11)
        let p95 = try Self.figure("load_p95_ratio", impacts, config: config)
        #expect(p95.target == 9.5)
        #expect(p95.meetsTarget == true, "at most the budget is within it")
        #expect(try Self.figure("load_error_rate_pct", impacts, config: config).meetsTarget == true)
        #expect(try Self.figure("load_degraded_s", impacts, config: config).meetsTarget == false)
        // The experiment's own name wins over its family.
        config.chaosBudgets["PMS outage"] = .init(p95Ratio: 9)
        #expect(try Self.figure("load_p95_ratio", impacts, config: config).meetsTarget == false)
        let exit = ChaosTrends(config: config).build(
            impacts.map { ChaosEntry(run: $0.chaosRun, experiment: $0.experiment) },
            impacts: impacts
        ).exitCode
        #expect(exit == 2)
    }

    @Test func experimentsWithoutLoadRunsKeepTheirThreeFigures() throws {
        let entries = (1...3).map { index in
            let (run, experiment) = Self.chaosRun(Int64(index), day: Double(index))
            return ChaosEntry(run: run, experiment: experiment)
        }
        let report = try #require(ChaosTrends(config: Config()).build(entries).first)
        #expect(report.figures.map(\.figure) == ["mttr_s", "availability_pct", "error_rate_pct"])
        #expect(report.impacts.isEmpty)
    }
}
