import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBCodec
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// Raw k6 streams against k6's own end-of-test summary of the same run: counts and rates
/// exactly, avg/min/max to 1e-9 relative, percentiles within 0.1 %.
@Suite struct StreamIngestTests {
    static func load(_ format: String, _ name: String, options: StreamOptions = StreamOptions())
        throws -> (IngestBatch, String)
    {
        let loaded = try InputFormat.load(
            TestPaths.fixture(format, name), as: nil, options: options)
        return (loaded.batch, loaded.digest)
    }

    static func compare(
        stream: IngestBatch, summary: IngestBatch, averageTolerance: Double, label: String
    ) throws -> Int {
        let streamed = Dictionary(
            stream.series.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        for series in summary.series {
            let mine = try #require(
                streamed[series.key], "\(label): \(series.key) missing from the stream")
            let values = Dictionary(
                mine.statistics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            for (name, expected) in series.statistics {
                // A counter's per-second rate depends on k6's test duration, which the stream lacks.
                if series.type == .counter && name == "rate" { continue }
                let got = try #require(values[name], "\(label): \(series.key) \(name) missing")
                let tolerance: Double
                switch name {
                case "count", "passes", "fails": tolerance = 0
                case "rate": tolerance = series.type == .rate ? 0 : 1e-9
                case "avg": tolerance = averageTolerance
                case "min", "max", "value": tolerance = averageTolerance
                default: tolerance = 1e-3  // percentiles and the median: 0.1 %
                }
                let error = expected == 0 ? abs(got) : abs(got - expected) / abs(expected)
                #expect(
                    error <= tolerance, "\(label): \(series.key) \(name) \(got) vs k6 \(expected)")
                compared += 1
            }
        }
        return compared
    }

