import Foundation
import PerfDBModel

/// A log-bucketed histogram for timeline cells: 5 % wide buckets from 1 µs, so percentiles per
/// time bucket are estimates within ±2.5 % at a fixed 1.6 KB per cell.
struct TimelineHistogram: Sendable {
    static let base = 1.05
    static let bucketCount = 420
    static let lowest = 0.001
    private(set) var counts = [UInt32](repeating: 0, count: bucketCount)
    private(set) var zeros = 0

    @inline(__always)
    mutating func record(_ value: Double) {
        guard value > Self.lowest else {
            zeros += 1
            return
        }
        let index = min(Self.bucketCount - 1, Int(log(value / Self.lowest) / log(Self.base)))
        counts[index] &+= 1
    }

    mutating func merge(_ other: TimelineHistogram) {
        for index in 0..<Self.bucketCount { counts[index] &+= other.counts[index] }
        zeros += other.zeros
    }

    /// The value at quantile `p`, geometric mid-point of its bucket.
    func quantile(_ p: Double, total: Int) -> Double? {
        guard total > 0 else { return nil }
        let rank = Int((p * Double(total - 1)).rounded(.down))
        if rank < zeros { return 0 }
        var seen = zeros
        for index in 0..<Self.bucketCount {
            seen += Int(counts[index])
            if seen > rank {
                return Self.lowest * pow(Self.base, Double(index) + 0.5)
            }
        }
        return nil
    }
}

/// One time bucket of a timeline series.
final class TimelineCell {
    var count = 0
    var sum = 0.0
    var nonZero = 0
    var minimum = Double.infinity
    var maximum = -Double.infinity
    var histogram: TimelineHistogram?

    init(trend: Bool) {
        if trend { histogram = TimelineHistogram() }
    }

    @inline(__always)
    func add(_ value: Double) {
        count += 1
        sum += value
        if value != 0 { nonZero += 1 }
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
        histogram?.record(value)
    }

    /// The cell as a stored bucket of a series of `type`; percentile estimates stay within the
    /// cell's exact minimum and maximum.
    func bucket(start: Date, type: MetricType, bucketSeconds: Double) -> TimelineBucket {
        switch type {
        case .trend:
            func estimate(_ level: Double) -> Double? {
                histogram?.quantile(level, total: count).map {
                    Swift.min(Swift.max($0, minimum), maximum)
                }
            }
            return TimelineBucket(
                start: start, count: count, avg: sum / Double(count), min: minimum, max: maximum,
                p50: estimate(0.5), p95: estimate(0.95), p99: estimate(0.99), rate: nil, sum: nil)
        case .rate:
            return TimelineBucket(
                start: start, count: count, avg: nil, min: nil, max: nil, p50: nil, p95: nil,
                p99: nil, rate: Double(nonZero) / Double(count), sum: nil)
        case .counter:
            return TimelineBucket(
                start: start, count: count, avg: nil, min: nil, max: nil, p50: nil, p95: nil,
                p99: nil, rate: sum / bucketSeconds, sum: sum)
        case .gauge:
            return TimelineBucket(
                start: start, count: count, avg: sum / Double(count), min: minimum, max: maximum,
                p50: nil, p95: nil, p99: nil, rate: nil, sum: nil)
        }
    }

    func merge(_ other: TimelineCell) {
        count += other.count
        sum += other.sum
        nonZero += other.nonZero
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        if let theirs = other.histogram { histogram?.merge(theirs) }
    }
}

/// The cells of one timeline series, with the newest cell cached.
final class TimelineTrack {
    let trend: Bool
    var cells: [Int64: TimelineCell] = [:]
    private var lastBucket = Int64.min
    private var lastCell: TimelineCell?

    init(trend: Bool) {
        self.trend = trend
    }

    @inline(__always)
    func add(_ value: Double, bucket: Int64) {
        if bucket == lastBucket, let cell = lastCell {
            cell.add(value)
            return
        }
        let cell: TimelineCell
        if let existing = cells[bucket] {
            cell = existing
        } else {
            cell = TimelineCell(trend: trend)
            cells[bucket] = cell
        }
        lastBucket = bucket
        lastCell = cell
        cell.add(value)
    }
}

/// A timeline series: a metric, optionally restricted to one tag value.
struct TimelineKey: Hashable {
    var metric: String
    var tag: String?
    var value: String?

    /// The timelines a point of `metric` with `tags` goes to: the metric overall, and
    /// `http_req_duration` per `name` and per `endpoint`.
    static func keys(metric: String, tags: [(String, String)]) -> [TimelineKey] {
        var keys = [TimelineKey(metric: metric, tag: nil, value: nil)]
        if metric == "http_req_duration" {
            for (key, value) in tags where key == "name" || key == "endpoint" {
                keys.append(TimelineKey(metric: metric, tag: key, value: value))
            }
        }
        return keys
    }
}

/// The timelines stage of a raw stream: each point's value in the time bucket of the
/// timelines it belongs to.
final class TimelineBuilder {
    let bucketNanoseconds: Int64
    private(set) var tracks: [TimelineKey: TimelineTrack] = [:]

    init(bucketSeconds: Double) {
        bucketNanoseconds = Int64(bucketSeconds * 1e9)
    }

    /// False when timelines are off (`--bucket 0`).
    var isOn: Bool { bucketNanoseconds > 0 }

    /// The tracks of these keys, created on first use.
    func tracks(_ keys: [TimelineKey], trend: Bool) -> [TimelineTrack] {
        keys.map { key in
            if let track = tracks[key] { return track }
            let track = TimelineTrack(trend: trend)
            tracks[key] = track
            return track
        }
    }

    /// The bucket of a time.
    @inline(__always)
    func bucket(_ time: Int64) -> Int64 {
        (time >= 0 ? time : time - bucketNanoseconds + 1) / bucketNanoseconds
    }

    /// Folds another worker's timelines into these.
    func merge(_ other: TimelineBuilder) {
        for (key, track) in other.tracks {
            let mine = tracks(([key]), trend: track.trend)[0]
            for (bucket, cell) in track.cells {
                if let existing = mine.cells[bucket] {
                    existing.merge(cell)
                } else {
                    mine.cells[bucket] = cell
                }
            }
        }
    }
}
