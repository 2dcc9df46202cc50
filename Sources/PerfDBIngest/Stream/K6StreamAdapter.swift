import Foundation
import PerfDBModel

/// k6's raw stream — `--out json` NDJSON or `--out csv`, plain or gzip — read in one pass into
/// an ``IngestBatch``: per series exact count/sum/min/max and HdrHistogram percentiles, the
/// metric overall, each single-tag submetric (`http_req_duration{endpoint:reservations}`, as
/// k6 names them) and each full tag set; a mergeable distribution per trend series; timelines;
/// thresholds evaluated as k6 does; checks per group.
enum K6StreamAdapter {
    /// How many first bytes detection looks at.
    static let detectionLength = 64 << 10

    /// Whether the first decompressed bytes look like one of the raw formats.
    static func detect(_ prefix: [UInt8]) -> InputFormat? {
        var start = 0
        if prefix.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < prefix.count, [0x20, 0x09, 0x0A, 0x0D].contains(prefix[start]) { start += 1 }
        let end = prefix[start...].firstIndex(of: UInt8(ascii: "\n")) ?? prefix.count
        let first = String(decoding: prefix[start..<end], as: UTF8.self)
        if first.hasPrefix("metric_name,") && first.contains("metric_value") { return .k6CSV }
        // A first line longer than the whole prefix is still a stream (refused as too long).
        if first.hasPrefix("{") && (end < prefix.count || prefix.count >= detectionLength)
            && (first.contains(#""type":"Metric""#) || first.contains(#""type":"Point""#))
        {
            return .k6NDJSON
        }
        return nil
    }

    /// Reads the stream and builds the batch, with the stream's digest (and the legacy one
    /// when asked for).
    static func read(
        _ stream: ByteStream, prefix: [UInt8], format: InputFormat, options: StreamOptions
    ) throws -> (batch: IngestBatch, digest: String, legacyDigest: String?) {
        let result = try StreamPipeline.run(
            stream, prefix: prefix, format: format == .k6CSV ? .csv : .ndjson, options: options)
        guard result.aggregator.points > 0 else {
            throw PerfDBError.badInput(stream.name, "no k6 samples in the stream")
        }
        let batch = try StreamFolder(
            result: result, format: format, options: options, name: stream.name
        ).batch()
        return (batch, result.digest, result.legacyDigest)
    }
}

extension K6StreamAdapter {
    /// One metric's series and distributions.
    typealias Folded = (series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets])

    /// One metric's series: overall, each single-tag submetric and each full tag set, with
    /// their statistics and encoded distributions.
    ///
    /// The metric overall and the `submetrics` its Metric line declares (k6 notation) are
    /// declared series, the rest views of its tags.
    static func fold(
        metric: String, metricID: Int, accumulators: [SeriesAccumulator], type: MetricType,
        contains: String?, submetrics: [String] = [], percentiles: [Double],
        tagsets: [[(String, String)]], labelKeys: Set<String>, durationSeconds: Double,
        file: String
    ) throws -> Folded {
        let declared = Set(submetrics.compactMap { SeriesKey(parsing: $0) })
        var groups: [SeriesKey: SeriesAccumulator] = [:]
        func add(_ key: SeriesKey, _ accumulator: SeriesAccumulator) {
            if let existing = groups[key] {
                existing.merge(accumulator)
            } else {
                let copy = SeriesAccumulator(
                    metric: metricID, tagset: accumulator.tagset, trend: false)
                copy.merge(accumulator)
                groups[key] = copy
            }
        }
        for accumulator in accumulators {
            let tags = tagsets[accumulator.tagset].filter { !labelKeys.contains($0.0) }
            add(SeriesKey(metric: metric), accumulator)
            for (key, value) in tags {
                add(SeriesKey(metric: metric, tags: [SeriesKey.Tag(key, value)]), accumulator)
            }
            if tags.count > 1 {
                add(
                    SeriesKey(metric: metric, tags: tags.map { SeriesKey.Tag($0.0, $0.1) }),
                    accumulator)
            }
        }
        let unit = K6Catalogue.unit(metric: metric, type: type, contains: contains)
        var series: [SeriesValues] = []
        var distributions: [SeriesKey: DistributionBuckets] = [:]
        for (key, accumulator) in groups.sorted(by: { $0.key < $1.key }) {
            let statistics = try statistics(
                accumulator, type: type, durationSeconds: durationSeconds,
                percentiles: key.tags.isEmpty ? percentiles : [], name: key.name, file: file)
            if type == .trend, let histogram = accumulator.histogram, histogram.totalCount > 0 {
                distributions[key] = histogram.buckets()
            }
            series.append(
                SeriesValues(
                    key: key, type: type, unit: unit,
                    direction: K6Catalogue.direction(metric: metric, type: type),
                    statistics: statistics, declared: key.tags.isEmpty || declared.contains(key)))
        }
        return (series, distributions)
    }

    /// A series' statistics as a k6 summary names them; `percentiles` adds more (in %, such as
    /// 99.9 for `p99.9`) to a trend's med, p90, p95 and p99.
    static func statistics(
        _ accumulator: SeriesAccumulator, type: MetricType, durationSeconds: Double,
        percentiles: [Double] = [], name: String, file: String
    ) throws -> [(name: String, value: Double)] {
        var statistics: [(name: String, value: Double)]
        switch type {
        case .trend:
            let levels =
                accumulator.histogram?.quantiles(
                    [0.5, 0.9, 0.95, 0.99] + percentiles.map { $0 / 100 })
                ?? []
            func clamp(_ nanoseconds: Double??) -> Double {
                guard let value = nanoseconds ?? nil else { return accumulator.maximum }
                return min(max(value / 1e6, accumulator.minimum), accumulator.maximum)
            }
            statistics = [
                ("avg", accumulator.sum / Double(accumulator.count)), ("min", accumulator.minimum),
                ("med", clamp(levels.first)), ("max", accumulator.maximum),
                ("p90", clamp(levels.count > 1 ? levels[1] : nil)),
                ("p95", clamp(levels.count > 2 ? levels[2] : nil)),
                ("p99", clamp(levels.count > 3 ? levels[3] : nil)),
                ("count", Double(accumulator.count)),
            ]
            for (index, level) in percentiles.enumerated() {
                statistics.append(
                    (
                        ThresholdExpression.statisticName(percentile: level),
                        clamp(levels.count > 4 + index ? levels[4 + index] : nil)
                    ))
            }
        case .counter:
            statistics = [("count", accumulator.sum), ("rate", accumulator.sum / durationSeconds)]
        case .rate:
            statistics = [
                ("rate", Double(accumulator.nonZero) / Double(accumulator.count)),
                ("passes", Double(accumulator.nonZero)),
                ("fails", Double(accumulator.count - accumulator.nonZero)),
            ]
        case .gauge:
            statistics = [
                ("value", accumulator.lastValue), ("min", accumulator.minimum),
                ("max", accumulator.maximum),
            ]
        }
        for (statistic, value) in statistics
        where !value.isFinite || abs(value) > FieldReader.absurdMagnitude {
            throw PerfDBError.badInput(file, "absurd \(statistic) \(value) of \(name)")
        }
        return statistics
    }
}

/// A k6 threshold expression: `p(95)<3000`, `rate<0.01`, `avg<=200`, `count>10`, `value>0`.
struct ThresholdExpression {
    let statistic: String
    let comparator: String
    let bound: Double

