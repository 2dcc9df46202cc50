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

    /// Reads the stream and builds the batch.
    static func read(
        _ stream: ByteStream, prefix: [UInt8], format: InputFormat, options: StreamOptions
    ) throws -> (IngestBatch, String) {
        let clock = ContinuousClock()
        let began = clock.now
        let result = try StreamPipeline.run(
            stream, prefix: prefix, format: format == .k6CSV ? .csv : .ndjson, options: options)
        let parsed = clock.now
        defer {
            if ProcessInfo.processInfo.environment["PERFDB_TIMING"] != nil {
                FileHandle.standardError.write(
                    Data("timing: pass \(parsed - began), series \(clock.now - parsed)\n".utf8))
            }
        }
        let aggregator = result.aggregator
        guard aggregator.points > 0 else {
            throw PerfDBError.badInput(stream.name, "no k6 samples in the stream")
        }
        var batch = IngestBatch(kind: .load, tool: "k6", format: format, status: .passed)
        batch.points = aggregator.points
        batch.incomplete = result.incomplete
        batch.skippedLines = result.skippedLines
        batch.warnings = result.warnings
        if result.incomplete { batch.status = .aborted }
        let first = Date(timeIntervalSince1970: Double(aggregator.firstTime) / 1e9)
        let last = Date(timeIntervalSince1970: Double(aggregator.lastTime) / 1e9)
        batch.startedAt = first
        batch.endedAt = last
        batch.durationMs = last.timeIntervalSince(first) * 1000
        let durationSeconds = max(last.timeIntervalSince(first), 1e-9)

        // Tags the script or `--tag` added that have one value across the run are labels, not
        // dimensions (k6's own dimensions stay, so `{expected_response:true}` is there as in
        // k6's summary).
        var values: [String: Set<String>] = [:]
        for tagset in aggregator.tagsets {
            for (key, value) in tagset { values[key, default: []].insert(value) }
        }
        let labelKeys = Set(
            values.filter { $0.value.count == 1 && !TagPolicy.k6Dimensions.contains($0.key) }.keys)
        for key in labelKeys { batch.labels[key] = values[key]?.first }

        // Checks per group, before the labels leave the tag sets.
        var checks: [String: CheckValue] = [:]
        for accumulator in aggregator.series
        where aggregator.metricNames[accumulator.metric] == "checks" {
            let tags = Dictionary(
                aggregator.tagsets[accumulator.tagset], uniquingKeysWith: { a, _ in a })
            guard let name = tags["check"] else { continue }
            let group = tags["group"] ?? ""
            var check =
                checks["\(group)\u{1F}\(name)"]
                ?? CheckValue(groupPath: group, name: name, passes: 0, fails: 0)
            check.passes += accumulator.nonZero
            check.fails += accumulator.count - accumulator.nonZero
            checks["\(group)\u{1F}\(name)"] = check
        }
        batch.checks = checks.values.sorted { ($0.groupPath, $0.name) < ($1.groupPath, $1.name) }

        // Group the accumulators into the series perfdb stores, one metric at a time so only
        // that metric's histograms are alive.
        var byMetric: [Int: [SeriesAccumulator]] = [:]
        for accumulator in aggregator.series {
            byMetric[accumulator.metric, default: []].append(accumulator)
        }
        var types: [String: MetricType] = [:]
        let metrics = byMetric.sorted {
            aggregator.metricNames[$0.key] < aggregator.metricNames[$1.key]
        }
        var guesses: [String] = []
        for (metricID, accumulators) in metrics {
            let metric = aggregator.metricNames[metricID]
            var values = MetricTyping.Values()
            for accumulator in accumulators {
                values.add(
                    count: accumulator.count, minimum: accumulator.minimum,
                    maximum: accumulator.maximum, fractional: accumulator.fractional)
            }
            let decided = MetricTyping.decide(
                metric, catalog: result.catalog, forced: options.metricTypes, values: values)
            types[metric] = decided.type
            if let guess = decided.guess {
                guesses.append("\(metric) as \(decided.type.rawValue) (\(guess))")
            }
        }
        if !guesses.isEmpty {
            batch.warnings.append(
                "\(stream.name): the stream does not say the type of \(guesses.count) metric(s); "
                    + "read " + guesses.joined(separator: ", ")
                    + ". Set --metric-type NAME=TYPE (or ingest.metric_types in perfdb.yml) to "
                    + "say otherwise")
        }
        // Percentiles the thresholds name besides those always stored (p(99.9)).
        var thresholdPercentiles: [String: [Double]] = [:]
        for (metric, info) in result.catalog {
            let levels = info.thresholds.compactMap {
                ThresholdExpression($0.expression)?.percentile
            }
            thresholdPercentiles[metric] = levels.filter { ![50, 90, 95, 99].contains($0) }
        }
        // Metrics are independent: fold them on both cores, then keep their order.
        let outcomes = MetricOutcomes(count: metrics.count)
        let work = UncheckedBox(metrics)
        let file = stream.name
        let catalog = result.catalog
        let metricTypes = types
        let percentiles = thresholdPercentiles
        DispatchQueue.concurrentPerform(iterations: metrics.count) { index in
            let (metricID, accumulators) = work.value[index]
            let metric = aggregator.metricNames[metricID]
            do {
                outcomes.store(
                    index,
                    try Self.fold(
                        metric: metric, metricID: metricID, accumulators: accumulators,
                        type: metricTypes[metric] ?? .trend, contains: catalog[metric]?.contains,
                        percentiles: percentiles[metric] ?? [],
                        tagsets: aggregator.tagsets, labelKeys: labelKeys,
                        durationSeconds: durationSeconds, file: file))
            } catch {
                outcomes.fail(error)
            }
        }
        if let failure = outcomes.failure { throw failure }
        for outcome in outcomes.results {
            batch.series.append(contentsOf: outcome.series)
            batch.distributions.merge(outcome.distributions) { a, _ in a }
        }

        // Thresholds, evaluated on each metric overall as k6 does; one that crosses with
        // abortOnFail means k6 stopped the test.
        let byName = Dictionary(batch.series.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for (metric, info) in result.catalog.sorted(by: { $0.key < $1.key }) {
            let key = SeriesKey(metric: metric)
            for threshold in info.thresholds {
                let passed = byName[key].flatMap {
                    ThresholdExpression(threshold.expression)?.holds($0)
                }
                batch.thresholds.append(
                    ThresholdValue(
                        series: key, expression: threshold.expression, passed: passed,
                        abortOnFail: threshold.abortOnFail))
                if passed == false {
                    batch.status =
                        threshold.abortOnFail || batch.status == .aborted ? .aborted : .failed
                }
            }
            // k6 makes a submetric for each threshold on one (and one of its own for the
            // summary); their thresholds are in no line of the stream.
            batch.submetricsWithoutThresholds += info.submetrics.filter {
                $0 != "http_req_duration{expected_response:true}"
            }
        }

        // Timelines.
        for (key, track) in aggregator.timelines {
            let cells = track.cells
            let seriesKey =
                key.tag.map {
                    SeriesKey(metric: key.metric, tags: [SeriesKey.Tag($0, key.value ?? "")])
                }
                ?? SeriesKey(metric: key.metric)
            let type = types[key.metric] ?? .trend
            let buckets = cells.sorted { $0.key < $1.key }.map { bucket, cell in
                let start = Date(timeIntervalSince1970: Double(bucket) * options.bucketSeconds)
                switch type {
                case .trend:
                    // Bucket estimates stay within the cell's exact minimum and maximum.
                    func estimate(_ level: Double) -> Double? {
                        cell.histogram?.quantile(level, total: cell.count).map {
                            Swift.min(Swift.max($0, cell.minimum), cell.maximum)
                        }
                    }
                    return TimelineBucket(
                        start: start, count: cell.count, avg: cell.sum / Double(cell.count),
                        min: cell.minimum, max: cell.maximum, p50: estimate(0.5),
                        p95: estimate(0.95), p99: estimate(0.99), rate: nil, sum: nil)
                case .rate:
                    return TimelineBucket(
                        start: start, count: cell.count, avg: nil, min: nil, max: nil, p50: nil,
                        p95: nil, p99: nil, rate: Double(cell.nonZero) / Double(cell.count),
                        sum: nil)
                case .counter:
                    return TimelineBucket(
                        start: start, count: cell.count, avg: nil, min: nil, max: nil, p50: nil,
                        p95: nil, p99: nil, rate: cell.sum / options.bucketSeconds, sum: cell.sum)
                case .gauge:
                    return TimelineBucket(
                        start: start, count: cell.count, avg: cell.sum / Double(cell.count),
                        min: cell.minimum, max: cell.maximum, p50: nil, p95: nil, p99: nil,
                        rate: nil, sum: nil)
                }
            }
            batch.timelines.append(
                TimelineSeries(
                    key: seriesKey, type: type,
                    unit: MetricDefaults.unit(
                        metric: key.metric, type: type,
                        contains: result.catalog[key.metric]?.contains),
                    direction: MetricDefaults.direction(metric: key.metric, type: type),
                    bucketSeconds: options.bucketSeconds, buckets: buckets))
        }
        batch.timelines.sort { $0.key < $1.key }
        return (batch, result.digest)
    }
}

/// Hands values that are only read to the folding threads.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The per-metric results of folding, filled from several threads.
private final class MetricOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [(series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets])?]
    private(set) var failure: Error?

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func store(
        _ index: Int,
        _ outcome: (series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets])
    ) {
        lock.lock()
        slots[index] = outcome
        lock.unlock()
    }

    func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    var results: [(series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets])] {
        slots.compactMap { $0 }
    }
}

extension K6StreamAdapter {
    /// One metric's series: overall, each single-tag submetric and each full tag set, with
    /// their statistics and encoded distributions.
    static func fold(
        metric: String, metricID: Int, accumulators: [SeriesAccumulator], type: MetricType,
        contains: String?, percentiles: [Double], tagsets: [[(String, String)]],
        labelKeys: Set<String>, durationSeconds: Double, file: String
    ) throws -> (series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets]) {
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
        let unit = MetricDefaults.unit(metric: metric, type: type, contains: contains)
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
                    direction: MetricDefaults.direction(metric: metric, type: type),
                    statistics: statistics))
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
