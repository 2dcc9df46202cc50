import Foundation
import PerfDBModel

/// The soak-test leak detector: a sustained rise of a latency's p95 inside one run.
public struct LeakFinding: Sendable, Equatable {
    public var series: String
    /// Theil–Sen slope of the bucket p95s, in percent of their median per minute.
    public var slopePctPerMinute: Double
    /// The rise over the run the slope amounts to, in percent.
    public var risePct: Double
    /// Median p95 of the first and the last third of the buckets.
    public var firstThird: Double
    public var lastThird: Double
    /// True when the rise is sustained: at least `minimumRisePct` over the run, and the last
    /// third above the first by half of that.
    public var flagged: Bool
}

/// Finds sustained upward slopes of p95 in a run's timelines.
public enum LeakDetector {
    /// The rise over a run that counts as a leak.
    public static let minimumRisePct = 20.0
    /// Fewer buckets than this say nothing.
    public static let minimumBuckets = 6

    /// The finding for one timeline, if it has enough buckets with a p95.
    public static func examine(series: String, buckets: [TimelineRow]) -> LeakFinding? {
        let points = buckets.compactMap { bucket -> (Double, Double)? in
            guard let p95 = bucket.p95, let start = Timestamp.parse(bucket.start) else {
                return nil
            }
            return (start.timeIntervalSince1970 / 60, p95)
        }
        guard points.count >= minimumBuckets, let median = Statistics.median(points.map(\.1)),
            median > 0,
            let slope = Statistics.theilSenSlope(x: points.map(\.0), y: points.map(\.1)),
            let firstTime = points.first?.0, let lastTime = points.last?.0
        else { return nil }
        let third = max(points.count / 3, 1)
        let first = Statistics.median(points.prefix(third).map(\.1)) ?? median
        let last = Statistics.median(points.suffix(third).map(\.1)) ?? median
        let slopePct = slope / median * 100
        let rise = slopePct * (lastTime - firstTime)
        let flagged = rise >= minimumRisePct && last >= first * (1 + minimumRisePct / 200)
        return LeakFinding(
            series: series, slopePctPerMinute: slopePct, risePct: rise, firstThird: first,
            lastThird: last, flagged: flagged)
    }
}
