import Foundation
import PerfDBModel

/// Locust's `--json-file` report: an array of entries, one per request name and type, each with
/// its counts, timing and the response times bucketed as Locust keeps them
/// (`{"27": 46, "150": 2}`: rounded milliseconds → requests).
///
/// The figures are Locust's own: percentiles by its nearest-rank rule on its buckets, the
/// median clamped to the exact minimum and maximum, the overall series its Aggregated row rebuilt
/// by merging the entries (docs/formats.md).
struct LocustJSONAdapter: InputAdapter {
    static let format = InputFormat.locustJSON

    static func recognizes(_ document: JSONValue) -> Bool {
        guard let entries = document.arrayValue, !entries.isEmpty else { return false }
        return entries.allSatisfy { entry in
            guard let object = entry.objectValue else { return false }
            return object["name"] != nil && object["num_requests"] != nil
                && object["response_times"] != nil
        }
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let elements = try reader.array(document, "(document)")
        guard !elements.isEmpty else {
            throw reader.fail("(document)", "no entries: an empty Locust report measured nothing")
        }
        var entries: [LocustEntry] = []
        var seen: Set<String> = []
        for (index, element) in elements.enumerated() {
            let entry = try LocustEntry(element, path: "[\(index)]", reader: reader)
            guard seen.insert("\(entry.method ?? "")\u{0}\(entry.name)").inserted else {
                throw reader.fail(
                    "[\(index)]", "\(entry.method ?? "") \(entry.name) is listed twice")
            }
            entries.append(entry)
        }
        var total = LocustEntry.aggregated
        for entry in entries { total.extend(entry) }
        var run = LocustRun(format: format)
        let elapsed = total.elapsedSeconds
        for entry in entries { run.add(entry.figures(elapsedSeconds: elapsed)) }
        run.add(total.figures(elapsedSeconds: elapsed))
        var batch = run.batch
        batch.startedAt = Date(timeIntervalSince1970: total.startTime)
        if let last = total.lastRequestTimestamp {
            batch.endedAt = Date(timeIntervalSince1970: last)
            batch.durationMs = (last - total.startTime) * 1000
        }
        batch.timelines = total.perSecondTimelines()
        return batch
    }
}

/// One entry of a Locust JSON report (or the Aggregated total built from them), with Locust's
/// arithmetic over it.
struct LocustEntry {
    /// The request type (`GET`, `POST`, a custom type); nil for the Aggregated total.
    var method: String?
    var name: String
    var requests = 0
    /// Requests logged without a response time.
    var noneRequests = 0
    var failures = 0
    var totalResponseTime = 0.0
    var minResponseTime: Double?
    var maxResponseTime = 0.0
    /// Rounded response time (ms) → requests.
    var responseTimes: [Double: Int] = [:]
    /// Unix seconds.
    var startTime = Double.infinity
    var lastRequestTimestamp: Double?
    /// Unix second → requests, failures.
    var requestsPerSecond: [Int: Int] = [:]
    var failuresPerSecond: [Int: Int] = [:]

    /// The empty Aggregated total.
    static let aggregated = LocustEntry(method: nil, name: "Aggregated")

    init(method: String?, name: String) {
        self.method = method
        self.name = name
    }

