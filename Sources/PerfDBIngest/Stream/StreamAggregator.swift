import Foundation
import PerfDBModel

/// What a raw k6 stream says about one metric: its k6 type, what its values are, its
/// thresholds and the submetrics k6 made for it.
struct MetricInfo: Sendable, Equatable {
    var type: MetricType
    var contains: String?
    var thresholds: [ThresholdSpec]
    /// Submetric names in k6 notation (`http_req_duration{name:slow}`).
    var submetrics: [String] = []
}

/// A threshold as a k6 Metric line declares it.
struct ThresholdSpec: Sendable, Equatable {
    var expression: String
    var abortOnFail: Bool
}

/// How a stream's tags become series dimensions: k6's own name, method, status, group,
/// scenario, check and expected_response, `url` only where there is no `name`, and every tag
/// the script added; k6's other system tags (proto, tls_version, vu, iter, …) never.
struct TagPolicy: Sendable {
    /// System tags that never make a series.
    static let dropped: Set<String> = [
        "proto", "subproto", "tls_version", "error", "error_code", "service", "ip", "vu", "iter",
        "ocsp_status", "metadata", "time", "timestamp",
    ]
    /// k6's own tags that make series dimensions.
    static let k6Dimensions: Set<String> = [
        "name", "method", "status", "group", "scenario", "check", "expected_response", "url",
    ]
    /// More distinct values of one tag than this stop the ingest.
    var cardinalityLimit = 1000
    /// Tags the user drops too (`--drop-tag`).
    var extraDropped: Set<String> = []
}

/// One series' running figures inside a worker: exact count, sum, min, max and non-zero
/// count, the last value by time, and for trends an HdrHistogram of the values in ns.
final class SeriesAccumulator {
    let metric: Int
    let tagset: Int
    var count = 0
    var sum = 0.0
    var minimum = Double.infinity
    var maximum = -Double.infinity
    var nonZero = 0
    var lastValue = 0.0
    var lastTime = Int64.min
    /// Some value had a fraction (types of CSV metrics are told from their values).
    var fractional = false
    var histogram: PagedHistogram?
    /// The timelines this series' points also go to.
    var tracks: [TimelineTrack] = []

    init(metric: Int, tagset: Int, trend: Bool) {
        self.metric = metric
        self.tagset = tagset
        if trend { histogram = PagedHistogram() }
    }

    @inline(__always)
    func add(_ value: Double, time: Int64) {
        count += 1
        sum += value
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
        if value != 0 { nonZero += 1 }
        if value != value.rounded(.towardZero) { fractional = true }
        if time >= lastTime {
            lastTime = time
            lastValue = value
        }
        histogram?.record(HistogramLayout.units(milliseconds: value))
    }

    func merge(_ other: SeriesAccumulator) {
        count += other.count
        sum += other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        nonZero += other.nonZero
        fractional = fractional || other.fractional
        if other.lastTime >= lastTime {
            lastTime = other.lastTime
            lastValue = other.lastValue
        }
        if let theirs = other.histogram {
            if let mine = histogram {
                mine.merge(theirs)
            } else {
                let copy = PagedHistogram()
                copy.merge(theirs)
                histogram = copy
            }
        }
    }
}

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

/// Aggregates the points of one worker's chunks.
///
/// Metrics and tag sets are interned by their bytes; a series is a (metric, tag set) pair. Workers'
/// aggregators merge at the end.
final class StreamAggregator: @unchecked Sendable {
    let policy: TagPolicy
    /// Seconds per timeline bucket.
    let bucketNanoseconds: Int64
    /// Metric names, by id; the id of a name's bytes.
    private(set) var metricNames: [String] = []
    private var metricIDs: [[UInt8]: Int] = [:]
    /// Each metric's bytes, and the metric that followed it last, by id.
    private var metricBytes: [[UInt8]] = []
    private var successors: [Int] = []
    /// Metric bytes → id by quick hash, checked against the stored name.
    private var metricHashes: [UInt64: [(bytes: [UInt8], id: Int)]] = [:]
    private var lastMetricBytes: [UInt8] = []
    private var lastMetricID = -1
    /// Kept tag sets, by id (sorted key/value pairs); the id of a canonical key.
    private(set) var tagsets: [[(String, String)]] = []
    private var tagsetIDs: [String: Int] = [:]
    /// Raw tag bytes → tag set, by quick hash (entries keep their bytes to rule out collisions).
    private var rawTagsetIDs: [UInt64: [(bytes: [UInt8], id: Int)]] = [:]
    private var rawTagsetCount = 0
    private var lastRawTags: [UInt8] = []
    private var lastTagsetID = -1
    /// Series by (metric, tag set).
    private(set) var series: [SeriesAccumulator] = []
    private var seriesIDs: [Int: Int] = [:]
    /// Timelines of each metric overall, and of `http_req_duration` per `name`/`endpoint`.
    private(set) var timelines: [TimelineKey: TimelineTrack] = [:]
    /// Series by tag set, then metric.
    private var table: [[SeriesAccumulator?]] = []
    /// The first and last point times (ns since the epoch).
    private(set) var firstTime = Int64.max
    private(set) var lastTime = Int64.min
    private(set) var points = 0
    /// The whole seconds of the last sample's time, for the parser.
    let timeCache = TimeCache()
    private var metricTypes: [Int: MetricType] = [:]
    private var catalog: [String: MetricInfo]
    private let forcedTypes: [String: MetricType]

