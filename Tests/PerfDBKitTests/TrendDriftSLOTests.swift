import Foundation
import PerfDBModel
import Testing

@testable import PerfDBAnalysis

/// Drift, trend and SLO evaluation as functions of their inputs, on in-memory histories.
@Suite struct DriftTests {
    static let pair = SeriesStatistic(series: "http_req_duration", statistic: "p95")

    /// Drift of the newest run of `history`: the rest is its baseline's history.
    static func drift(_ history: History, pinned: [RunRecord] = []) -> DriftReport {
        let baseline =
            pinned.isEmpty
            ? history.baseline()
            : history.baseline(
                pin: History.entry(.window, run: pinned.last?.id ?? 1, window: pinned.count),
                pinnedRuns: pinned)
        return Drift(config: GateTests.config).analyze(
            DriftInputs(
                history: history.runs, baseline: baseline, values: history.values,
                series: history.series))
    }

    @Test func aStableScopeHasNoDrift() throws {
        var history = History(p95s: GateTests.steady)
        history.add(p95: 100)
        let report = Self.drift(history)
        let row = try #require(report.rows.first { $0.pair == Self.pair })
        #expect(!row.drifted && !row.creeping)
        #expect(!report.flagged)
        #expect(row.recentRuns == 5)
    }

    @Test func recentRunsPastTheToleranceDrift() throws {
        var history = History(p95s: GateTests.steady)
        for p95 in [115.0, 116, 114, 115, 115] { history.add(p95: p95) }
        let report = Self.drift(history, pinned: Array(history.runs.prefix(5)))
        let row = try #require(report.rows.first { $0.pair == Self.pair })
        #expect(report.baselineSource == .pinnedWindow)
        #expect(row.baseline == 100)
        #expect(row.recent == 115)
        #expect(row.driftPct == 15)
        #expect(row.drifted)
        #expect(report.flagged)
    }

    @Test func aSlowCreepIsFlaggedByItsSlope() throws {
        // +1 % a day: +7 % a week, past the 5 %/week tolerance and far past the run-to-run
        // noise; the recent median stays within 10 % of a baseline pinned on the first five runs.
        let creeping = (0..<12).map { 100 * (1 + 0.01 * Double($0)) }
        var history = History(p95s: creeping)
        history.add(p95: 112)
        let report = Self.drift(history, pinned: Array(history.runs.prefix(5)))
        let row = try #require(report.rows.first { $0.pair == Self.pair })
        #expect(row.creeping)
        #expect((row.slopePctPerWeek ?? 0) > 5)
    }

    @Test func aNoisySeriesRecentMedianMustStandOutOfItsNoiseToDrift() throws {
        // An endpoint that swings ±8 % run to run: a five-run median 12 % up is within what two
        // medians of such runs differ by; the same 12 % on a steady series is drift.
        let noisy: [Double] = [100, 108, 93, 104, 97, 110, 92, 101, 107, 95, 103, 99]
        var history = History(p95s: noisy)
        for p95 in [112.0, 124, 104, 118, 101] { history.add(p95: p95) }
        let report = Self.drift(history, pinned: Array(history.runs.prefix(12)))
        let row = try #require(report.rows.first { $0.pair == Self.pair })
        #expect((row.driftPct ?? 0) > 10)
        #expect(!row.drifted)
        var steady = History(p95s: GateTests.steady + [100, 101])
        for p95 in [112.0, 113, 111, 112, 112] { steady.add(p95: p95) }
        let flagged = Self.drift(steady, pinned: Array(steady.runs.prefix(12)))
        #expect(try #require(flagged.rows.first { $0.pair == Self.pair }).drifted)
    }

    @Test func improvementsNeverDrift() throws {
        var history = History(p95s: GateTests.steady)
        for p95 in [60.0, 61, 59, 60, 60] { history.add(p95: p95) }
        let report = Self.drift(history, pinned: Array(history.runs.prefix(5)))
        let row = try #require(report.rows.first { $0.pair == Self.pair })
        #expect(row.driftPct == -40)
        #expect(!row.drifted && !row.creeping)
    }
}

@Suite struct TrendTests {
    static func inputs(_ history: History, verdicts: [Int64: Verdict] = [:]) -> TrendInputs {
        TrendInputs(
            scope: History.scope, series: history.latency,
            statistic: "p95", runs: history.runs.map(RunIdentity.init),
            baseline: history.baseline(),
            values: Dictionary(
                uniqueKeysWithValues: history.values.keys.compactMap { id in
                    history.values.value(DriftTests.pair, run: id).map { (id, $0) }
                }), verdicts: verdicts,
            distributions: [:])
    }

