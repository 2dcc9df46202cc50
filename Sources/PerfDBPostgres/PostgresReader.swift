import Foundation
import Logging
import NIOCore
import PerfDBCodec
import PerfDBModel
import PostgresNIO

/// The PostgreSQL warehouse's reads, inside one `REPEATABLE READ, READ ONLY` transaction.
///
/// Every call sees the snapshot its first statement took. The SQL is `SQLiteReader`'s, with
/// `(x = $1 OR (x IS NULL AND $1 IS NULL))` for SQLite's `IS` (an index serves it, where
/// PostgreSQL's `IS NOT DISTINCT FROM` gets none) and arrays for `IN` lists.
public struct PostgresReader: StoreReader {
    let connection: PostgresConnection
    let logger: Logger
    let url: PostgresURL
    /// The redacted URL, for messages.
    var location: String { url.redacted }

    /// The rows of a statement (the reader's methods are synchronous, as gathering is).
    func rows(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        try PostgresWarehouse.rows(of: query, on: connection, logger: logger, url: url).map {
            $0.makeRandomAccess()
        }
    }

    func records<T: Decodable>(_ query: PostgresQuery, as type: T.Type) throws -> [T] {
        try rows(query).map { try T(from: RowDecoder(row: $0)) }
    }

    public func run(_ reference: RunReference) throws -> RunRecord {
        switch reference {
        case .id(let id):
            guard
                let run = try records("SELECT * FROM run WHERE id = \(id)", as: RunRecord.self)
                    .first
            else { throw PerfDBError(.inputNotFound, "no run \(id) in \(location)") }
            return run
        case .latest:
            guard
                let run = try records(
                    "SELECT * FROM run ORDER BY started_at DESC, id DESC LIMIT 1",
                    as: RunRecord.self
                ).first
            else { throw PerfDBError(.inputNotFound, "no runs in \(location) yet") }
            return run
        }
    }

    public func runs(matching filter: RunFilter) throws -> [RunRecord] {
        try records(
            """
            SELECT * FROM run
            WHERE (\(filter.kind?.rawValue)::text IS NULL OR kind = \(filter.kind?.rawValue))
              AND (\(filter.scenario)::text IS NULL OR scenario = \(filter.scenario))
              AND (\(filter.environment)::text IS NULL OR environment = \(filter.environment))
              AND (\(filter.branch)::text IS NULL OR branch = \(filter.branch))
              AND (\(filter.commit)::text IS NULL OR commit_id = \(filter.commit)
                   OR commit_id LIKE \(filter.commit.map(SQLText.likePrefix)))
              AND (\(filter.since.map(Timestamp.format))::text IS NULL
                   OR started_at >= \(filter.since.map(Timestamp.format)))
            ORDER BY started_at DESC, id DESC
            LIMIT \(filter.limit.map(Int64.init))
            """, as: RunRecord.self)
    }

    public func history(scope: Scope, before run: RunRecord?, including: Bool, limit: Int)
        throws -> [RunRecord]
    {
        var runs = try newestValid(
            scope: scope, before: run, limit: limit, columns: "*", as: RunRecord.self)
        if including, let run { runs.append(run) }
        return runs
    }

    public func trendRuns(scope: Scope, limit: Int) throws -> [RunIdentity] {
        try newestValid(
            scope: scope, before: nil, limit: limit,
            columns: "id, started_at, commit_id, build_id", as: RunIdentity.self)
    }

