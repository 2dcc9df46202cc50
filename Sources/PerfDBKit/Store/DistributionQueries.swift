import Foundation
import GRDB

extension Warehouse {
    /// The stored distributions of `series` in `runs`, by run id.
    public func distributions(series: String, runs: [Int64]) throws -> [Int64: Distribution] {
        guard !runs.isEmpty else { return [:] }
        return try read { db in
            let placeholders = Array(repeating: "?", count: runs.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.run_id, d.count, d.data FROM distribution d
                    JOIN series s ON s.id = d.series_id
                    WHERE s.name = ? AND d.run_id IN (\(placeholders))
                    """, arguments: StatementArguments([series]) + StatementArguments(runs))
            var result: [Int64: Distribution] = [:]
            for row in rows {
                let data: Data = row["data"]
                result[row["run_id"]] = try Distribution.decode([UInt8](data), count: row["count"])
            }
            return result
        }
    }

    /// The timelines stored with a run, by series name, buckets in time order.
    public func timelines(run: Int64) throws -> [(series: SeriesRecord, buckets: [TimelineRow])] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, t.bucket_start, t.bucket_seconds, t.count AS bucket_count, t.avg,
                           t.min AS bucket_min, t.max AS bucket_max, t.p50, t.p95, t.p99, t.rate, t.sum
                    FROM timeline t JOIN series s ON s.id = t.series_id
                    WHERE t.run_id = ? ORDER BY s.name, t.bucket_start
                    """, arguments: [run])
            var result: [(series: SeriesRecord, buckets: [TimelineRow])] = []
            for row in rows {
                let series = try SeriesRecord(row: row)
                let bucket = TimelineRow(
                    start: row["bucket_start"], seconds: row["bucket_seconds"],
                    count: row["bucket_count"], avg: row["avg"], min: row["bucket_min"],
                    max: row["bucket_max"], p50: row["p50"], p95: row["p95"], p99: row["p99"],
                    rate: row["rate"], sum: row["sum"])
                if result.last?.series.id == series.id {
                    result[result.count - 1].buckets.append(bucket)
                } else {
                    result.append((series, [bucket]))
                }
            }
            return result
        }
    }
}

/// One stored timeline bucket.
public struct TimelineRow: Sendable, Equatable {
    public var start: String
    public var seconds: Double
    public var count: Int
    public var avg: Double?
    public var min: Double?
    public var max: Double?
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?
    public var rate: Double?
    public var sum: Double?
}