    init?(_ text: String) {
        let compact = text.replacingOccurrences(of: " ", with: "")
        for comparator in ["<=", ">=", "===", "==", "!=", "<", ">"] {
            guard let range = compact.range(of: comparator) else { continue }
            var name = String(compact[..<range.lowerBound])
            guard let bound = Double(compact[range.upperBound...]) else { return nil }
            if name.hasPrefix("p("), name.hasSuffix(")") {
                guard let level = Double(name.dropFirst(2).dropLast()), (0...100).contains(level)
                else { return nil }
                name = Self.statisticName(percentile: level)
            }
            statistic = name
            self.comparator = comparator
            self.bound = bound
            return
        }
        return nil
    }

    /// The percentile the expression is on (99.9 for `p(99.9)<…`), if it is on one.
    var percentile: Double? {
        guard statistic.hasPrefix("p") else { return nil }
        return Double(statistic.dropFirst())
    }

    /// The stored name of a percentile: `p95`, `p99.9` (`med` is `p50`).
    static func statisticName(percentile: Double) -> String {
        if percentile == 50 { return "med" }
        return "p"
            + (percentile == percentile.rounded() ? String(Int(percentile)) : String(percentile))
    }

    func holds(_ series: SeriesValues) -> Bool? {
        guard let value = series.statistics.first(where: { $0.name == statistic })?.value else {
            return nil
        }
        switch comparator {
        case "<": return value < bound
        case "<=": return value <= bound
        case ">": return value > bound
        case ">=": return value >= bound
        case "==", "===": return value == bound
        case "!=": return value != bound
        default: return nil
        }
    }
}
