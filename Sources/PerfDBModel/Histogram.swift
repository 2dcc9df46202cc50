/// HdrHistogram's log-linear bucket layout at 3 significant digits, for values in ns.
///
/// Exact below 2048, then 1024 buckets per power of two, so a bucket is at most 1/1024 of its
/// value wide. Raw samples are recorded in it while streaming and stored
/// distributions are kept in it.
public enum HistogramLayout {
    /// The bucket index of `value`.
    @inline(__always)
    public static func index(_ value: UInt64) -> Int {
        if value < 2048 { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // ≥ 11
        let shift = exponent - 10
        let subBucket = Int(value >> UInt64(shift))  // 1024…2047
        return 2048 + (shift - 1) * 1024 + (subBucket - 1024)
    }

    /// The lowest and highest value of bucket `index`.
    public static func range(_ index: Int) -> (low: UInt64, high: UInt64) {
        if index < 2048 { return (UInt64(index), UInt64(index)) }
        let shift = (index - 2048) / 1024 + 1
        let subBucket = UInt64((index - 2048) % 1024 + 1024)
        let low = subBucket << UInt64(shift)
        return (low, low + (UInt64(1) << UInt64(shift)) - 1)
    }

    /// The middle value of bucket `index`.
    public static func middle(_ index: Int) -> Double {
        let (low, high) = range(index)
        return (Double(low) + Double(high)) / 2
    }

    /// Histogram units of a value in milliseconds: nanoseconds (k6 times carry ns precision).
    @inline(__always)
    public static func units(milliseconds value: Double) -> UInt64 {
        value <= 0 ? 0 : UInt64(min((value * 1e6).rounded(), 9.0e18))
    }
}

/// A series' latency distribution in one run: the non-empty buckets of ``HistogramLayout``
/// (values in ns) in ascending order, as streamed samples filled them.
public struct DistributionBuckets: Sendable, Equatable {
    /// One non-empty bucket.
    public struct Bucket: Sendable, Equatable {
        public var index: Int
        public var count: UInt64

        /// Creates a bucket.
        public init(index: Int, count: UInt64) {
            self.index = index
            self.count = count
        }
    }

    /// The buckets, indices ascending.
    public private(set) var buckets: [Bucket] = []
    /// The number of values.
    public private(set) var count: UInt64 = 0

    /// An empty distribution.
    public init() {}

    /// Appends a bucket above every bucket so far.
    public mutating func append(index: Int, count: UInt64) {
        precondition(buckets.last.map { $0.index < index } ?? true, "buckets out of order")
        buckets.append(Bucket(index: index, count: count))
        self.count += count
    }
}
