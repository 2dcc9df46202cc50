import Foundation
import PerfDBModel

/// The last stage of a raw stream: the merged aggregate as the batch perfdb stores, step by
/// step — the run's span, labels, checks, metric types, series (each metric folded on its own
/// core), thresholds and timelines.
struct StreamFolder {
    let result: StreamResult
    let format: InputFormat
    let options: StreamOptions
    /// The input's name, for messages.
    let name: String

    private var aggregator: StreamAggregator { result.aggregator }

    /// The batch.
    func batch() throws -> IngestBatch {
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
        let labels = labels()
        batch.labels = labels
        batch.checks = checks()
        let (types, guesses) = metricTypes()
        if !guesses.isEmpty {
            batch.warnings.append(
                "\(name): the stream does not say the type of \(guesses.count) metric(s); "
                    + "read " + guesses.joined(separator: ", ")
                    + ". Set --metric-type NAME=TYPE (or ingest.metric_types in perfdb.yml) to "
                    + "say otherwise")
        }
        let folded = try series(
            types: types, labelKeys: Set(labels.keys),
            durationSeconds: max(last.timeIntervalSince(first), 1e-9))
        batch.series = folded.series
        batch.distributions = folded.distributions
        addThresholds(to: &batch)
        batch.timelines = timelines(types: types)
        return batch
    }

    /// Tags the script or `--tag` added that have one value across the run: labels, not
    /// dimensions (k6's own dimensions stay, so `{expected_response:true}` is there as in
    /// k6's summary).
    private func labels() -> [String: String] {
        var values: [String: Set<String>] = [:]
        for tagset in aggregator.tagsets {
            for (key, value) in tagset { values[key, default: []].insert(value) }
        }
        var labels: [String: String] = [:]
        for (key, seen) in values
        where seen.count == 1 && !K6Catalogue.dimensionTags.contains(key) {
            labels[key] = seen.first
        }
        return labels
    }

    /// Checks per group, from the `checks` metric's `check` and `group` tags.
    private func checks() -> [CheckValue] {
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
        return checks.values.sorted { ($0.groupPath, $0.name) < ($1.groupPath, $1.name) }
    }

    /// Each metric's type (``MetricTyping``), and the guesses made for metrics the stream does
    /// not type.
    private func metricTypes() -> (types: [String: MetricType], guesses: [String]) {
        var values: [String: MetricTyping.Values] = [:]
        for accumulator in aggregator.series {
            values[aggregator.metricNames[accumulator.metric], default: .init()].add(
                count: accumulator.count, minimum: accumulator.minimum,
                maximum: accumulator.maximum, fractional: accumulator.fractional)
        }
        var types: [String: MetricType] = [:]
        var guesses: [String] = []
        for (metric, seen) in values.sorted(by: { $0.key < $1.key }) {
            let decided = MetricTyping.decide(
                metric, catalog: result.catalog, forced: options.metricTypes, values: seen)
            types[metric] = decided.type
            if let guess = decided.guess {
                guesses.append("\(metric) as \(decided.type.rawValue) (\(guess))")
            }
        }
        return (types, guesses)
    }

    /// The series perfdb stores, metric by metric: metrics are independent, so they fold on
    /// both cores, one metric's histograms alive at a time on each, then keep their order.
    private func series(
        types: [String: MetricType], labelKeys: Set<String>, durationSeconds: Double
    )
        throws -> (series: [SeriesValues], distributions: [SeriesKey: DistributionBuckets])
    {
        var byMetric: [Int: [SeriesAccumulator]] = [:]
        for accumulator in aggregator.series {
            byMetric[accumulator.metric, default: []].append(accumulator)
        }
        let metrics = byMetric.sorted {
            aggregator.metricNames[$0.key] < aggregator.metricNames[$1.key]
        }
        let outcomes = Locked(
            [Result<K6StreamAdapter.Folded, PerfDBError>?](repeating: nil, count: metrics.count))
        let work = UncheckedBox((metrics, aggregator.metricNames, aggregator.tagsets))
        let catalog = result.catalog
        let file = name
        DispatchQueue.concurrentPerform(iterations: metrics.count) { index in
            let (metricID, accumulators) = work.value.0[index]
            let metric = work.value.1[metricID]
            let percentiles = (catalog[metric]?.thresholds ?? []).compactMap {
                ThresholdExpression($0.expression)?.percentile
            }.filter { ![50, 90, 95, 99].contains($0) }
            let outcome: Result<K6StreamAdapter.Folded, PerfDBError>
            do {
                outcome = .success(
                    try K6StreamAdapter.fold(
                        metric: metric, metricID: metricID, accumulators: accumulators,
                        type: types[metric] ?? .trend, contains: catalog[metric]?.contains,
                        submetrics: catalog[metric]?.submetrics ?? [], percentiles: percentiles,
                        tagsets: work.value.2, labelKeys: labelKeys,
                        durationSeconds: durationSeconds, file: file))
            } catch let error as PerfDBError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(PerfDBError(.internal, "\(error)"))
            }
            outcomes.withLock { $0[index] = outcome }
        }
        var series: [SeriesValues] = []
        var distributions: [SeriesKey: DistributionBuckets] = [:]
        for outcome in outcomes.withLock({ $0 }) {
            guard let folded = try outcome?.get() else { continue }
            series += folded.series
            distributions.merge(folded.distributions) { a, _ in a }
        }
        return (series, distributions)
    }

    /// Thresholds, evaluated on each metric overall as k6 does.
    ///
    /// One that crosses with abortOnFail means k6 stopped the test. Submetrics of the script's thresholds are noted:
    /// their thresholds are in no line of the stream.
    private func addThresholds(to batch: inout IngestBatch) {
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
            batch.submetricsWithoutThresholds += info.submetrics.filter {
                !K6Catalogue.ownSubmetrics.contains($0)
            }
        }
    }

    /// The timelines, each bucket's figures as its metric's type has them.
    private func timelines(types: [String: MetricType]) -> [TimelineSeries] {
        let bucketSeconds = options.bucketSeconds
        return aggregator.timelines.tracks.map { key, track in
            let type = types[key.metric] ?? .trend
            let buckets = track.cells.sorted { $0.key < $1.key }.map { bucket, cell in
                cell.bucket(
                    start: Date(timeIntervalSince1970: Double(bucket) * bucketSeconds), type: type,
                    bucketSeconds: bucketSeconds)
            }
            return TimelineSeries(
                key: key.tag.map {
                    SeriesKey(metric: key.metric, tags: [SeriesKey.Tag($0, key.value ?? "")])
                } ?? SeriesKey(metric: key.metric),
                type: type,
                unit: K6Catalogue.unit(
                    metric: key.metric, type: type, contains: result.catalog[key.metric]?.contains),
                direction: K6Catalogue.direction(metric: key.metric, type: type),
                bucketSeconds: bucketSeconds, buckets: buckets)
        }.sorted { $0.key < $1.key }
    }
}
