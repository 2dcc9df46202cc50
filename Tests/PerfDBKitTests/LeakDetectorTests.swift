import Foundation
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct LeakDetectorTests {
    static func buckets(_ p95: [Double]) -> [TimelineRow] {
        p95.enumerated().map { index, value in
            TimelineRow(
                start: Timestamp.format(
                    Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 60)),
                seconds: 60, count: 100, avg: value * 0.6, min: 1, max: value * 1.5,
                p50: value * 0.5,
                p95: value, p99: value * 1.2, rate: nil, sum: nil)
        }
    }

    @Test func aSteadyRiseOverASoakIsFlagged() throws {
        // 30 minutes, p95 from 100 ms to about 160 ms with noise.
        let rising: [Double] = (0..<30).map { (index: Int) -> Double in
            let noise = Double((index * 7) % 5)
            return 100 + Double(index) * 2 + noise
        }
        let finding = try #require(
            LeakDetector.examine(series: "http_req_duration", buckets: Self.buckets(rising)))
        #expect(finding.flagged)
        #expect(finding.risePct > 40)
        #expect(finding.lastThird > finding.firstThird)
    }

    @Test func aFlatRunWithOneSpikeIsNot() throws {
        var flat: [Double] = (0..<30).map { (index: Int) -> Double in 100 + Double((index * 7) % 5)
        }
        flat[20] = 400
        let finding = try #require(
            LeakDetector.examine(series: "http_req_duration", buckets: Self.buckets(flat)))
        #expect(!finding.flagged)
        #expect(LeakDetector.examine(series: "x", buckets: Self.buckets([1, 2, 3])) == nil)
    }
}
