import Foundation
import PerfDBModel
import Testing

@testable import PerfDBAnalysis

/// The figures of a check's runs as the gate reads them: one column a pair, with
/// pairs whose hash is made once; and the change-point detector skipped where no material
/// change can be.
@Suite struct RunValuesTests {
    static let duration = SeriesStatistic(series: "http_req_duration", statistic: "p95")
    static let failed = SeriesStatistic(series: "http_req_failed", statistic: "rate")

    @Test func aColumnHoldsThePairsValuesInTheRunsOrder() {
        let runs = (1...4).map { History.run(Int64($0), day: Double($0)) }
        let values: RunValues = [
            1: [Self.duration: 10, Self.failed: 0.01],
            2: [Self.duration: 11],
            3: [Self.failed: 0.02],
            4: [Self.duration: 13, Self.failed: 0.03],
        ]
        let columns = values
        #expect(Set(columns.pairs) == [Self.duration, Self.failed])
        let column = columns.column(Self.duration, at: columns.places(runs))
        #expect(column.map(\.run) == [1, 2, 4])
        #expect(column.map(\.value) == [10, 11, 13])
        // In the order asked for, not the runs' ids.
        #expect(
            columns.column(Self.failed, at: columns.places(runs.reversed())).map(\.run)
                == [4, 3, 1])
        let places = columns.places(Array(runs.prefix(3)))
        #expect(columns.count(Self.duration, at: places) == 2)
        #expect(columns.count(Self.failed, at: places) == 2)
        #expect(columns.value(Self.failed, run: 2) == nil)
        #expect(columns.value(Self.failed, run: 3) == 0.02)
        // A run or a pair the figures do not hold.
        #expect(columns.value(Self.duration, run: 9) == nil)
        let unknown = SeriesStatistic(series: "vus", statistic: "value")
        #expect(columns.column(unknown, at: columns.places(runs)).isEmpty)
        #expect(columns.count(unknown, at: places) == 0)
        // A run's figures as a dictionary, and a run without any.
        #expect(values[2] == [Self.duration: 11])
        #expect(values[9] == nil)
        #expect(values.keys == [1, 2, 3, 4])
        var emptied = values
        emptied[2] = [:]
        #expect(emptied[2] == nil && emptied.keys == [1, 3, 4])
        #expect(emptied != values)
        emptied[2] = [Self.duration: 11]
        #expect(emptied == values)
    }

    @Test func aPairIsEqualAndHashesAlikeHoweverItWasMade() throws {
        let made = SeriesStatistic(series: "http_req_duration{name:a}", statistic: "p95")
        var changed = SeriesStatistic(series: "http_req_duration{name:a}", statistic: "p90")
        #expect(made != changed)
        changed.statistic = "p95"
        #expect(made == changed)
        #expect(made.hashValue == changed.hashValue)
        #expect(Set([made, changed]).count == 1)
        changed.series = "http_req_duration{name:b}"
        #expect(made != changed)
        #expect([made: 1.0][changed] == nil)
        let decoded = try JSONDecoder().decode(
            SeriesStatistic.self, from: try JSONEncoder().encode(made))
        #expect(decoded == made)
        #expect(decoded.hashValue == made.hashValue)
        let text = String(decoding: try JSONEncoder().encode(made), as: UTF8.self)
        #expect(text.contains("\"series\"") && text.contains("\"statistic\""))
        #expect(!text.contains("digest"))
    }

    /// The durations rule with the defaults: 1 ms for one run (a quarter for a confirmed
    /// change), 3 % to warn.
    static var rule: ResolvedRule {
        get throws {
            try #require(GatePolicy(config: Config()).rule(for: History().latency))
        }
    }

    @Test(arguments: [
        // values, whether a material change point may be among them
        // under the 0.25 ms floor
        ([100.0, 100.1, 100.2, 100.1, 100.0, 100.2, 100.1, 100.0], false),
        ([10.0, 10.1, 10.2, 10.1, 10.25, 10.1, 10.2, 10.0], false),  // 2.5 % < 3 %
        ([10.0, 10.0, 10.0, 10.0, 10.4, 10.4, 10.4, 10.4], true),  // 4 %, 0.4 ms
        ([0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5], true),  // from zero: no relative bound
    ])
    func aRangeTooNarrowRulesEveryMaterialChangePointOut(values: [Double], may: Bool) throws {
        #expect(Baseline.mayHoldMaterialChange(values, rule: try Self.rule) == may)
    }

    /// Skipping the detector never hides a material change point: on seeded series of every
    /// width around the thresholds, the answer is the detector's own.
    @Test func skippingTheDetectorChangesNoAnswer() throws {
        let rule = try Self.rule
        let config = Config()
        var generator = SeededGenerator(seed: 20_261_202)
        var skipped = 0
        for trial in 0..<300 {
            let level = [0.3, 5.0, 40.0][trial % 3]
            let width = Double(trial % 10) / 100
            let step = trial % 4 == 0 ? 1 + Double(trial % 7) / 100 : 1
            let values = (0..<30).map { index in
                level * (index >= 15 ? step : 1)
                    * (1 + width * (Double.random(in: -0.5...0.5, using: &generator)))
            }
            let detected = config.changePoints.changePoints(values).filter {
                Baseline.isMaterial($0, rule: rule)
            }
            let material = Baseline.materialChangePoints(values, rule: rule, config: config)
            #expect(material == detected, "trial \(trial)")
            if !Baseline.mayHoldMaterialChange(values, rule: rule) { skipped += 1 }
        }
        #expect(skipped > 50)
    }
}

/// A small deterministic random number generator (SplitMix64) for seeded test series.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
