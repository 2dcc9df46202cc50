import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// The k6 runs of Tests/Fixtures/k6-runs/, each written at once as a summary export, a
/// handleSummary JSON, an NDJSON stream and CSV streams, by k6 1.1.0 and 0.57.0: every figure,
/// threshold and status perfdb stores from a stream against k6's own summary of the same run.
@Suite struct K6RunFixtureTests {
    static let versions = ["1.1.0", "0.57.0"]

    /// One run's files, read and settled with k6's exit code (from the folder's COMMANDS.md).
    struct Run {
        let folder: String
        let exitCode: Int
        let summary: IngestBatch
        let handleSummary: IngestBatch
        let ndjson: IngestBatch
        /// Each CSV file of the run by name.
        let csv: [String: IngestBatch]

        init(_ name: String, options: StreamOptions = StreamOptions()) throws {
            folder = name
            let notes = try String(
                contentsOfFile: TestPaths.fixture("k6-runs", "\(name)/COMMANDS.md"), encoding: .utf8
            )
            let code = notes.firstMatch(of: /k6 exit code: \*\*(\d+)\*\*/)
            exitCode = try #require(code.flatMap { Int($0.1) })
            summary = try fixtureBatch("k6-runs", "\(name)/summary-export.json")
            handleSummary = try fixtureBatch("k6-runs", "\(name)/handle-summary.json")
            ndjson = try InputFormat.load(
                TestPaths.fixture("k6-runs", "\(name)/stream.ndjson.gz"), as: nil, options: options
            ).batch
            let files = try FileManager.default.contentsOfDirectory(
                atPath: TestPaths.fixture("k6-runs", name))
            var csv: [String: IngestBatch] = [:]
            for file in files where file.contains(".csv") {
                csv[file] = try InputFormat.load(
                    TestPaths.fixture("k6-runs", "\(name)/\(file)"), as: nil, options: options
                ).batch
            }
            self.csv = csv
        }
    }

    static func thresholds(_ batch: IngestBatch) -> [String: Bool?] {
        Dictionary(
            batch.thresholds.map { ("\($0.series) \($0.expression)", $0.passed) },
            uniquingKeysWith: { a, _ in a })
    }

    @Test(arguments: versions)
    func anAbortOnFailThresholdIsKeptAndAbortsTheRun(version: String) throws {
        let run = try Run("abort-on-fail-\(version)")
        #expect(run.exitCode == 99)
        // k6's summaries of the run: 4 thresholds, 2 crossed (one of them with abortOnFail).
        #expect(run.summary.thresholds.count == 4)
        #expect(run.summary.thresholds.filter { $0.passed == false }.count == 2)
        #expect(Self.thresholds(run.ndjson) == Self.thresholds(run.summary))
        #expect(Self.thresholds(run.handleSummary) == Self.thresholds(run.summary))
        let abort = try #require(run.ndjson.thresholds.first { $0.abortOnFail })
        #expect(abort.series.name == "http_req_failed")
        #expect(abort.expression == "rate<0.01")
        #expect(abort.passed == false)
        // Only the object form set abortOnFail; {"threshold": …, "abortOnFail": false} did not.
        #expect(run.ndjson.thresholds.filter(\.abortOnFail).count == 1)
        #expect(run.ndjson.thresholds.contains { $0.expression == "rate>0.99" && !$0.abortOnFail })
        // The stream alone says the run was stopped; the exit code agrees.
        #expect(run.ndjson.status == .aborted)
        #expect(run.ndjson.settled(exitCode: 99).status == .aborted)
        #expect(run.ndjson.settled(exitCode: nil).status == .aborted)
        // The summaries cannot tell an abort from a failure.
        #expect(run.summary.settled(exitCode: 99).status == .failed)
        for (file, csv) in run.csv {
            #expect(csv.thresholds.isEmpty, "\(file): CSV carries no thresholds")
            #expect(csv.settled(exitCode: 99).status == .failed, "\(file)")
        }
    }