    /// The newest `limit` valid load runs of `scope` that started before `run` (or all when
    /// `run` is nil), oldest first: each row's `columns` decoded as `type`.
    private func newestValid<T: Decodable>(
        scope: Scope, before run: RunRecord?, limit: Int, columns: String, as type: T.Type
    ) throws -> [T] {
        let startedAt = run?.startedAt
        let id = run?.id
        // Reversed in place: a long trend's hundred thousand runs are not copied.
        var values = try records(
            """
            SELECT \(unescaped: columns) FROM run
            WHERE kind = 'load' AND invalidated = 0 AND status <> 'aborted'
              AND (scenario = \(scope.scenario) OR (scenario IS NULL AND \(scope.scenario)::text IS NULL))
              AND (environment = \(scope.environment) OR (environment IS NULL AND \(scope.environment)::text IS NULL))
              AND branch = \(scope.branch)
              AND NOT EXISTS (SELECT 1 FROM chaos_link l WHERE l.run_id = run.id)
              AND (\(id)::bigint IS NULL OR started_at < \(startedAt)
                   OR (started_at = \(startedAt) AND id < \(id)))
            ORDER BY started_at DESC, id DESC LIMIT \(Int64(limit))
            """, as: type
        )
        values.reverse()
        return values
    }

    public func measurements(of runs: [RunRecord]) throws -> RunValues {
        let ids = runs.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        var result = RunValues(runs: ids)
        for row in try rows(
            """
            SELECT m.run_id, s.name, m.statistic, m.value
            FROM measurement m JOIN series s ON s.id = m.series_id
            WHERE m.run_id = ANY(\(ids))
            """)
        {
            let pair = SeriesStatistic(
                series: try row[1].decode(String.self), statistic: try row[2].decode(String.self))
            result.set(
                try row[3].decode(Double.self), column: result.column(adding: pair),
                place: result.place(adding: try row[0].decode(Int64.self)))
        }
        return result
    }

