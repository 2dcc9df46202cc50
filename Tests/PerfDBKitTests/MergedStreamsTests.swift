import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBIngest
@testable import PerfDBModel

/// Several load generators' raw streams stored as one run (`ingest --one-run`): a real k6
/// stream dealt out to two "generators" line by line must give the figures of the whole.
@Suite struct MergedStreamsTests {
    /// The fixture's lines dealt out to `count` files: every Metric line to each, the samples
    /// in turn.
    static func split(_ name: String, into count: Int, in directory: URL) throws -> [String] {
        let text = String(
            decoding: try Gunzip.decompress(
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: name))), name: name),
            as: UTF8.self)
        var files = [String](repeating: "", count: count)
        var turn = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.contains(#""type":"Metric""#) {
                for index in files.indices { files[index] += line + "\n" }
            } else {
                files[turn % count] += line + "\n"
                turn += 1
            }
        }
        return try files.enumerated().map { index, content in
            let path = directory.appending(path: "generator-\(index).ndjson").path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func statistics(_ batch: IngestBatch) -> [String: Double] {
        var result: [String: Double] = [:]
        for series in batch.series where series.type != .gauge {
            for statistic in series.statistics {
                result["\(series.key.name) \(statistic.name)"] = statistic.value
            }
        }
        return result
    }

    @Test func twoGeneratorsGiveTheFiguresOfTheWholeStream() throws {
        let fixture = TestPaths.fixture("k6-ndjson", "load.ndjson.gz")
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let parts = try Self.split(fixture, into: 2, in: directory)
        var options = Ingestor.Options()
        let whole = try #require(try Ingestor.prepare([fixture], options: options).first)
        options.oneRun = true
        let merged = try Ingestor.prepare(parts, options: options)
        #expect(merged.count == 1)
        let run = try #require(merged.first)
        #expect(run.batch.labels["generators"] == "2")
        #expect(run.sourceFile == "generator-0.ndjson, generator-1.ndjson")
        #expect(run.contentDigest.hasPrefix("merged:sha256:"))
        #expect(run.batch.points == whole.batch.points)
        let expected = Self.statistics(whole.batch)
        let actual = Self.statistics(run.batch)
        #expect(expected.count > 500)
        #expect(Set(actual.keys) == Set(expected.keys))
        var differing: [String] = []
        for (name, value) in expected {
            guard let mine = actual[name] else { continue }
            if abs(mine - value) > 1e-9 * max(1, abs(value)) {
                differing.append("\(name): \(mine) vs \(value)")
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(10))")
        // The distributions are the whole stream's, bucket for bucket.
        #expect(run.batch.distributions.count == whole.batch.distributions.count)
        for (key, buckets) in whole.batch.distributions {
            #expect(run.batch.distributions[key]?.count == buckets.count, "\(key.name)")
        }
        // The same generators in the other order are the same run.
        let again = try #require(try Ingestor.prepare(parts.reversed(), options: options).first)
        #expect(again.contentDigest == run.contentDigest)
        // A lone generator's figures are not the whole's: its p95 differs, its count is half.
        options.oneRun = false
        let alone = try #require(try Ingestor.prepare([parts[0]], options: options).first)
        let count = "http_reqs count"
        #expect(Self.statistics(alone.batch)[count] ?? 0 < (expected[count] ?? 0))
    }

    /// k6's percentile of exact values: interpolated between the closest ranks.
    static func percentile(_ sorted: [Double], _ level: Double) -> Double {
        let rank = level * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    @Test func twoRealGeneratorsAreOneRunWithPercentilesOfAllTheirSamples() throws {
        let folder = "two-generators-1.1.0"
        let parts = ["gen-1.ndjson.gz", "gen-2.ndjson.gz"].map {
            TestPaths.fixture("k6-runs", "\(folder)/\($0)")
        }
        var options = Ingestor.Options()
        options.oneRun = true
        let run = try #require(try Ingestor.prepare(parts, options: options).first)
        let figures = Self.statistics(run.batch)
        // Counts add up to both instances' own summaries.
        var requests = 0.0
        for index in 1...2 {
            let url = URL(
                fileURLWithPath: TestPaths.fixture("k6-runs", "\(folder)/gen-\(index)-summary.json")
            )
            let summary = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
            requests += try #require(summary["metrics"]?["http_reqs"]?["count"]?.numberValue)
        }
        #expect(figures["http_reqs count"] == requests)
        // Percentiles are those of every sample of both streams, within the histogram's
        // three significant digits.
        var samples: [Double] = []
        for part in parts {
            let text = String(
                decoding: try Gunzip.decompress(
                    [UInt8](try Data(contentsOf: URL(fileURLWithPath: part))), name: part),
                as: UTF8.self)
            for line in text.split(separator: "\n")
            where line.contains(#""metric":"http_req_duration""#) && line.contains(#""Point""#) {
                let point = try JSONParser.parse(Array(line.utf8))
                samples.append(try #require(point["data"]?["value"]?.numberValue))
            }
        }
        samples.sort()
        #expect(Double(samples.count) == requests)
        for (name, level) in [("med", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
            let exact = Self.percentile(samples, level)
            let stored = try #require(figures["http_req_duration \(name)"])
            #expect(abs(stored - exact) <= 0.001 * exact, "\(name): \(stored) vs \(exact)")
        }
    }

    @Test func onlyRawStreamsOfOneKindMerge() throws {
        var options = Ingestor.Options()
        options.oneRun = true
        let summary = TestPaths.fixture("k6-summary-export", "load.json")
        let stream = TestPaths.fixture("k6-ndjson", "load.ndjson.gz")
        let error = try #require(throws: PerfDBError.self) {
            try Ingestor.prepare([stream, summary], options: options)
        }
        #expect(error.code == .badInput)
        #expect(error.message.contains("--one-run merges raw k6 streams"))
        let mixed = try #require(throws: PerfDBError.self) {
            try Ingestor.prepare(
                [stream, TestPaths.fixture("k6-csv", "smoke.csv")], options: options)
        }
        #expect(mixed.code == .usage)
    }
}
