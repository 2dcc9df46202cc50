import Foundation
import Histogram
import PerfDBModel

/// A latency distribution: an HdrHistogram of values in nanoseconds (3 significant digits),
/// stored with the run so runs compare as distributions and merge across runs.
public struct Distribution: Sendable {
    /// The histogram (values in ns).
    public private(set) var histogram: Histogram<UInt64>

    /// An empty distribution.
    public init() {
        histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    /// An empty distribution with room for values up to `highest` (ns) from the start: grown
    /// value by value, a histogram resizes a score of times through a slow generic append.
    init(upTo highest: UInt64) {
        histogram = Histogram<UInt64>(
            highestTrackableValue: max(highest, 2), numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
    }

    /// The distribution a run stored: each bucket's middle value.
    public init(_ buckets: DistributionBuckets) {
        self.init(upTo: buckets.highestMiddle)
        for bucket in buckets.buckets {
            _ = histogram.record(UInt64(HistogramLayout.middle(bucket.index)), count: bucket.count)
        }
    }

    /// The number of values.
    public var count: Int { Int(histogram.totalCount) }

    /// Adds another distribution's values.
    public mutating func merge(_ other: Distribution) {
        // Recorded bucket by bucket: `add` would not grow an auto-resizing histogram.
        for bucket in other.histogram.recordedValues() {
            _ = histogram.record(bucket.value, count: bucket.count)
        }
    }

    /// Records values in milliseconds (for tests and merging).
    public mutating func record(milliseconds value: Double, count: Int = 1) {
        _ = histogram.record(HistogramLayout.units(milliseconds: value), count: UInt64(count))
    }

    /// The buckets in ascending order: the bucket's middle value in ms and its count.
    public var buckets: [(value: Double, count: Int)] {
        histogram.recordedValues().map { bucket in
            (Double(histogram.medianEquivalentForValue(bucket.value)) / 1e6, Int(bucket.count))
        }
    }

    /// The quantile `p` (0…1) in ms, interpolated between closest ranks as k6 does
    /// (rank = p × (n − 1)), each rank taking its bucket's middle value.
    public func quantile(_ p: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let rank = p * Double(total - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, total - 1)
        var lowerValue: Double?
        var upperValue: Double?
        var seen = 0
        for bucket in buckets {
            let next = seen + bucket.count
            if lowerValue == nil && lower < next { lowerValue = bucket.value }
            if upper < next {
                upperValue = bucket.value
                break
            }
            seen = next
        }
        guard let low = lowerValue, let high = upperValue else { return nil }
        return low + (high - low) * (rank - Double(lower))
    }

    /// A distribution-free confidence interval of the quantile `p` (0…1), in ms: the values of
    /// the order statistics n·p ∓ z·√(n·p·(1 − p)) (the normal approximation to the binomial
    /// count of values below the quantile; z 2.576 is 99 %), each its bucket's middle value.
    public func quantileInterval(_ p: Double, z: Double = 2.576) -> (low: Double, high: Double)? {
        let total = count
        guard total > 0, (0...1).contains(p) else { return nil }
        let n = Double(total)
        let half = z * (n * p * (1 - p)).squareRoot()
        let lowRank = max(0, Int((n * p - half).rounded(.down)) - 1)
        let highRank = min(total - 1, Int((n * p + half).rounded(.up)))
        var low: Double?
        var seen = 0
        for bucket in buckets {
            let next = seen + bucket.count
            if low == nil && lowRank < next { low = bucket.value }
            if highRank < next, let low { return (low, bucket.value) }
            seen = next
        }
        return nil
    }

    /// Mann–Whitney U of two distributions (bucket values as the samples' values): U of `a`,
    /// the two-sided p-value (normal approximation, tie- and continuity-corrected), and the
    /// probability that a value of `a` exceeds one of `b` (the common-language effect size).
    public static func mannWhitney(_ a: Distribution, _ b: Distribution) -> (
        u: Double, p: Double, superiority: Double
    )? {
        let left = a.buckets
        let right = b.buckets
        let n1 = Double(a.count)
        let n2 = Double(b.count)
        guard n1 > 0, n2 > 0 else { return nil }
        var i = 0
        var j = 0
        var rank = 0.0
        var rankSumA = 0.0
        var tieTerm = 0.0
        while i < left.count || j < right.count {
            let value = min(
                i < left.count ? left[i].value : .infinity,
                j < right.count ? right[j].value : .infinity)
            var countA = 0.0
            var countB = 0.0
            while i < left.count && left[i].value == value {
                countA += Double(left[i].count)
                i += 1
            }
            while j < right.count && right[j].value == value {
                countB += Double(right[j].count)
                j += 1
            }
            let ties = countA + countB
            let average = rank + (ties + 1) / 2
            rankSumA += countA * average
            tieTerm += ties * ties * ties - ties
            rank += ties
        }
        let n = n1 + n2
        let u1 = rankSumA - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let mean = n1 * n2 / 2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return (u1, 1, 0.5) }
        let z = (max(u1, u2) - mean - 0.5) / variance.squareRoot()
        return (u1, min(1, 2 * Statistics.normalUpperTail(z)), u1 / (n1 * n2))
    }
}

extension DistributionBuckets {
    /// The middle value (ns) of the highest bucket; 2 when there is none.
    var highestMiddle: UInt64 {
        buckets.last.map { UInt64(HistogramLayout.middle($0.index)) } ?? 2
    }
}