    @Test(arguments: [
        "smoke", "load", "spike", "thresholds-crossed", "default-stats", "interrupted",
    ])
    func ndjsonAgreesWithK6sSummary(name: String) throws {
        let (stream, digest) = try Self.load("k6-ndjson", "\(name).ndjson.gz")
        let summary = try fixtureBatch("k6-summary-export", "\(name).json")
        #expect(stream.format == .k6NDJSON)
        #expect(digest.hasPrefix("xxh64v2:"))
        let compared = try Self.compare(
            stream: stream, summary: summary, averageTolerance: 1e-9, label: name)
        #expect(compared > 100)
        // Thresholds come from the Metric lines and agree with k6's verdicts.
        let k6 = Dictionary(
            summary.thresholds.map { ("\($0.series) \($0.expression)", $0.passed) },
            uniquingKeysWith: { a, _ in a })
        for threshold in stream.thresholds {
            #expect(
                k6["\(threshold.series) \(threshold.expression)"] == threshold.passed,
                "\(threshold)")
        }
        #expect(stream.status == summary.status)
        #expect(
            Set(stream.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" })
                == Set(summary.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" })
        )
        // The declared series are the summary's: each metric overall and the submetrics the
        // Metric lines name; the per-tag views are derived.
        #expect(
            Set(stream.series.filter(\.declared).map(\.key.name))
                == Set(summary.series.map(\.key.name)))
        #expect(summary.series.allSatisfy { $0.declared })
        // A tag with one value across the run is a label, not a dimension.
        #expect(stream.labels["testid"] == "fixture-\(name)")
        #expect(!stream.series.contains { $0.key.tag("testid") != nil })
    }

    @Test(arguments: [("smoke.csv", "smoke.json"), ("load.csv.gz", "load.json")])
    func csvAgreesWithK6sSummary(csv: String, summaryFile: String) throws {
        let (stream, _) = try Self.load("k6-csv", csv)
        #expect(stream.format == .k6CSV)
        // CSV names no submetrics: only each metric overall is declared.
        #expect(stream.series.filter(\.declared).allSatisfy { $0.key.tags.isEmpty })
        let summary = try fixtureBatch("k6-summary-export", summaryFile)
        // k6 writes CSV values with 6 decimals: averages agree to that rounding.
        let compared = try Self.compare(
            stream: stream, summary: summary, averageTolerance: 1e-6, label: csv)
        #expect(compared > 100)
    }

    @Test func distributionsAndTimelinesAreKept() throws {
        let (stream, _) = try Self.load("k6-ndjson", "load.ndjson.gz")
        let key = try #require(SeriesKey(parsing: "http_req_duration{endpoint:reservations}"))
        let buckets = try #require(stream.distributions[key])
        // Stored and read back as the warehouse keeps it.
        let stored = try DistributionCodec.decode(
            DistributionCodec.encode(buckets), count: Int(buckets.count))
        #expect(stored == buckets)
        let distribution = Distribution(stored)
        #expect(distribution.count == 262)
        let p95 = try #require(
            stream.series.first { $0.key == key }?.statistics.first { $0.name == "p95" }?.value)
        #expect(abs((distribution.quantile(0.95) ?? 0) / p95 - 1) < 1e-3)
        let timeline = try #require(stream.timelines.first { $0.key.name == "http_req_duration" })
        #expect(timeline.buckets.count >= 2)
        #expect(timeline.buckets.map(\.count).reduce(0, +) == 1048)
        #expect(
            stream.timelines.contains { $0.key.name == "http_req_duration{endpoint:reservations}" })
    }

    @Test func gzipAndPlainHaveOneDigest() throws {
        let gz = try InputFormat.load(
            TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"), as: nil, options: StreamOptions())
        let directory = try TestPaths.temporaryDirectory()
        let plain = directory.appending(path: "smoke.ndjson").path
        try run("gzip -dc '\(TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"))' > '\(plain)'")
        let raw = try InputFormat.load(plain, as: nil, options: StreamOptions())
        #expect(gz.digest == raw.digest)
        var single = StreamOptions()
        single.workers = 1
        single.chunkSize = 4096
        let small = try InputFormat.load(plain, as: nil, options: single)
        // Blocks are fixed ranges of the stream: the digest does not depend on the chunk size.
        #expect(small.digest == raw.digest)
        #expect(small.batch.series.map(\.key) == raw.batch.series.map(\.key))
        #expect(
            small.batch.series.map { $0.statistics.map(\.value) }
                == raw.batch.series.map { $0.statistics.map(\.value) })
    }

    func run(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
    }

    /// The smoke run's NDJSON as lines.
    func smokeLines() throws -> [String] {
        let input = try InputFile.read(TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"))
        return String(decoding: input.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func aTruncatedLastLineIsAWarningAndAnIncompleteRun() throws {
        var lines = try smokeLines()
        let last = lines.removeLast()
        let path = try TestPaths.temporaryDirectory().appending(path: "cut.ndjson").path
        try (lines.joined(separator: "\n") + "\n" + last.prefix(last.count / 2)).write(
            toFile: path, atomically: true, encoding: .utf8)
        let loaded = try InputFormat.load(path, as: nil, options: StreamOptions())
        #expect(loaded.batch.incomplete)
        #expect(loaded.batch.status == .aborted)
        #expect(loaded.batch.warnings.contains { $0.contains("cut short") })
    }

    @Test func aCorruptLineInTheMiddleNamesItsLine() throws {
        var lines = try smokeLines()
        lines[6] = #"{"metric":"http_reqs","type":"Point","data":{"time":"#
        let path = try TestPaths.temporaryDirectory().appending(path: "bad.ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try InputFormat.load(path, as: nil, options: StreamOptions())
        } throws: { error in
            let error = error as? PerfDBError
            return error?.code == .badInput && error?.message.contains("line 7") == true
        }
        var skipping = StreamOptions()
        skipping.skipBadLines = true
        let loaded = try InputFormat.load(path, as: nil, options: skipping)
        #expect(loaded.batch.skippedLines == 1)
        #expect(loaded.batch.warnings.contains { $0.contains("line 7") })
    }

    @Test func anExplodingTagStopsTheIngestAndNamesTheTag() throws {
        var text =
            #"{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}"#
            + "\n"
        for index in 0..<30 {
            text +=
                #"{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-10T09:00:00.000Z","value":1.5,"tags":{"name":"a","request_id":"r\#(index)"}}}"#
                + "\n"
        }
        let path = try TestPaths.temporaryDirectory().appending(path: "explode.ndjson").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = StreamOptions()
        options.maxTagValues = 20
        #expect {
            _ = try InputFormat.load(path, as: nil, options: options)
        } throws: { error in
            let error = error as? PerfDBError
            return error?.code == .badInput && error?.message.contains("tag \"request_id\"") == true
        }
    }

    @Test func pagedHistogramQuantilesInterpolateLikeK6() {
        let histogram = PagedHistogram()
        var values: [Double] = []
        for index in 0..<5000 {
            let value = 1.0 + Double((index * 7919) % 5000) * 0.037
            values.append(value)
            histogram.record(HistogramLayout.units(milliseconds: value))
        }
        let quantiles = histogram.quantiles([0.5, 0.9, 0.95, 0.99])
        for (level, estimate) in zip([0.5, 0.9, 0.95, 0.99], quantiles) {
            let exact = Statistics.quantile(values, level) ?? 0
            #expect(abs((estimate ?? 0) / 1e6 / exact - 1) < 1e-3, "p\(level)")
        }
        #expect(HistogramLayout.index(2047) == 2047)
        #expect(HistogramLayout.range(HistogramLayout.index(123_456_789)).low <= 123_456_789)
        #expect(HistogramLayout.range(HistogramLayout.index(123_456_789)).high >= 123_456_789)
    }
}