    public func values(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Double] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: Double] = [:]
        for row in try rows(
            """
            SELECT m.run_id, m.value
            FROM measurement m JOIN series s ON s.id = m.series_id
            WHERE s.name = \(pair.series) AND m.statistic = \(pair.statistic)
              AND m.run_id = ANY(\(ids))
            """)
        {
            result[try row[0].decode(Int64.self)] = try row[1].decode(Double.self)
        }
        return result
    }

    public func seriesCatalog() throws -> [String: SeriesRecord] {
        Dictionary(
            try records("SELECT * FROM series", as: SeriesRecord.self).map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first })
    }

    public func pinnedBaseline(_ scope: Scope) throws -> BaselineRecord? {
        try baselineEntries(scope, pinnedOnly: true, limit: 1).first
    }

    public func latestBaselineEntry(_ scope: Scope) throws -> BaselineRecord? {
        try baselineEntries(scope, pinnedOnly: false, limit: 1).first
    }

    public func baselineLog(_ scope: Scope?) throws -> [BaselineRecord] {
        guard let scope else {
            return try records(
                "SELECT * FROM baseline ORDER BY set_at DESC, id DESC", as: BaselineRecord.self)
        }
        return try baselineEntries(scope, pinnedOnly: false, limit: nil)
    }

    private func baselineEntries(_ scope: Scope, pinnedOnly: Bool, limit: Int?) throws
        -> [BaselineRecord]
    {
        try records(
            """
            SELECT * FROM baseline
            WHERE (scenario = \(scope.scenario) OR (scenario IS NULL AND \(scope.scenario)::text IS NULL))
              AND (environment = \(scope.environment) OR (environment IS NULL AND \(scope.environment)::text IS NULL))
              AND branch = \(scope.branch)
              AND (NOT \(pinnedOnly) OR (kind IN ('run', 'window') AND superseded_at IS NULL))
            ORDER BY set_at DESC, id DESC
            LIMIT \(limit.map(Int64.init))
            """, as: BaselineRecord.self)
    }

    public func earliestRegression(
        scope: Scope, after entry: BaselineRecord?, before run: RunRecord
    ) throws -> RunRecord? {
        try records(
            """
            SELECT r.* FROM run r
            WHERE r.kind = 'load' AND r.invalidated = 0
              AND (r.scenario = \(scope.scenario) OR (r.scenario IS NULL AND \(scope.scenario)::text IS NULL))
              AND (r.environment = \(scope.environment) OR (r.environment IS NULL AND \(scope.environment)::text IS NULL))
              AND r.branch = \(scope.branch)
              AND r.started_at < \(run.startedAt)
              AND EXISTS (SELECT 1 FROM verdict v
                          WHERE v.run_id = r.id AND v.verdict = 'regression'
                            AND v.series_id IS NOT NULL AND v.decided_at > \(entry?.setAt ?? ""))
            ORDER BY r.started_at, r.id LIMIT 1
            """, as: RunRecord.self
        ).first
    }

    public func distributions(series: String, runs: [Int64]) throws
        -> [Int64: DistributionBuckets]
    {
        guard !runs.isEmpty else { return [:] }
        var result: [Int64: DistributionBuckets] = [:]
        for row in try rows(
            """
            SELECT d.run_id, d.count, d.data FROM distribution d
            JOIN series s ON s.id = d.series_id
            WHERE s.name = \(series) AND d.run_id = ANY(\(runs))
            """)
        {
            let data = try row[2].decode(Data.self)
            result[try row[0].decode(Int64.self)] = try DistributionCodec.decode(
                [UInt8](data), count: Int(try row[1].decode(Int64.self)))
        }
        return result
    }

    public func distributedSeries(run: Int64) throws -> Set<String> {
        Set(
            try rows(
                """
                SELECT s.name FROM distribution d JOIN series s ON s.id = d.series_id
                WHERE d.run_id = \(run)
                """
            ).map { try $0[0].decode(String.self) })
    }

    public func verdicts(of pair: SeriesStatistic, runs ids: [Int64]) throws -> [Int64: Verdict] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: Verdict] = [:]
        for row in try rows(
            """
            SELECT v.run_id, v.verdict FROM verdict v JOIN series s ON s.id = v.series_id
            WHERE s.name = \(pair.series) AND v.statistic = \(pair.statistic)
              AND v.run_id = ANY(\(ids))
            """)
        {
            result[try row[0].decode(Int64.self)] = Verdict(
                rawValue: try row[1].decode(String.self))
        }
        return result
    }

    public func chaosEntries(_ filter: ChaosFilter) throws -> [ChaosEntry] {
        let runs = try records(
            """
            SELECT r.* FROM run r JOIN chaos_experiment c ON c.run_id = r.id
            WHERE r.invalidated = 0
              AND (\(filter.family)::text IS NULL OR c.family = \(filter.family))
              AND (\(filter.faultType?.uppercased())::text IS NULL
                   OR c.fault_type = \(filter.faultType?.uppercased()))
              AND (\(filter.name)::text IS NULL OR c.name = \(filter.name))
              AND (\(filter.environment)::text IS NULL OR r.environment = \(filter.environment))
              AND (\(filter.branch)::text IS NULL OR r.branch = \(filter.branch))
            ORDER BY r.started_at DESC, r.id DESC
            LIMIT \(filter.limit.map(Int64.init))
            """, as: RunRecord.self)
        return try runs.compactMap { run in
            guard let id = run.id,
                let experiment = try records(
                    "SELECT * FROM chaos_experiment WHERE run_id = \(id)",
                    as: ChaosExperimentRecord.self
                ).first
            else { return nil }
            return ChaosEntry(run: run, experiment: experiment)
        }
    }

    public func runDetail(_ reference: RunReference) throws -> RunDetail {
        let run = try run(reference)
        guard let id = run.id else { throw PerfDBError(.internal, "run without id") }
        let labels = try rows("SELECT key, value FROM run_label WHERE run_id = \(id) ORDER BY key")
            .map { (key: try $0[0].decode(String.self), value: try $0[1].decode(String.self)) }
        var metrics: [(series: SeriesRecord, statistics: [(name: String, value: Double)])] = []
        for row in try rows(
            """
            SELECT s.*, m.statistic, m.value AS measured
            FROM measurement m JOIN series s ON s.id = m.series_id
            WHERE m.run_id = \(id)
            ORDER BY s.name
            """)
        {
            let series = try SeriesRecord(from: RowDecoder(row: row))
            let statistic = (
                name: try row["statistic"].decode(String.self),
                value: try row["measured"].decode(Double.self)
            )
            if metrics.last?.series.id == series.id {
                metrics[metrics.count - 1].statistics.append(statistic)
            } else {
                metrics.append((series, [statistic]))
            }
        }
        for index in metrics.indices {
            metrics[index].statistics.sort { Statistic.order($0.name) < Statistic.order($1.name) }
        }
        let thresholds = try rows(
            """
            SELECT s.name, t.expression, t.passed, t.abort_on_fail FROM threshold_result t
            JOIN series s ON s.id = t.series_id WHERE t.run_id = \(id)
            ORDER BY s.name, t.expression
            """
        ).map {
            (
                series: try $0[0].decode(String.self), expression: try $0[1].decode(String.self),
                passed: try $0[2].decode(Int64?.self).map { $0 != 0 },
                abortOnFail: try $0[3].decode(Int64.self) != 0
            )
        }
        let checks = try rows(
            """
            SELECT group_path, name, passes, fails FROM check_result WHERE run_id = \(id)
            ORDER BY group_path, name
            """
        ).map {
            (
                groupPath: try $0[0].decode(String.self), name: try $0[1].decode(String.self),
                passes: Int(try $0[2].decode(Int64.self)), fails: Int(try $0[3].decode(Int64.self))
            )
        }
        var slo: (SLOEvaluationRecord, [SLOResultRecord])?
        if let evaluation = try records(
            "SELECT * FROM slo_evaluation WHERE run_id = \(id) ORDER BY id LIMIT 1",
            as: SLOEvaluationRecord.self
        ).first, let evaluationID = evaluation.id {
            let results = try records(
                """
                SELECT * FROM slo_result WHERE evaluation_id = \(evaluationID)
                ORDER BY priority, name
                """, as: SLOResultRecord.self)
            slo = (evaluation, results)
        }
        var chaos: (ChaosExperimentRecord, [ChaosActivityRecord])?
        if let experiment = try records(
            "SELECT * FROM chaos_experiment WHERE run_id = \(id)", as: ChaosExperimentRecord.self
        ).first {
            let activities = try records(
                "SELECT * FROM chaos_activity WHERE run_id = \(id) ORDER BY seq",
                as: ChaosActivityRecord.self)
            chaos = (experiment, activities)
        }
        var detail = RunDetail(
            run: run, labels: labels, metrics: metrics, thresholds: thresholds, checks: checks,
            slo: slo, chaos: chaos)
        detail.errors = try rows(
            """
            SELECT kind, method, name, message, occurrences, first_seen, last_seen, detail
            FROM run_error WHERE run_id = \(id) ORDER BY seq
            """
        ).map {
            ErrorKindValue(
                kind: ErrorKindValue.Kind(rawValue: try $0[0].decode(String.self)) ?? .failure,
                method: try $0[1].decode(String?.self), name: try $0[2].decode(String?.self),
                message: try $0[3].decode(String.self),
                occurrences: Int(try $0[4].decode(Int64.self)),
                firstSeen: try $0[5].decode(String?.self).flatMap(Timestamp.parse),
                lastSeen: try $0[6].decode(String?.self).flatMap(Timestamp.parse),
                detail: try $0[7].decode(String?.self))
        }
        detail.chaosLink = try chaosLink(of: id)
        return detail
    }

    public func loadRuns(underChaosRun chaosRun: Int64) throws -> [Int64] {
        try rows(
            """
            SELECT l.run_id FROM chaos_link l JOIN run r ON r.id = l.run_id
            WHERE l.chaos_run_id = \(chaosRun) ORDER BY r.started_at, r.id
            """
        ).map { try $0[0].decode(Int64.self) }
    }

    public func chaosLink(of run: Int64) throws -> ChaosLink? {
        try rows(
            """
            SELECT l.chaos_run_id, l.linked_by, l.linked_at, e.name
            FROM chaos_link l JOIN chaos_experiment e ON e.run_id = l.chaos_run_id
            WHERE l.run_id = \(run)
            """
        ).first.map {
            ChaosLink(
                runId: run, chaosRunId: try $0[0].decode(Int64.self),
                linkedBy: ChaosLink.LinkedBy(rawValue: try $0[1].decode(String.self)) ?? .explicit,
                linkedAt: try $0[2].decode(String.self), experiment: try $0[3].decode(String.self))
        }
    }

    public func timelines(run: Int64) throws -> [(series: SeriesRecord, buckets: [TimelineRow])] {
        var result: [(series: SeriesRecord, buckets: [TimelineRow])] = []
        for row in try rows(
            """
            SELECT s.*, t.bucket_start, t.bucket_seconds, t.count AS bucket_count, t.avg,
                   t.min AS bucket_min, t.max AS bucket_max, t.p50, t.p95, t.p99, t.rate, t.sum
            FROM timeline t JOIN series s ON s.id = t.series_id
            WHERE t.run_id = \(run) ORDER BY s.name, t.bucket_start
            """)
        {
            let series = try SeriesRecord(from: RowDecoder(row: row))
            func figure(_ name: String) throws -> Double? { try row[name].decode(Double?.self) }
            let bucket = TimelineRow(
                start: try row["bucket_start"].decode(String.self),
                seconds: try row["bucket_seconds"].decode(Double.self),
                count: Int(try row["bucket_count"].decode(Int64.self)), avg: try figure("avg"),
                min: try figure("bucket_min"), max: try figure("bucket_max"),
                p50: try figure("p50"), p95: try figure("p95"), p99: try figure("p99"),
                rate: try figure("rate"), sum: try figure("sum"))
            if result.last?.series.id == series.id {
                result[result.count - 1].buckets.append(bucket)
            } else {
                result.append((series, [bucket]))
            }
        }
        return result
    }
}

