import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// Every statistic against reference values computed once with numpy and scipy
/// (tools/reference/make-statistics-reference.py) and committed as numbers.
@Suite struct StatisticsTests {
    static let reference: JSONValue = {
        let url = TestPaths.root.appending(path: "Tests/Fixtures/statistics/reference.json")
        return (try? JSONParser.parse([UInt8]((try? Data(contentsOf: url)) ?? Data()))) ?? .null
    }()

    static func cases(_ name: String) -> [JSONValue] { reference[name]?.arrayValue ?? [] }

    static func numbers(_ value: JSONValue?) -> [Double] {
        value?.arrayValue?.compactMap(\.numberValue) ?? []
    }

    static func close(_ a: Double?, _ b: Double?, relative: Double = 1e-9) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a == b { return true }
        return abs(a - b) <= relative * max(abs(a), abs(b), 1e-300)
    }

    @Test func theReferenceFileIsThere() {
        for name in [
            "quantile", "median", "mad", "robust_spread", "variance", "welch", "student_pooled",
            "student_t_two_sided_p", "incomplete_beta", "normal_upper_tail", "theil_sen",
            "mann_whitney",
        ] {
            #expect(!Self.cases(name).isEmpty, "\(name) missing from the reference")
        }
    }

    @Test func quantilesInterpolateBetweenClosestRanks() {
        for item in Self.cases("quantile") {
            let got = Statistics.quantile(
                Self.numbers(item["values"]), item["p"]?.numberValue ?? -1)
            #expect(Self.close(got, item["expected"]?.numberValue), "\(item)")
        }
    }

    @Test func aPercentilesIntervalComesFromItsOrderStatistics() throws {
        // 1 … 1000 ms: p95's 99 % interval is ranks 950 ∓ 2.576·√(1000·0.95·0.05) ≈ ∓ 17.8.
        var distribution = Distribution()
        for value in 1...1000 { distribution.record(milliseconds: Double(value)) }
        let interval = try #require(distribution.quantileInterval(0.95))
        #expect(abs(interval.low - 931) <= 1.5, "\(interval)")
        #expect(abs(interval.high - 968) <= 1.5, "\(interval)")
        let p95 = try #require(distribution.quantile(0.95))
        #expect(interval.low < p95 && p95 < interval.high)
        // More values, a narrower interval (in ranks, relative to n).
        var large = Distribution()
        for value in 1...1000 { large.record(milliseconds: Double(value), count: 100) }
        let narrow = try #require(large.quantileInterval(0.95))
        #expect(narrow.high - narrow.low < (interval.high - interval.low) / 5)
        #expect(Distribution().quantileInterval(0.95) == nil)
    }

    @Test func medianMADAndSpread() {
        for item in Self.cases("median") {
            #expect(
                Self.close(
                    Statistics.median(Self.numbers(item["values"])), item["expected"]?.numberValue))
        }
        for item in Self.cases("mad") {
            #expect(
                Self.close(
                    Statistics.mad(Self.numbers(item["values"])), item["expected"]?.numberValue))
        }
        for item in Self.cases("robust_spread") {
            // scipy's scale='normal' is 1/Φ⁻¹(3/4) = 1.482602…; perfdb uses 1.4826.
            #expect(
                Self.close(
                    Statistics.robustSpread(Self.numbers(item["values"])),
                    item["expected"]?.numberValue,
                    relative: 2e-6))
        }
        for item in Self.cases("variance") {
            #expect(
                Self.close(
                    Statistics.variance(Self.numbers(item["values"])), item["expected"]?.numberValue
                ))
        }
    }

    @Test func welchTTest() throws {
        for item in Self.cases("welch") {
            let result = try #require(
                Statistics.welchTTest(Self.numbers(item["a"]), Self.numbers(item["b"])))
            #expect(Self.close(result.t, item["t"]?.numberValue))
            #expect(Self.close(result.df, item["df"]?.numberValue))
            #expect(Self.close(result.p, item["p"]?.numberValue, relative: 1e-7), "\(item)")
        }
    }

    @Test func pooledTTestAsOtavaCallsIt() {
        for item in Self.cases("student_pooled") {
            let p = ChangePointDetector.pValue(Self.numbers(item["a"]), Self.numbers(item["b"]))
            #expect(Self.close(p, item["p"]?.numberValue, relative: 1e-7), "\(item)")
        }
    }

    @Test func studentTAndIncompleteBetaAndNormal() {
        for item in Self.cases("student_t_two_sided_p") {
            let p = Statistics.studentTTwoSidedP(
                t: item["t"]?.numberValue ?? 0, df: item["df"]?.numberValue ?? 1)
            #expect(
                Self.close(p, item["p"]?.numberValue, relative: 1e-7)
                    || abs(p - (item["p"]?.numberValue ?? 0)) < 1e-300, "\(item)")
        }
        for item in Self.cases("incomplete_beta") {
            let value = Statistics.regularizedIncompleteBeta(
                a: item["a"]?.numberValue ?? 1, b: item["b"]?.numberValue ?? 1,
                x: item["x"]?.numberValue ?? 0)
            #expect(Self.close(value, item["expected"]?.numberValue, relative: 1e-9), "\(item)")
        }
        for item in Self.cases("normal_upper_tail") {
            #expect(
                Self.close(
                    Statistics.normalUpperTail(item["z"]?.numberValue ?? 0),
                    item["expected"]?.numberValue, relative: 1e-12))
        }
    }

    @Test func theilSenSlope() {
        for item in Self.cases("theil_sen") {
            let slope = Statistics.theilSenSlope(
                x: Self.numbers(item["x"]), y: Self.numbers(item["y"]))
            #expect(Self.close(slope, item["slope"]?.numberValue), "\(item)")
        }
    }

    @Test func theilSenSlopeOfALongSeriesIsTheMedianOfEveryPairwiseSlope() {
        // 1,500 points (past the listing limit) with ties in x and in y, noise and a creep.
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let x = (0..<1_500).map { Double($0 / 3) }
        let y = x.map { 100 + 0.02 * $0 + (next() * 10).rounded() }
        var slopes: [Double] = []
        for i in 0..<x.count {
            for j in (i + 1)..<x.count where x[j] != x[i] {
                slopes.append((y[j] - y[i]) / (x[j] - x[i]))
            }
        }
        let exact = Statistics.median(slopes)
        let fast = Statistics.theilSenSlope(x: x, y: y)
        #expect(
            Self.close(fast, exact, relative: 1e-6),
            "\(String(describing: fast)) vs \(String(describing: exact))")
    }

    @Test func theilSenSlopeOfAnEvenCountIsTheMeanOfTheTwoMiddleSlopes() {
        // 1,200 points with noise: the two middle of 719,400 slopes lie 4.8e-7 apart, more
        // than the bisection's tolerance, so the median is their mean, not the lower one.
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let x = (0..<1_200).map(Double.init)
        let y = x.map { 100 + 0.02 * $0 + next() * 10 }
        var slopes: [Double] = []
        for i in 0..<x.count {
            for j in (i + 1)..<x.count { slopes.append((y[j] - y[i]) / (x[j] - x[i])) }
        }
        slopes.sort()
        let middle = (slopes[slopes.count / 2 - 1] + slopes[slopes.count / 2]) / 2
        let fast = Statistics.theilSenSlope(x: x, y: y)
        #expect(slopes[slopes.count / 2 - 1] != slopes[slopes.count / 2])
        #expect(
            Self.close(fast, middle, relative: 1e-7),
            "\(String(describing: fast)) vs \(middle)")
    }

    @Test func mannWhitneyU() throws {
        for item in Self.cases("mann_whitney") {
            let result = try #require(
                Statistics.mannWhitneyU(Self.numbers(item["a"]), Self.numbers(item["b"])))
            #expect(result.u == item["u"]?.numberValue, "\(item)")
            #expect(Self.close(result.p, item["p"]?.numberValue, relative: 1e-9), "\(item)")
        }
    }
}