    init(_ value: JSONValue, path: String, reader: FieldReader) throws {
        let fields = try reader.object(value, path)
        let name = try reader.string(fields["name"], "\(path).name")
        self.init(
            method: try reader.optionalString(fields["method"], "\(path).method"), name: name)
        guard !name.isEmpty else { throw reader.fail("\(path).name", "empty request name") }
        requests = try reader.count(fields["num_requests"], "\(path).num_requests")
        noneRequests =
            try reader.optionalCount(fields["num_none_requests"], "\(path).num_none_requests") ?? 0
        failures = try reader.count(fields["num_failures"], "\(path).num_failures")
        let range = 0...FieldReader.absurdMagnitude
        // Unix seconds up to the year 9999.
        let times = 0.0...LocustFigures.lastUnixSecond
        totalResponseTime = try reader.number(
            fields["total_response_time"], "\(path).total_response_time", in: range)
        minResponseTime = try reader.optionalNumber(
            fields["min_response_time"], "\(path).min_response_time", in: range)
        maxResponseTime = try reader.number(
            fields["max_response_time"], "\(path).max_response_time", in: range)
        startTime = try reader.number(fields["start_time"], "\(path).start_time", in: times)
        lastRequestTimestamp = try reader.optionalNumber(
            fields["last_request_timestamp"], "\(path).last_request_timestamp", in: times)
        responseTimes = try Self.buckets(
            fields["response_times"], "\(path).response_times", reader: reader
        ).reduce(into: [:]) { $0[$1.key] = $1.value }
        requestsPerSecond = try Self.perSecond(
            fields["num_reqs_per_sec"], "\(path).num_reqs_per_sec", reader: reader)
        failuresPerSecond = try Self.perSecond(
            fields["num_fail_per_sec"], "\(path).num_fail_per_sec", reader: reader)
        if let last = lastRequestTimestamp, last < startTime {
            throw reader.fail(
                "\(path).last_request_timestamp",
                "\(JSONWriter.formatNumber(last)) is before start_time "
                    + JSONWriter.formatNumber(startTime))
        }
        // Locust counts a request in the second it ended: within the entry's span.
        let seconds =
            Int(startTime.rounded(.down)) - 1...Int(
                (lastRequestTimestamp ?? startTime).rounded(.up)) + 1
        for (field, counts) in [
            ("num_reqs_per_sec", requestsPerSecond), ("num_fail_per_sec", failuresPerSecond),
        ] {
            if let outside = counts.keys.first(where: { !seconds.contains($0) }) {
                throw reader.fail(
                    "\(path).\(field).\(outside)",
                    "a second outside the entry's start_time…last_request_timestamp")
            }
        }
        guard noneRequests <= requests else {
            throw reader.fail(
                "\(path).num_none_requests",
                "\(noneRequests) requests without a time, but num_requests is \(requests)")
        }
        guard failures <= requests else {
            throw reader.fail(
                "\(path).num_failures", "\(failures) failures, but num_requests is \(requests)")
        }
        let bucketed = responseTimes.values.reduce(0, +)
        guard bucketed == requests - noneRequests else {
            throw reader.fail(
                "\(path).response_times",
                "counts add up to \(bucketed), but num_requests − num_none_requests is "
                    + "\(requests - noneRequests)")
        }
        if let minimum = minResponseTime, minimum > maxResponseTime {
            throw reader.fail(
                "\(path).min_response_time",
                "\(JSONWriter.formatNumber(minimum)) is above max_response_time "
                    + JSONWriter.formatNumber(maxResponseTime))
        }
    }

    private static func buckets(_ value: JSONValue?, _ path: String, reader: FieldReader) throws
        -> [(key: Double, value: Int)]
    {
        try reader.object(value, path).members.map { key, count in
            guard let time = Double(key), time.isFinite, time >= 0 else {
                throw reader.fail("\(path).\(key.prefix(40))", "not a response time in ms")
            }
            return (time, try reader.count(count, "\(path).\(key)"))
        }
    }

    private static func perSecond(_ value: JSONValue?, _ path: String, reader: FieldReader)
        throws -> [Int: Int]
    {
        guard let value, !value.isNull else { return [:] }
        var result: [Int: Int] = [:]
        for (key, count) in try reader.object(value, path).members {
            guard let second = Int(key), second >= 0 else {
                throw reader.fail("\(path).\(key.prefix(40))", "not a Unix second")
            }
            result[second, default: 0] += try reader.count(count, "\(path).\(key)")
        }
        return result
    }