extension PostgresWarehouse {
    /// Runs `body` with a reader on one consistent snapshot: one read-only transaction.
    ///
    /// Synchronous, as gathering is: call it outside the connection's event loop.
    public func reading<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let value = try body(reader)
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// Decodes a record from a row by column name: camel-case properties from snake-case columns,
/// flags from 0/1 integers, enums from their text.
struct RowDecoder: Decoder {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: codingPath, debugDescription: "a row is keyed"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(
            Any.self, .init(codingPath: codingPath, debugDescription: "a row is keyed"))
    }

    /// `startedAt` → `started_at`.
    static func column(_ key: String) -> String {
        var name = ""
        for character in key {
            if character.isUppercase {
                name += "_" + character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name
    }

    struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PostgresRandomAccessRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func cell(_ key: Key) throws -> PostgresCell {
            let name = RowDecoder.column(key.stringValue)
            guard row.contains(name) else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: [key], debugDescription: "no column \(name)"))
            }
            return row[name]
        }

        func contains(_ key: Key) -> Bool { row.contains(RowDecoder.column(key.stringValue)) }

        func decodeNil(forKey key: Key) throws -> Bool { try cell(key).bytes == nil }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            try cell(key).decode(Int64.self) != 0
        }

        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            try cell(key).decode(String.self)
        }

        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            try cell(key).decode(Double.self)
        }

        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            Int(try cell(key).decode(Int64.self))
        }

        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            try cell(key).decode(Int64.self)
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try T(from: Cell(cell: try cell(key), key: key))
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: [key], debugDescription: "a column is one value"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: [key], debugDescription: "a column is one value"))
        }

        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
    }

    /// One column's value, for the enums stored as text.
    struct Cell: Decoder, SingleValueDecodingContainer {
        let cell: PostgresCell
        let key: any CodingKey
        var codingPath: [any CodingKey] { [key] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: codingPath, debugDescription: "a column is one value"))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: codingPath, debugDescription: "a column is one value")
            )
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { cell.bytes == nil }
        func decode(_ type: Bool.Type) throws -> Bool { try cell.decode(Int64.self) != 0 }
        func decode(_ type: String.Type) throws -> String { try cell.decode(String.self) }
        func decode(_ type: Double.Type) throws -> Double { try cell.decode(Double.self) }
        func decode(_ type: Int.Type) throws -> Int { Int(try cell.decode(Int64.self)) }
        func decode(_ type: Int64.Type) throws -> Int64 { try cell.decode(Int64.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
    }
}
