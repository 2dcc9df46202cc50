import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct K6SummaryTests {
    static let cases = [
        "smoke", "load", "spike", "stress", "soak", "thresholds-crossed", "interrupted",
        "default-stats", "slow-warning",
    ]

    @Test(arguments: cases)
    func bothSummaryFormatsOfOneRunAgree(name: String) throws {
        let export = try fixtureBatch("k6-summary-export", "\(name).json")
        let handle = try fixtureBatch("k6-handle-summary", "\(name).json")
        #expect(export.format == .k6SummaryExport)
        #expect(handle.format == .k6HandleSummary)
        let exportSeries = Dictionary(uniqueKeysWithValues: export.series.map { ($0.key, $0) })
        let handleSeries = Dictionary(uniqueKeysWithValues: handle.series.map { ($0.key, $0) })
        #expect(Set(exportSeries.keys) == Set(handleSeries.keys))
        for (key, series) in exportSeries {
            let other = try #require(handleSeries[key])
            #expect(series.type == other.type, "type of \(key)")
            #expect(series.unit == other.unit, "unit of \(key)")
            let a = Dictionary(uniqueKeysWithValues: series.statistics.map { ($0.name, $0.value) })
            let b = Dictionary(uniqueKeysWithValues: other.statistics.map { ($0.name, $0.value) })
            #expect(a == b, "statistics of \(key)")
        }
        let exportThresholds = Set(
            export.thresholds.map {
                "\($0.series) \($0.expression) \(String(describing: $0.passed))"
            })
        let handleThresholds = Set(
            handle.thresholds.map {
                "\($0.series) \($0.expression) \(String(describing: $0.passed))"
            })
        #expect(exportThresholds == handleThresholds)
        #expect(
            Set(export.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" })
                == Set(handle.checks.map { "\($0.groupPath)/\($0.name) \($0.passes) \($0.fails)" }))
        #expect(export.status == handle.status)
    }

    @Test func everyMetricIsStoredWithSubmetricsAsTheirOwnSeries() throws {
        let batch = try fixtureBatch("k6-summary-export", "load.json")
        let names = Set(batch.series.map(\.key.name))
        for custom in [
            "health_check_duration", "reservation_duration", "pms_operation_duration",
            "total_requests", "successful_requests", "errorRate", "successRate",
            "activeVUs", "http_req_duration{endpoint:reservations}",
            "http_req_duration{expected_response:true}",
        ] {
            #expect(names.contains(custom), "\(custom) missing")
        }
        let duration = try #require(batch.series.first { $0.key.name == "http_req_duration" })
        #expect(duration.type == .trend)
        #expect(duration.unit == "ms")
        #expect(
            Set(duration.statistics.map(\.name))
                == ["avg", "min", "med", "max", "p90", "p95", "p99", "count"])
        let failed = try #require(batch.series.first { $0.key.name == "http_req_failed" })
        #expect(failed.type == .rate)
        #expect(Set(failed.statistics.map(\.name)) == ["rate", "passes", "fails"])
        let reqs = try #require(batch.series.first { $0.key.name == "http_reqs" })
        #expect(reqs.type == .counter)
        #expect(reqs.direction == .higherIsBetter)
        let gauge = try #require(batch.series.first { $0.key.name == "activeVUs" })
        #expect(gauge.type == .gauge)
        #expect(batch.checks.contains { $0.groupPath.hasPrefix("::") })
        // k6 leaves out a custom metric that never got a sample (no request failed here).
        #expect(!names.contains("failed_requests"))
        let crossed = try fixtureBatch("k6-summary-export", "thresholds-crossed.json")
        #expect(crossed.series.contains { $0.key.name == "failed_requests" })
    }

    @Test func defaultTrendStatsHaveNoP99() throws {
        let batch = try fixtureBatch("k6-summary-export", "default-stats.json")
        let duration = try #require(batch.series.first { $0.key.name == "http_req_duration" })
        #expect(Set(duration.statistics.map(\.name)) == ["avg", "min", "med", "max", "p90", "p95"])
    }

    @Test func crossedThresholdsFailTheRunInBothFormats() throws {
        for format in ["k6-summary-export", "k6-handle-summary"] {
            let batch = try fixtureBatch(format, "thresholds-crossed.json")
            #expect(batch.status == .failed)
            #expect(batch.thresholds.contains { $0.passed == false })
            #expect(batch.thresholds.contains { $0.passed == true })
            let passing = try fixtureBatch(format, "load.json")
            #expect(passing.status == .passed)
            #expect(passing.thresholds.allSatisfy { $0.passed == true })
        }
    }

    @Test func handleSummaryCarriesTheRunDuration() throws {
        let batch = try fixtureBatch("k6-handle-summary", "load.json")
        let duration = try #require(batch.durationMs)
        #expect(duration > 1000)
    }
}