    /// Adds another entry's requests, as Locust's `StatsEntry.extend` does.
    mutating func extend(_ other: LocustEntry) {
        if let theirs = other.lastRequestTimestamp {
            lastRequestTimestamp = max(lastRequestTimestamp ?? theirs, theirs)
        }
        startTime = min(startTime, other.startTime)
        requests += other.requests
        noneRequests += other.noneRequests
        failures += other.failures
        totalResponseTime += other.totalResponseTime
        maxResponseTime = max(maxResponseTime, other.maxResponseTime)
        if let theirs = other.minResponseTime {
            minResponseTime = min(minResponseTime ?? theirs, theirs)
        }
        responseTimes.merge(other.responseTimes, uniquingKeysWith: +)
        requestsPerSecond.merge(other.requestsPerSecond, uniquingKeysWith: +)
        failuresPerSecond.merge(other.failuresPerSecond, uniquingKeysWith: +)
    }

    /// Seconds from the first request's start to the last request: the span Locust divides
    /// every entry's requests by for its requests per second.
    var elapsedSeconds: Double? {
        guard let last = lastRequestTimestamp, startTime.isFinite, last > startTime else {
            return nil
        }
        return last - startTime
    }

    /// Locust's `get_response_time_percentile`: walking the buckets from the slowest down, the
    /// first whose requests and all slower ones leave at most ⌊n × p⌋ requests below them;
    /// `n` counts the requests with a time.
    func percentile(_ level: Double) -> Double {
        let total = requests - noneRequests
        let wanted = Int(Double(total) * level)
        var processed = 0
        for (time, requests) in responseTimes.sorted(by: { $0.key > $1.key }) {
            processed += requests
            if total - processed <= wanted { return time }
        }
        return 0
    }

    /// Locust's median: the 50th percentile of the timed requests, clamped to the exact
    /// minimum and maximum.
    var median: Double {
        guard !responseTimes.isEmpty else { return 0 }
        let median = percentile(0.5)
        if median > maxResponseTime { return maxResponseTime }
        if let minimum = minResponseTime, median < minimum { return minimum }
        return median
    }

    /// The figures perfdb stores, as Locust reports them.
    func figures(elapsedSeconds: Double?) -> LocustFigures {
        let timed = requests - noneRequests
        var figures = LocustFigures(
            method: method, name: name, requests: requests, failures: failures,
            rate: elapsedSeconds.map { Double(requests) / $0 })
        if timed > 0 {
            figures.avg = totalResponseTime / Double(timed)
            figures.min = minResponseTime
            figures.max = maxResponseTime
            figures.med = median
            figures.p90 = percentile(0.90)
            figures.p95 = percentile(0.95)
            figures.p99 = percentile(0.99)
        }
        return figures
    }

    /// Requests and failed requests per second of the run, from the per-second counts every
    /// entry keeps (the total's are all entries' summed).
    ///
    /// A run longer than an hour gets
    /// buckets of more than a second (at most 3,600 buckets).
    func perSecondTimelines() -> [TimelineSeries] {
        guard let first = requestsPerSecond.keys.min(), let last = requestsPerSecond.keys.max()
        else { return [] }
        let width = max(1, (last - first + 1 + 3_599) / 3_600)
        var counts: [Int: (requests: Int, failures: Int)] = [:]
        for (second, count) in requestsPerSecond {
            counts[(second - first) / width, default: (0, 0)].requests += count
        }
        for (second, count) in failuresPerSecond where second >= first {
            counts[(second - first) / width, default: (0, 0)].failures += count
        }
        var requests: [TimelineBucket] = []
        var failed: [TimelineBucket] = []
        for index in 0...(last - first) / width {
            let start = Date(timeIntervalSince1970: Double(first + index * width))
            let count = counts[index]?.requests ?? 0
            let failures = counts[index]?.failures ?? 0
            let pair = LocustFigures.requestBuckets(
                start: start, requests: count, failures: failures, seconds: width)
            requests.append(pair.requests)
            failed.append(pair.failed)
        }
        return [
            LocustFigures.timeline(
                "http_reqs", type: .counter, buckets: requests, seconds: Double(width)),
            LocustFigures.timeline(
                "http_req_failed", type: .rate, buckets: failed, seconds: Double(width)),
        ]
    }
}

