import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBIngest
@testable import PerfDBModel

/// Locust's JSON report and CSV files, read from real Locust 2.47 runs and checked against
/// Locust's own figures of the same run (`locust-figures.json`, computed by Locust's stats code
/// from the report) and against its own stats CSV.
@Suite struct LocustTests {
    static let cases = ["baseline", "slow-endpoint", "errors", "full-history"]

    /// Locust's figures of one fixture's JSON report, by series tags (nil method: Aggregated).
    struct Expected: Decodable {
        var entries: [Entry]

        struct Entry: Decodable {
            var method: String?
            var name: String
            var requests: Int
            var failures: Int
            var average: Double
            var minimum: Double?
            var maximum: Double
            var median: Double
            var p90: Double
            var p95: Double
            var p99: Double
            var requestsPerSecond: Double
            var failRatio: Double

            enum CodingKeys: String, CodingKey {
                case method, name, p90, p95, p99
                case requests = "num_requests"
                case failures = "num_failures"
                case average = "avg_response_time"
                case minimum = "min_response_time"
                case maximum = "max_response_time"
                case median = "median_response_time"
                case requestsPerSecond = "total_rps"
                case failRatio = "fail_ratio"
            }
        }
    }

    func expected(_ name: String) throws -> Expected {
        let url = URL(fileURLWithPath: TestPaths.fixture("locust", "\(name)/locust-figures.json"))
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    func statistics(_ batch: IngestBatch, _ metric: String, method: String?, name: String)
        throws -> [String: Double]
    {
        let tags = method.map { [SeriesKey.Tag("name", name), .init("method", $0)] } ?? []
        let key = SeriesKey(metric: metric, tags: tags)
        let series = try #require(batch.series.first { $0.key == key }, "\(key.name) missing")
        return Dictionary(series.statistics.map { ($0.name, $0.value) }) { one, _ in one }
    }

    @Test(arguments: cases) func everyFigureOfTheJSONReportIsLocustsOwn(name: String) throws {
        let batch = try fixtureBatch("locust", "\(name)/report.json")
        #expect(batch.format == .locustJSON)
        #expect(batch.tool == "locust")
        let expected = try expected(name)
        // Every entry and the Aggregated row: three series each, nothing else.
        #expect(batch.series.count == 3 * expected.entries.count)
        for entry in expected.entries {
            let label = "\(entry.method ?? "Aggregated") \(entry.name)"
            let duration = try statistics(
                batch, "http_req_duration", method: entry.method, name: entry.name)
            #expect(
                abs((duration["avg"] ?? .nan) - entry.average) <= 1e-6, "\(label) avg")
            #expect(duration["min"] == entry.minimum, "\(label) min")
            #expect(duration["max"] == entry.maximum, "\(label) max")
            #expect(duration["med"] == entry.median, "\(label) med")
            #expect(duration["p90"] == entry.p90, "\(label) p90")
            #expect(duration["p95"] == entry.p95, "\(label) p95")
            #expect(duration["p99"] == entry.p99, "\(label) p99")
            let requests = try statistics(
                batch, "http_reqs", method: entry.method, name: entry.name)
            #expect(requests["count"] == Double(entry.requests), "\(label) count")
            let rate = requests["rate"] ?? .nan
            #expect(abs(rate - entry.requestsPerSecond) <= 1e-9, "\(label) rate")
            let failed = try statistics(
                batch, "http_req_failed", method: entry.method, name: entry.name)
            #expect(failed["rate"] == entry.failRatio, "\(label) failure rate")
            #expect(failed["passes"] == Double(entry.failures), "\(label) failures")
            #expect(
                failed["fails"] == Double(entry.requests - entry.failures),
                "\(label) requests that did not fail")
        }
        let failures = expected.entries.last?.failures ?? 0
        #expect(batch.status == (failures > 0 ? .failed : .passed))
        let started = try #require(batch.startedAt)
        let ended = try #require(batch.endedAt)
        #expect(ended.timeIntervalSince(started) > 10 && ended.timeIntervalSince(started) < 20)
    }

    @Test(arguments: cases) func theStatsCSVIsReadAsLocustWroteIt(name: String) throws {
        let input = try InputFile.read(TestPaths.fixture("locust", "\(name)/report_stats.csv"))
        let batch = try InputFormat.read(input)
        #expect(batch.format == .locustCSV)
        let table = try CSVTable(input.bytes, file: input.name)
        #expect(batch.series.count == 3 * table.rows.count)
        for row in table.rows {
            let type = try table.text(row, "Type")
            let name = try table.text(row, "Name")
            let method: String? = type.isEmpty ? nil : type
            let duration = try statistics(batch, "http_req_duration", method: method, name: name)
            #expect(duration["avg"] == (try table.number(row, "Average Response Time")))
            #expect(duration["med"] == (try table.number(row, "Median Response Time")))
            #expect(duration["p95"] == (try table.number(row, "95%")))
            #expect(duration["p99"] == (try table.number(row, "99%")))
            let requests = try statistics(batch, "http_reqs", method: method, name: name)
            #expect(requests["count"] == (try table.number(row, "Request Count")))
            #expect(requests["rate"] == (try table.number(row, "Requests/s")))
            let failed = try statistics(batch, "http_req_failed", method: method, name: name)
            #expect(failed["passes"] == (try table.number(row, "Failure Count")))
        }
    }

    @Test func failuresAndExceptionsBecomeErrorKinds() throws {
        var batch = try fixtureBatch("locust", "errors/report.json")
        try LocustCSV.attach(
            .failures,
            try InputFile.read(TestPaths.fixture("locust", "errors/report_failures.csv")),
            to: &batch)
        #expect(batch.errors.count == 2)
        let availability = try #require(batch.errors.first)
        #expect(availability.kind == .failure)
        #expect(availability.method == "GET")
        #expect(availability.name == "/api/v1/pms/availability")
        #expect(availability.message.hasPrefix("HTTPError('503 Server Error"))
        #expect(availability.occurrences == 21)
        #expect(availability.firstSeen == Timestamp.parse("2026-12-01T15:23:37Z"))
        // The exceptions file of a run without exceptions has its header only.
        try LocustCSV.attach(
            .exceptions,
            try InputFile.read(TestPaths.fixture("locust", "errors/report_exceptions.csv")),
            to: &batch)
        #expect(batch.errors.count == 2)
        let exceptions = try InputFile(
            name: "x_exceptions.csv",
            bytes: Array(
                "Count,Message,Traceback,Nodes\r\n3,ZeroDivisionError('division by zero'),\"  File \"\"locustfile.py\"\", line 9\",local\r\n"
                    .utf8))
        try LocustCSV.attach(.exceptions, exceptions, to: &batch)
        let exception = try #require(batch.errors.last)
        #expect(exception.kind == .exception)
        #expect(exception.occurrences == 3)
        #expect(exception.detail == "  File \"locustfile.py\", line 9")
    }

    @Test func theHistoryIsTheRunsTimeline() throws {
        var batch = try fixtureBatch("locust", "full-history/report.json")
        let input = try InputFile.read(
            TestPaths.fixture("locust", "full-history/report_stats_history.csv"))
        try LocustCSV.attach(.history, input, to: &batch)
        let overall = try #require(
            batch.timelines.first { $0.key == SeriesKey(metric: "http_reqs") })
        // Buckets add up to the last row's total of the Aggregated row.
        let table = try CSVTable(input.bytes, file: input.name)
        let lastTotal = try #require(
            table.rows.last { try table.text($0, "Name") == "Aggregated" })
        #expect(
            Double(overall.buckets.map(\.count).reduce(0, +))
                == (try table.number(lastTotal, "Total Request Count")))
        #expect(overall.bucketSeconds == 1)
        // With --csv-full-history every request name has its timeline, with percentiles.
        let reservations = try #require(
            batch.timelines.first {
                $0.key
                    == SeriesKey(
                        metric: "http_req_duration",
                        tags: [.init("name", "/api/v1/reservations"), .init("method", "GET")])
            })
        #expect(reservations.buckets.contains { $0.p95 != nil })
        #expect(reservations.buckets.allSatisfy { $0.p95 != 0 })
        // Without it, only the Aggregated row, and no percentiles (they are the whole run's).
        var plain = try fixtureBatch("locust", "baseline/report.json")
        try LocustCSV.attach(
            .history,
            try InputFile.read(TestPaths.fixture("locust", "baseline/report_stats_history.csv")),
            to: &plain)
        #expect(Set(plain.timelines.map(\.key.tags)) == [[]])
        #expect(plain.timelines.allSatisfy { $0.buckets.allSatisfy { $0.p95 == nil } })
    }

    @Test func theJSONReportAloneHasRequestsPerSecond() throws {
        let batch = try fixtureBatch("locust", "errors/report.json")
        let failed = try #require(
            batch.timelines.first { $0.key == SeriesKey(metric: "http_req_failed") })
        let requests = try #require(
            batch.timelines.first { $0.key == SeriesKey(metric: "http_reqs") })
        #expect(requests.buckets.map(\.count).reduce(0, +) == 905)
        #expect(failed.buckets.contains { ($0.rate ?? 0) > 0 })
    }

    @Test func locustsPercentileRuleOnKnownBuckets() {
        // Ten requests: 1 ms ×8, 2 ms, 150 ms. The percentile is the (⌊n × p⌋ + 1)-th fastest:
        // p90 the 10th (k6 would interpolate at rank 8.1: 2.1 ms), p80 the 9th.
        var entry = LocustEntry(method: "GET", name: "/x")
        entry.requests = 10
        entry.responseTimes = [1: 8, 2: 1, 150: 1]
        entry.minResponseTime = 0.8
        entry.maxResponseTime = 151.2
        #expect(entry.percentile(0.9) == 150)
        #expect(entry.percentile(0.8) == 2)
        #expect(entry.percentile(0.95) == 150)
        #expect(entry.percentile(0.5) == 1)
        #expect(entry.percentile(1.0) == 150)
        // The median stays within the exact minimum and maximum.
        entry.requests = 1
        entry.responseTimes = [100: 1]
        entry.minResponseTime = 99.6
        entry.maxResponseTime = 99.6
        #expect(entry.median == 99.6)
        #expect(entry.percentile(0.5) == 100)
        // Requests without a time count for nothing.
        entry.requests = 3
        entry.noneRequests = 2
        #expect(entry.percentile(0.5) == 100)
    }

    @Test func theExitCodeSettlesTheStatus() throws {
        let batch = try fixtureBatch("locust", "baseline/report.json")
        #expect(batch.status == .passed)
        #expect(batch.settled(exitCode: 1).status == .failed)
        #expect(batch.settled(exitCode: 2).status == .aborted)
        let errors = try fixtureBatch("locust", "errors/report.json")
        #expect(errors.status == .failed)
        #expect(errors.settled(exitCode: 0).status == .passed)
        #expect(errors.settled(exitCode: nil).status == .failed)
    }

    @Test func prefixesPairTheFilesOfOneRun() {
        #expect(LocustFileGroups.prefix(of: "out/report.json") == "out/report")
        #expect(LocustFileGroups.prefix(of: "out/report_stats.csv.gz") == "out/report")
        #expect(LocustFileGroups.prefix(of: "out/report_stats_history.csv") == nil)
        #expect(LocustFileGroups.prefix(of: "-") == nil)
        #expect(LocustCSV.prefix(of: "a/r_stats_history.csv")?.kind == .history)
        #expect(LocustCSV.prefix(of: "a/r_failures.csv.gz")?.prefix == "a/r")
        let groups = LocustFileGroups(["r.json", "r_failures.csv", "s_stats.csv"])
        #expect(groups.siblings == ["r_failures.csv"])
        #expect(throws: PerfDBError.self) { try groups.requireRuns(["s"]) }
        #expect(throws: Never.self) { try groups.requireRuns(["r", "s"]) }
    }

    @Test(arguments: [
        ("[]", "no entries"),
        (#"[{"name": "/x", "num_requests": 2, "response_times": {"5": 1}}]"#, "num_failures"),
        (
            #"[{"name":"/x","method":"GET","num_requests":2,"num_none_requests":0,"num_failures":0,"total_response_time":10,"min_response_time":5,"max_response_time":5,"start_time":1,"last_request_timestamp":2,"response_times":{"5":1},"num_reqs_per_sec":{},"num_fail_per_sec":{}}]"#,
            "counts add up to 1, but num_requests − num_none_requests is 2"
        ),
        (
            #"[{"name":"/x","method":"GET","num_requests":1,"num_none_requests":0,"num_failures":2,"total_response_time":5,"min_response_time":5,"max_response_time":5,"start_time":1,"last_request_timestamp":2,"response_times":{"5":1},"num_reqs_per_sec":{},"num_fail_per_sec":{}}]"#,
            "2 failures, but num_requests is 1"
        ),
        (
            #"[{"name":"/x","method":"GET","num_requests":1,"num_none_requests":0,"num_failures":0,"total_response_time":5,"min_response_time":5,"max_response_time":5,"start_time":1,"last_request_timestamp":2,"response_times":{"fast":1},"num_reqs_per_sec":{},"num_fail_per_sec":{}}]"#,
            "not a response time in ms"
        ),
        (
            #"[{"name":"/x","method":"GET","num_requests":1,"num_none_requests":0,"num_failures":0,"total_response_time":5,"min_response_time":5,"max_response_time":5,"start_time":100,"last_request_timestamp":2,"response_times":{"5":1},"num_reqs_per_sec":{},"num_fail_per_sec":{}}]"#,
            "field [0].last_request_timestamp: 2 is before start_time 100"
        ),
        (
            #"[{"name":"/x","method":"GET","num_requests":1,"num_none_requests":0,"num_failures":0,"total_response_time":5,"min_response_time":5,"max_response_time":5,"start_time":100,"last_request_timestamp":102,"response_times":{"5":1},"num_reqs_per_sec":{"9000000100":1},"num_fail_per_sec":{}}]"#,
            "a second outside the entry's start_time…last_request_timestamp"
        ),
    ])
    func badReportsAreRefusedNamingTheField(text: String, problem: String) throws {
        let input = try InputFile(name: "report.json", bytes: Array(text.utf8))
        let error = try #require(throws: PerfDBError.self) {
            try InputFormat.read(input, as: .locustJSON)
        }
        #expect(error.code == .badInput)
        #expect(error.message.contains(problem), "\(error.message)")
        #expect(error.message.hasPrefix("report.json: "))
    }

    @Test(arguments: [
        ("Type,Name,Request Count,Failure Count,Median Response Time\r\n", "no Aggregated row"),
        (
            "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\nGET,/x,ten,0,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1\r\n",
            "line 2, column Request Count: not a number"
        ),
        (
            "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time\r\nGET,/x,1\r\n",
            "line 2: 3 fields, the header has 6"
        ),
        ("Timestamp,User Count,Type,Name,Requests/s\r\n", "is stored with its run"),
        ("Type,Name,Request Count,Failure Count,\"Median\r\n", "never closed"),
    ])
    func badCSVFilesAreRefusedNamingTheLine(text: String, problem: String) throws {
        let input = try InputFile(name: "report_stats.csv", bytes: Array(text.utf8))
        let error = try #require(throws: PerfDBError.self) { try InputFormat.read(input) }
        #expect(error.code == .badInput)
        #expect(error.message.contains(problem), "\(error.message)")
    }
}
