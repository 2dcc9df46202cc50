import CZlib
import Foundation
import Histogram

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

    /// The distribution of a histogram recorded while streaming: each bucket's middle value.
    init(_ source: PagedHistogram) {
        self.init()
        source.forEachBucket { index, count in
            _ = histogram.record(UInt64(PagedHistogram.middle(index)), count: UInt64(count))
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
        _ = histogram.record(StreamAggregator.histogramUnits(value), count: UInt64(count))
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

    // MARK: Encoding

    /// The stored form (`hdr-ns-v1`): zlib-compressed varints of (bucket index delta, count) in
    /// HdrHistogram's 3-significant-digit layout (``PagedHistogram``).
    public func encoded() -> [UInt8] {
        let paged = PagedHistogram()
        for bucket in histogram.recordedValues() {
            paged.record(histogram.medianEquivalentForValue(bucket.value), count: Int(bucket.count))
        }
        return Self.compress(paged.encodedBuckets())
    }

    /// zlib-compresses bytes.
    static func compress(_ raw: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = out.withUnsafeMutableBufferPointer { destination in
            raw.withUnsafeBufferPointer { source in
                compress2(
                    destination.baseAddress, &size, source.baseAddress, uLong(source.count), 1)
            }
        }
        guard status == Z_OK else { return [] }
        return Array(out.prefix(Int(size)))
    }

    /// Reads the stored form.
    public static func decode(_ data: [UInt8], count: Int) throws -> Distribution {
        var capacity = max(64, data.count * 8)
        var raw: [UInt8] = []
        while true {
            var size = uLong(capacity)
            var buffer = [UInt8](repeating: 0, count: capacity)
            let status = buffer.withUnsafeMutableBufferPointer { destination in
                data.withUnsafeBufferPointer { source in
                    uncompress(
                        destination.baseAddress, &size, source.baseAddress, uLong(source.count))
                }
            }
            if status == Z_BUF_ERROR && capacity < 1 << 28 {
                capacity *= 4
                continue
            }
            guard status == Z_OK else {
                throw PerfDBError(.io, "a stored distribution is corrupt (zlib status \(status))")
            }
            raw = Array(buffer.prefix(Int(size)))
            break
        }
        var distribution = Distribution()
        var position = 0
        var bucket = 0
        while position < raw.count {
            guard let delta = readVarint(raw, &position),
                let bucketCount = readVarint(raw, &position)
            else {
                throw PerfDBError(.io, "a stored distribution is corrupt (truncated varint)")
            }
            bucket += Int(delta)
            _ = distribution.histogram.record(
                UInt64(PagedHistogram.middle(bucket)), count: bucketCount)
        }
        if distribution.count != count {
            throw PerfDBError(
                .io, "a stored distribution is corrupt (\(distribution.count) of \(count) values)")
        }
        return distribution
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    private static func readVarint(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count && shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
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