    /// A timeline series: a metric, optionally restricted to one tag value.
    struct TimelineKey: Hashable {
        var metric: String
        var tag: String?
        var value: String?
    }

    init(
        policy: TagPolicy, bucketSeconds: Double, catalog: [String: MetricInfo],
        forcedTypes: [String: MetricType] = [:]
    ) {
        self.policy = policy
        self.bucketNanoseconds = Int64(bucketSeconds * 1e9)
        self.catalog = catalog
        self.forcedTypes = forcedTypes
    }

    /// The catalog grows as the producer meets Metric lines.
    func updateCatalog(_ catalog: [String: MetricInfo]) {
        if catalog.count != self.catalog.count { self.catalog = catalog }
    }

    /// Adds one point.
    ///
    /// `tags` is the JSON text between the braces of the tags object.
    @inline(__always)
    func add(
        metric: UnsafeBufferPointer<UInt8>, value: Double, time: Int64,
        tags: UnsafeBufferPointer<UInt8>
    ) throws {
        points += 1
        if time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
        let metricID = try internMetric(metric)
        let tagsetID = try internTags(tags)
        if let accumulator = table[tagsetID][metricID] {
            accumulator.add(value, time: time)
            if !accumulator.tracks.isEmpty {
                let bucket = (time >= 0 ? time : time - bucketNanoseconds + 1) / bucketNanoseconds
                for track in accumulator.tracks { track.add(value, bucket: bucket) }
            }
            return
        }
        let type =
            metricTypes[metricID]
            ?? {
                let type = MetricTyping.provisional(
                    metricNames[metricID], catalog: catalog, forced: forcedTypes)
                metricTypes[metricID] = type
                return type
            }()
        let accumulator = SeriesAccumulator(
            metric: metricID, tagset: tagsetID, trend: type == .trend)
        if bucketNanoseconds > 0 {
            accumulator.tracks = timelineKeys(metricID: metricID, tagsetID: tagsetID).map { key in
                if let track = timelines[key] { return track }
                let track = TimelineTrack(trend: type == .trend)
                timelines[key] = track
                return track
            }
        }
        seriesIDs[metricID << 32 | tagsetID] = series.count
        series.append(accumulator)
        table[tagsetID][metricID] = accumulator
        accumulator.add(value, time: time)
        if bucketNanoseconds > 0 {
            let bucket = (time >= 0 ? time : time - bucketNanoseconds + 1) / bucketNanoseconds
            for track in accumulator.tracks { track.add(value, bucket: bucket) }
        }
    }

    private func timelineKeys(metricID: Int, tagsetID: Int) -> [TimelineKey] {
        let name = metricNames[metricID]
        var keys = [TimelineKey(metric: name, tag: nil, value: nil)]
        if name == "http_req_duration" {
            for (key, value) in tagsets[tagsetID] where key == "name" || key == "endpoint" {
                keys.append(TimelineKey(metric: name, tag: key, value: value))
            }
        }
        return keys
    }