/// The figures of one Locust request name and type (or of the Aggregated row), from either the
/// JSON report or the stats CSV.
struct LocustFigures {
    /// Nil for the Aggregated row: the overall series.
    var method: String?
    var name: String
    var requests: Int
    var failures: Int
    /// Requests per second over the run.
    var rate: Double?
    var avg: Double?
    var min: Double?
    var med: Double?
    var max: Double?
    var p90: Double?
    var p95: Double?
    var p99: Double?

    /// The series' tags: Locust's name and request type, as k6 tags its requests.
    var tags: [SeriesKey.Tag] {
        guard let method else { return [] }
        return [SeriesKey.Tag("name", name), SeriesKey.Tag("method", method)]
    }

    /// `http_req_duration`, `http_reqs` and `http_req_failed` of this row, named as k6 names
    /// them.
    var series: [SeriesValues] {
        var result: [SeriesValues] = []
        let durations: [(String, Double?)] = [
            ("avg", avg), ("min", min), ("med", med), ("max", max), ("p90", p90), ("p95", p95),
            ("p99", p99),
        ]
        let timed = durations.compactMap { name, value in value.map { (name: name, value: $0) } }
        if !timed.isEmpty {
            result.append(Self.series("http_req_duration", tags: tags, type: .trend, timed))
        }
        var throughput = [(name: "count", value: Double(requests))]
        if let rate { throughput.append((name: "rate", value: rate)) }
        result.append(Self.series("http_reqs", tags: tags, type: .counter, throughput))
        if requests > 0 {
            result.append(
                Self.series(
                    "http_req_failed", tags: tags, type: .rate,
                    [
                        (name: "rate", value: Double(failures) / Double(requests)),
                        (name: "passes", value: Double(failures)),
                        (name: "fails", value: Double(requests - failures)),
                    ]))
        }
        return result
    }

    static func series(
        _ metric: String, tags: [SeriesKey.Tag], type: MetricType,
        _ statistics: [(name: String, value: Double)]
    ) -> SeriesValues {
        SeriesValues(
            key: SeriesKey(metric: metric, tags: tags), type: type,
            unit: K6Catalogue.unit(metric: metric, type: type),
            direction: K6Catalogue.direction(metric: metric, type: type),
            statistics: statistics)
    }

    /// The last Unix second Locust's times are taken to be (the end of the year 9999).
    static let lastUnixSecond = 253_402_300_799.0

    /// One bucket's `http_reqs` (requests and their rate) and `http_req_failed` (the share
    /// that failed) figures.
    static func requestBuckets(start: Date, requests: Int, failures: Int, seconds: Int)
        -> (requests: TimelineBucket, failed: TimelineBucket)
    {
        (
            TimelineBucket(
                start: start, count: requests, avg: nil, min: nil, max: nil, p50: nil, p95: nil,
                p99: nil, rate: Double(requests) / Double(seconds), sum: Double(requests)),
            TimelineBucket(
                start: start, count: requests, avg: nil, min: nil, max: nil, p50: nil, p95: nil,
                p99: nil, rate: requests > 0 ? Double(failures) / Double(requests) : nil,
                sum: nil)
        )
    }

    static func timeline(
        _ metric: String, tags: [SeriesKey.Tag] = [], type: MetricType,
        buckets: [TimelineBucket], seconds: Double
    ) -> TimelineSeries {
        TimelineSeries(
            key: SeriesKey(metric: metric, tags: tags), type: type,
            unit: K6Catalogue.unit(metric: metric, type: type),
            direction: K6Catalogue.direction(metric: metric, type: type),
            bucketSeconds: seconds, buckets: buckets)
    }
}

/// A Locust run being put together from its rows.
struct LocustRun {
    var batch: IngestBatch

    init(format: InputFormat) {
        batch = IngestBatch(kind: .load, tool: "locust", format: format, status: .passed)
    }

    /// Adds a row's series; a failed request fails the run, as it makes Locust exit 1.
    mutating func add(_ figures: LocustFigures) {
        batch.series += figures.series
        if figures.failures > 0 { batch.status = .failed }
    }
}
