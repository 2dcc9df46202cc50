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

/// The aggregation stage of a raw stream, one per parser.
///
/// Each point goes to its series' running figures (interned by ``SeriesInterner``) and to its
/// timelines (``TimelineBuilder``). Parsers' aggregates merge at the end.
final class StreamAggregator {
    let interner: SeriesInterner
    let timelines: TimelineBuilder
    /// Series by (metric, tag set), in order of first sight.
    private(set) var series: [SeriesAccumulator] = []
    private var seriesIDs: [Int: Int] = [:]
    /// Series by tag set, then metric.
    private var table: [[SeriesAccumulator?]] = []
    /// The first and last point times (ns since the epoch).
    private(set) var firstTime = Int64.max
    private(set) var lastTime = Int64.min
    private(set) var points = 0
    /// The whole seconds of the last sample's time, for the parser.
    let timeCache = TimeCache()
    private var metricTypes: [Int: MetricType] = [:]
    private var catalog: [String: MetricInfo] = [:]
    private let forcedTypes: [String: MetricType]

    init(policy: TagPolicy, bucketSeconds: Double, forcedTypes: [String: MetricType] = [:]) {
        interner = SeriesInterner(policy: policy)
        timelines = TimelineBuilder(bucketSeconds: bucketSeconds)
        self.forcedTypes = forcedTypes
    }

    var metricNames: [String] { interner.metricNames }
    var tagsets: [[(String, String)]] { interner.tagsets }

    /// The catalog grows as the reader meets Metric lines.
    func updateCatalog(_ catalog: [String: MetricInfo]) {
        if catalog.count != self.catalog.count { self.catalog = catalog }
    }

    /// Adds a point whose tags are the JSON text between the braces of its tags object.
    @inline(__always)
    func add(
        metric: UnsafeBufferPointer<UInt8>, value: Double, time: Int64,
        jsonTags: UnsafeBufferPointer<UInt8>
    ) throws {
        add(
            metric: try interner.metric(metric), tagset: try interner.tags(json: jsonTags),
            value: value, time: time)
    }

    /// Adds a point whose tags are already read.
    func add(
        metric: UnsafeBufferPointer<UInt8>, value: Double, time: Int64, tags: [(String, String)]
    ) throws {
        add(
            metric: try interner.metric(metric), tagset: try interner.tags(tags), value: value,
            time: time)
    }

    @inline(__always)
    private func add(metric metricID: Int, tagset tagsetID: Int, value: Double, time: Int64) {
        points += 1
        if time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
        if tagsetID < table.count, metricID < table[tagsetID].count,
            let accumulator = table[tagsetID][metricID]
        {
            accumulator.add(value, time: time)
            if !accumulator.tracks.isEmpty {
                let bucket = timelines.bucket(time)
                for track in accumulator.tracks { track.add(value, bucket: bucket) }
            }
            return
        }
        let accumulator = accumulator(metric: metricID, tagset: tagsetID)
        accumulator.add(value, time: time)
        if !accumulator.tracks.isEmpty {
            let bucket = timelines.bucket(time)
            for track in accumulator.tracks { track.add(value, bucket: bucket) }
        }
    }

    /// The accumulator of a (metric, tag set) seen for the first time.
    private func accumulator(metric metricID: Int, tagset tagsetID: Int) -> SeriesAccumulator {
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
        if timelines.isOn {
            accumulator.tracks = timelines.tracks(
                TimelineKey.keys(metric: metricNames[metricID], tags: tagsets[tagsetID]),
                trend: type == .trend)
        }
        seriesIDs[metricID << 32 | tagsetID] = series.count
        series.append(accumulator)
        while table.count <= tagsetID { table.append([]) }
        if table[tagsetID].count <= metricID {
            table[tagsetID].append(
                contentsOf: repeatElement(nil, count: metricID + 1 - table[tagsetID].count))
        }
        table[tagsetID][metricID] = accumulator
        return accumulator
    }

    /// Folds another parser's aggregate into this one.
    func merge(_ other: StreamAggregator) throws {
        points += other.points
        firstTime = min(firstTime, other.firstTime)
        lastTime = max(lastTime, other.lastTime)
        for theirs in other.series {
            let metricID = interner.metric(named: other.metricNames[theirs.metric])
            let tagsetID = try interner.tagset(other.tagsets[theirs.tagset])
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
        timelines.merge(other.timelines)
    }
}