    @inline(__always)
    private static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ stored: [UInt8]) -> Bool {
        guard bytes.count == stored.count else { return false }
        guard let base = bytes.baseAddress else { return stored.isEmpty }
        return stored.withUnsafeBufferPointer { storage in
            guard let other = storage.baseAddress else { return false }
            return memcmp(other, base, bytes.count) == 0
        }
    }

    @inline(__always)
    private func internMetric(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Int {
        if lastMetricID >= 0 {
            if Self.same(bytes, lastMetricBytes) { return lastMetricID }
            // k6 writes a request's metrics in a fixed order: try the metric that followed
            // this one last time before hashing.
            let next = successors[lastMetricID]
            if next >= 0 && Self.same(bytes, metricBytes[next]) {
                lastMetricBytes = metricBytes[next]
                lastMetricID = next
                return next
            }
        }
        let previous = lastMetricID
        let hash = quickHash(bytes)
        if let entries = metricHashes[hash] {
            for entry in entries where Self.same(bytes, entry.bytes) {
                if previous >= 0 { successors[previous] = entry.id }
                lastMetricBytes = entry.bytes
                lastMetricID = entry.id
                return entry.id
            }
        }
        let key = Array(bytes)
        let id: Int
        if let known = metricIDs[key] {
            id = known
        } else {
            guard let name = String(validating: key, as: UTF8.self) else {
                throw StreamLineError(message: "invalid UTF-8 in the metric name")
            }
            id = metricNames.count
            metricIDs[key] = id
            metricNames.append(name)
            metricBytes.append(key)
            successors.append(-1)
            for index in table.indices { table[index].append(nil) }
        }
        if previous >= 0 { successors[previous] = id }
        metricHashes[hash, default: []].append((key, id))
        lastMetricBytes = key
        lastMetricID = id
        return id
    }

    @inline(__always)
    private func internTags(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Int {
        if lastTagsetID >= 0 && Self.same(bytes, lastRawTags) { return lastTagsetID }
        let hash = quickHash(bytes)
        if let entries = rawTagsetIDs[hash] {
            for entry in entries where Self.same(bytes, entry.bytes) {
                lastRawTags = entry.bytes
                lastTagsetID = entry.id
                return entry.id
            }
        }
        let raw = Array(bytes)
        let id: Int
        let pairs = try Self.parseTags(bytes)
        let hasName = pairs.contains { $0.0 == "name" }
        // An empty value is no dimension (NDJSON writes the root group as "group":"", CSV
        // leaves the column empty): one series key whatever the format.
        var kept = pairs.filter { key, value in
            !value.isEmpty && !TagPolicy.dropped.contains(key)
                && !policy.extraDropped.contains(key) && !(key == "url" && hasName)
        }
        kept.sort { $0.0 < $1.0 }
        id = try internTagset(kept)
        // Per-VU or per-iteration raw tags would grow this map with the file: stop caching.
        if rawTagsetCount < 100_000 {
            rawTagsetIDs[hash, default: []].append((raw, id))
            rawTagsetCount += 1
        }
        lastRawTags = raw
        lastTagsetID = id
        return id
    }

    /// The id of a sorted list of kept tags, created on first sight.
    private func internTagset(_ kept: [(String, String)]) throws -> Int {
        let canonical = kept.map { "\($0.0)\u{1F}\($0.1)" }.joined(separator: "\u{1E}")
        if let known = tagsetIDs[canonical] { return known }
        let id = tagsets.count
        tagsetIDs[canonical] = id
        tagsets.append(kept)
        table.append([SeriesAccumulator?](repeating: nil, count: metricNames.count))
        try checkCardinality(kept)
        return id
    }

    private var distinctValues: [String: Set<String>] = [:]

    private func checkCardinality(_ pairs: [(String, String)]) throws {
        for (key, value) in pairs {
            var values = distinctValues[key, default: []]
            values.insert(value)
            distinctValues[key] = values
            if values.count > policy.cardinalityLimit {
                throw PerfDBError(
                    .badInput,
                    "tag \"\(key)\" has more than \(policy.cardinalityLimit) distinct values "
                        + "(e.g. \"\(value.prefix(60))\"): it would explode the series; drop it "
                        + "from the script or raise --max-tag-values")
            }
        }
    }

    /// Parses `"k":"v","k2":"v2"` (JSON escapes allowed) into pairs.
    static func parseTags(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [(String, String)] {
        if bytes.isEmpty { return [] }
        guard let inner = String(validating: bytes, as: UTF8.self) else {
            throw StreamLineError(message: "invalid UTF-8 in the tags")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(("{" + inner + "}").utf8))
        } catch {
            throw StreamLineError(message: "tags are not a JSON object: \(error.message)")
        }
        guard let object = document.objectValue else {
            throw StreamLineError(message: "tags are not a JSON object")
        }
        return try object.members.map { member in
            switch member.value {
            case .string(let value): return (member.key, value)
            case .null: return (member.key, "")
            case .number(let number): return (member.key, JSONWriter.formatNumber(number))
            case .bool(let flag): return (member.key, flag ? "true" : "false")
            default: throw StreamLineError(message: "tag \"\(member.key)\" is not a string")
            }
        }
    }

    /// Folds another worker's aggregate into this one.
    func merge(_ other: StreamAggregator) throws {
        points += other.points
        firstTime = min(firstTime, other.firstTime)
        lastTime = max(lastTime, other.lastTime)
        for (index, theirs) in other.series.enumerated() {
            _ = index
            let name = other.metricNames[theirs.metric]
            let metricID: Int
            if let known = metricIDs[Array(name.utf8)] {
                metricID = known
            } else {
                metricID = metricNames.count
                metricIDs[Array(name.utf8)] = metricID
                metricNames.append(name)
                metricBytes.append(Array(name.utf8))
                successors.append(-1)
                for row in table.indices { table[row].append(nil) }
            }
            let tagsetID = try internTagset(other.tagsets[theirs.tagset])
            let key = metricID << 32 | tagsetID
            if let mine = seriesIDs[key] {
                series[mine].merge(theirs)
            } else {
                let copy = SeriesAccumulator(metric: metricID, tagset: tagsetID, trend: false)
                copy.merge(theirs)
                seriesIDs[key] = series.count
                series.append(copy)
            }
        }
        for (key, track) in other.timelines {
            let mine =
                timelines[key]
                ?? {
                    let created = TimelineTrack(trend: track.trend)
                    timelines[key] = created
                    return created
                }()
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