    @Test func aStepIsAChangePointAtItsFirstRun() throws {
        let history = History(p95s: GateTests.steady + [150, 151, 149, 150, 150, 151, 150, 149])
        let report = try Trend(config: GateTests.config).build(
            Self.inputs(history, verdicts: [11: .regression]))
        #expect(report.points.count == 18)
        let point = try #require(report.changePoints.first)
        #expect(point.run.id == 11)
        #expect(point.isRegression)
        #expect(report.changePoints.count == 1)
        #expect(report.points[10].verdict == .regression)
        // The newest run's baseline stays before the step.
        #expect(report.baseline == 100)
        #expect(report.baselineSource == .automatic)
        #expect((report.slopePctPerWeek ?? 0) > 0)
    }

    @Test func noValuesIsInputNotFound() {
        var history = History(p95s: [100, 101])
        for id in history.values.keys { history.values[id] = [:] }
        #expect {
            _ = try Trend(config: GateTests.config).build(Self.inputs(history))
        } throws: { error in
            (error as? PerfDBError)?.code == .inputNotFound
        }
    }

    @Test func theSlopeIsPercentOfTheMedianPerWeek() throws {
        let runs = (0..<8).map { History.run(Int64($0 + 1), day: Double($0)) }
        // +1 ms a day around 100: 7 % a week.
        let slope = try #require(
            Trend.slopePctPerWeek(runs.enumerated().map { ($0.element, 100 + Double($0.offset)) }))
        #expect(abs(slope - 7 / 103.5 * 100) < 1e-9)
    }
}

@Suite struct SLOTests {
    static func definition(
        _ comparator: SLOComparator, target: Double, warning: Double?, priority: SLOPriority
    ) -> SLODefinition {
        SLODefinition(
            name: "p95", title: "P95", series: "http_req_duration", statistic: "p95",
            comparator: comparator, target: target, warning: warning, unit: "ms",
            priority: priority, recommendation: "cache it")
    }

    @Test(arguments: [
        // actual, priority, status, exit code
        (90.0, SLOPriority.p0, SLOStatus.pass, 0),
        (110.0, .p0, .warning, 1),
        (130.0, .p1, .fail, 1),
        (130.0, .p0, .critical, 2),
    ])
    func statusesFollowTheWarningAndTheTarget(
        actual: Double, priority: SLOPriority, status: SLOStatus, exitCode: Int
    ) throws {
        let evaluation = SLOEvaluator.evaluate(
            [Self.definition(.lessThan, target: 120, warning: 100, priority: priority)],
            config: Config(), value: { _, _ in actual }, baseline: { _, _ in nil })
        let result = try #require(evaluation.results.first)
        #expect(result.status == status)
        #expect(evaluation.overallStatus == status)
        #expect(evaluation.exitCode == exitCode)
        #expect((result.recommendation != nil) == (status != .pass))
    }

    @Test func aRelativeCriterionJudgesAgainstTheChecksBaseline() throws {
        var history = History(p95s: GateTests.steady)
        history.add(p95: 115)
        var config = GateTests.config
        var definition = Self.definition(.lessThan, target: 1000, warning: nil, priority: .p1)
        definition.relative = RelativeCriterion(parsing: "<=+10%")
        config.slos = [definition]
        let evaluation = SLOJudge(config: config).check(history.checkInputs())
        let result = try #require(evaluation.results.first)
        #expect(result.status == .fail)
        #expect(result.recommendation?.contains("relative <=+10% of baseline 100") == true)
        // check judges the same SLO against the same baseline.
        let check = Gate(config: config).judge(history.checkInputs())
        #expect(check.slo?.results.first?.status == .fail)
    }

    @Test func aTrendEvaluatesEveryRunOnAbsoluteCriteria() {
        let history = History(p95s: [90, 110, 130])
        var config = GateTests.config
        var definition = Self.definition(.lessThan, target: 120, warning: 100, priority: .p0)
        definition.relative = RelativeCriterion(parsing: "<=+1%")
        config.slos = [definition]
        let trend = SLOJudge(config: config).trend(
            RunsInputs(scope: History.scope, runs: history.runs, values: history.values))
        #expect(trend.rows.map(\.evaluation.overallStatus) == [.pass, .warning, .critical])
        #expect(trend.compliance("p95").map { abs($0 - 100.0 / 3) < 1e-9 } == true)
    }
}