    @Test(arguments: versions)
    func aSubmetricThresholdIsNotInTheStreamAndIngestSaysSo(version: String) throws {
        let run = try Run("submetric-\(version)")
        #expect(run.exitCode == 99)
        let crossed = run.summary.thresholds.filter { $0.passed == false }
        #expect(crossed.map(\.series.name) == ["http_req_duration{name:reservations}"])
        // Every threshold of the stream agrees with k6; the submetric's is missing.
        let summary = Self.thresholds(run.summary)
        for threshold in run.ndjson.thresholds {
            #expect(summary["\(threshold.series) \(threshold.expression)"] == threshold.passed)
        }
        #expect(run.ndjson.thresholds.count == run.summary.thresholds.count - 1)
        #expect(run.ndjson.submetricsWithoutThresholds == ["http_req_duration{name:reservations}"])
        let unknown = run.ndjson.settled(exitCode: nil)
        #expect(unknown.status == .passed)
        #expect(
            unknown.warnings.contains {
                $0.contains("http_req_duration{name:reservations}") && $0.contains("--exit-code")
            })
        let told = run.ndjson.settled(exitCode: 99)
        #expect(told.status == .failed)
        #expect(told.status == run.summary.settled(exitCode: 99).status)
        #expect(!told.warnings.contains { $0.contains("--exit-code") })
    }

    @Test(arguments: versions)
    func thresholdsK6DidNotEvaluateAreStoredAsSuch(version: String) throws {
        let run = try Run("no-thresholds-\(version)")
        #expect(run.exitCode == 0)
        // k6 run --no-thresholds: the summaries list none; the stream still lists three.
        #expect(run.summary.thresholds.isEmpty)
        #expect(run.summary.status == .passed)
        #expect(run.ndjson.thresholds.count == 3)
        #expect(run.ndjson.thresholds.contains { $0.passed == false })
        let settled = run.ndjson.settled(exitCode: 0)
        #expect(settled.status == .passed)
        #expect(settled.thresholds.count == 3)
        #expect(settled.thresholds.allSatisfy { $0.passed == nil })
        #expect(settled.warnings.contains { $0.contains("did not evaluate") })
    }

    @Test(arguments: versions)
    func customMetricsOfCSVGetTheTypesTheScriptGaveThem(version: String) throws {
        let run = try Run("custom-metrics-\(version)")
        #expect(run.csv.count == 6)
        let declared = Dictionary(
            run.ndjson.series.filter { $0.key.tags.isEmpty }.map { ($0.key.metric, $0.type) },
            uniquingKeysWith: { a, _ in a })
        #expect(declared["bookings_total"] == .counter)
        #expect(declared["booking_ok"] == .rate)
        #expect(declared["queue_depth"] == .gauge)
        #expect(declared["booking_time"] == .trend)
        for (file, csv) in run.csv {
            for series in csv.series where series.key.tags.isEmpty {
                #expect(declared[series.key.metric] == series.type, "\(file): \(series.key)")
            }
            let warning = try #require(csv.warnings.first { $0.contains("does not say the type") })
            for metric in ["bookings_total", "booking_ok", "queue_depth", "booking_time"] {
                #expect(warning.contains("\(metric) as"), "\(file): \(metric) named")
            }
            #expect(!warning.contains("http_req_duration"), "k6's own metrics are known")
        }
        // An SLO on booking_ok's rate finds it.
        let csv = try #require(run.csv["stream-unix.csv.gz"])
        let bookingOK = try #require(csv.series.first { $0.key.name == "booking_ok" })
        #expect(bookingOK.statistics.contains { $0.name == "rate" })
    }

    @Test func aMetricTypeGivenOnTheCommandLineWins() throws {
        var options = StreamOptions()
        options.metricTypes = ["queue_depth": .trend, "booking_ok": .rate]
        let batch = try InputFormat.load(
            TestPaths.fixture("k6-runs", "custom-metrics-1.1.0/stream-unix.csv.gz"), as: nil,
            options: options
        ).batch
        #expect(batch.series.first { $0.key.name == "queue_depth" }?.type == .trend)
        let warning = try #require(batch.warnings.first { $0.contains("does not say the type") })
        #expect(!warning.contains("queue_depth"))
        #expect(!warning.contains("booking_ok"))
        #expect(warning.contains("bookings_total"))
    }

    /// Every figure of k6's summary, from the NDJSON and from every CSV of the same run.
    @Test(arguments: ["abort-on-fail", "submetric", "no-thresholds", "custom-metrics"])
    func everyFigureAgreesWithK6sSummary(name: String) throws {
        for version in Self.versions {
            let run = try Run("\(name)-\(version)")
            let label = "\(name)-\(version)"
            #expect(
                try StreamIngestTests.compare(
                    stream: run.ndjson, summary: run.summary, averageTolerance: 1e-9,
                    label: label + " ndjson") > 50)
            for (file, csv) in run.csv {
                #expect(
                    try StreamIngestTests.compare(
                        stream: csv, summary: run.summary, averageTolerance: 1e-6,
                        label: "\(label) \(file)") > 50)
            }
            let summaryChecks = Set(
                run.summary.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" })
            #expect(
                Set(run.ndjson.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" })
                    == summaryChecks)
        }
    }

    /// One series key whatever the format: the NDJSON and the CSV of one run have the same
    /// series, with the same types and figures.
    @Test(arguments: [
        "abort-on-fail-1.1.0", "submetric-1.1.0", "no-thresholds-1.1.0", "custom-metrics-1.1.0",
        "abort-on-fail-0.57.0", "submetric-0.57.0", "no-thresholds-0.57.0", "custom-metrics-0.57.0",
    ])
    func ndjsonAndCSVNameTheSameSeries(folder: String) throws {
        let run = try Run(folder)
        let ndjson = Dictionary(
            run.ndjson.series.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(!ndjson.keys.contains { $0.name.contains(":,") || $0.name.contains(":}") })
        for (file, csv) in run.csv {
            let keys = Set(csv.series.map(\.key))
            #expect(
                keys == Set(ndjson.keys),
                "\(file): \(keys.symmetricDifference(ndjson.keys).prefix(5))")
            for series in csv.series {
                guard let mine = ndjson[series.key] else { continue }
                #expect(series.type == mine.type, "\(file): \(series.key)")
                let theirs = Dictionary(
                    mine.statistics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                for (statistic, value) in series.statistics {
                    // Whole-second CSV times make a counter's per-second rate coarser.
                    if series.type == .counter && statistic == "rate" { continue }
                    let other = try #require(
                        theirs[statistic], "\(file): \(series.key) \(statistic)")
                    let error = other == 0 ? abs(value) : abs(value - other) / abs(other)
                    #expect(
                        error <= 1e-6, "\(file): \(series.key) \(statistic) \(value) vs \(other)")
                }
            }
        }
    }

    @Test func theEarlierSmokeRunsNDJSONAndCSVNameTheSameSeries() throws {
        let ndjson = try InputFormat.load(
            TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"), as: nil, options: StreamOptions()
        ).batch
        let csv = try InputFormat.load(
            TestPaths.fixture("k6-csv", "smoke.csv"), as: nil, options: StreamOptions()
        ).batch
        #expect(Set(ndjson.series.map(\.key)) == Set(csv.series.map(\.key)))
        #expect(ndjson.series.count == csv.series.count)
    }

    /// Sub-second CSV times date samples as NDJSON does: a counter's rate is the same.
    @Test(arguments: versions)
    func everyCSVTimeFormatIsRead(version: String) throws {
        let run = try Run("custom-metrics-\(version)")
        func rate(_ batch: IngestBatch) -> Double? {
            batch.series.first { $0.key.name == "http_reqs" }?.statistics.first {
                $0.name == "rate"
            }?.value
        }
        let reference = try #require(rate(run.ndjson))
        for format in ["unix_milli", "unix_micro", "unix_nano", "rfc3339_nano"] {
            let csv = try #require(run.csv["stream-\(format).csv.gz"])
            let got = try #require(rate(csv))
            // Milliseconds cut the ~4 s span by up to 1 ms; finer units by 1 µs or nothing.
            let tolerance = format == "unix_milli" ? 5e-4 : 1e-6
            #expect(abs(got / reference - 1) < tolerance, "\(format): \(got) vs \(reference)")
            #expect(abs((csv.durationMs ?? 0) - (run.ndjson.durationMs ?? 0)) < 1, "\(format)")
        }
        for format in ["unix", "rfc3339"] {
            let csv = try #require(run.csv["stream-\(format).csv.gz"])
            #expect(csv.durationMs.map { $0.truncatingRemainder(dividingBy: 1000) } == 0)
        }
    }

    @Test func csvTimestampsInEveryUnit() throws {
        func parse(_ text: String) throws -> Int64 {
            try K6CSVLineParser.nanoseconds(Array(text.utf8))
        }
        let expected: Int64 = 1_796_137_175_002_997_000
        #expect(try parse("1796137175") == 1_796_137_175_000_000_000)
        #expect(try parse("1796137175002") == 1_796_137_175_002_000_000)
        #expect(try parse("1796137175002997") == expected)
        #expect(try parse("1796137175002997000") == expected)
        #expect(try parse("2026-12-01T14:59:35.002997Z") == expected)
        #expect(try parse("2026-12-01T14:59:35Z") == 1_796_137_175_000_000_000)
        #expect(try parse("2026-12-01T15:59:35+01:00") == 1_796_137_175_000_000_000)
        for bad in ["", "12:00", "2026-13-01T00:00:00Z", "99999999999999999999", "1.5e9"] {
            #expect(throws: StreamLineError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test(arguments: [
        // name, count, minimum, maximum, fractional → type
        ("booking_ok", 10, 0.0, 1.0, false, MetricType.rate),
        ("bookings_total", 10, 1.0, 1.0, false, .counter),
        ("successRate", 10, 1.0, 1.0, false, .rate),
        ("errorRate", 10, 0.0, 0.0, false, .rate),
        ("failed_requests", 10, 1.0, 1.0, false, .counter),
        ("queue_depth", 10, 1.0, 11.0, false, .gauge),
        ("activeVUs", 10, 1.0, 1.0, false, .gauge),
        ("items_total", 10, 1.0, 7.0, false, .counter),
        ("booking_time", 10, 33.0, 55.0, false, .trend),
        ("payload", 10, 0.5, 9.25, true, .trend),
        ("temperature", 10, -3.0, 4.0, false, .trend),
        ("anything", 10, 2.0, 40.0, true, .trend),
    ])
    func typesOfUntypedMetricsFollowTheirValuesAndNames(
        name: String, count: Int, minimum: Double, maximum: Double, fractional: Bool,
        expected: MetricType
    ) {
        var values = MetricTyping.Values()
        values.add(count: count, minimum: minimum, maximum: maximum, fractional: fractional)
        let decided = MetricTyping.decide(name, catalog: [:], forced: [:], values: values)
        #expect(decided.type == expected)
        #expect(decided.guess != nil)
        let known = MetricTyping.decide("http_reqs", catalog: [:], forced: [:], values: values)
        #expect(known == (.counter, nil))
        let forced = MetricTyping.decide(name, catalog: [:], forced: [name: .gauge], values: values)
        #expect(forced.type == .gauge && forced.guess == nil)
    }
}
