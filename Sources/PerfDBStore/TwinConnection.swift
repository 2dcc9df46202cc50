import Foundation
import GRDB
internal import GRDBSQLite
import PerfDBModel

/// A second connection to the warehouse file whose read transaction sees the same database as
/// the gather's own, so that a long read of measurements is split between two cores.
///
/// SQLite as Debian builds it cannot open a transaction at another one's snapshot; instead both
/// transactions begin while a `WriteLock` keeps every writer out, so that nothing can commit
/// between their beginnings (`Warehouse.gathering`). The twin only reads.
final class TwinConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let path: String

    /// Opens the twin and begins its read transaction, or nil when the file cannot be opened
    /// again (the gather then reads alone).
    init?(path: String) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle,
            // The snapshot begins with the transaction's first read, not with BEGIN.
            sqlite3_exec(handle, "BEGIN; SELECT count(*) FROM sqlite_master", nil, nil, nil)
                == SQLITE_OK
        else {
            sqlite3_close_v2(handle)
            return nil
        }
        self.handle = handle
        self.path = path
    }

    /// Ends the read transaction and closes the connection.
    func close() {
        sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        sqlite3_close_v2(handle)
    }

    /// The measurement rows of the runs `ids`, in run order.
    func measurements(of ids: [Int64]) throws -> MeasurementRows {
        var statement: OpaquePointer?
        let sql = SQLiteReader.measurementsSQL(runs: ids.count)
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement
        else { throw failure() }
        defer { sqlite3_finalize(statement) }
        for (index, id) in ids.enumerated() {
            sqlite3_bind_int64(statement, Int32(index + 1), id)
        }
        var rows = MeasurementRows()
        try MeasurementRows.scan(statement, into: &rows) { _ in self.failure() }
        return rows
    }

    private func failure() -> PerfDBError {
        PerfDBError(
            .io, "\(path): cannot read measurements: \(String(cString: sqlite3_errmsg(handle)))")
    }
}

/// The write lock of the warehouse file, held by a connection of its own: while it is held no
/// transaction can commit, so the transactions begun meanwhile all see the same database.
struct WriteLock {
    private let handle: OpaquePointer

    /// Takes the lock at once, or nil when another writer holds it or the file is read-only:
    /// a reader never waits for a writer.
    init?(path: String) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle,
            sqlite3_exec(handle, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK
        else {
            sqlite3_close_v2(handle)
            return nil
        }
        self.handle = handle
    }

    /// Lets writers in again.
    func release() {
        sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        sqlite3_close_v2(handle)
    }
}

/// Measurement rows as read, before their pairs are resolved: by row the run, the series id,
/// the statistic and the value.
struct MeasurementRows: MeasurementConsumer, Sendable {
    var runs: [Int64] = []
    var series: [Int64] = []
    var statistics: [StatisticName] = []
    var values: [Double] = []

    mutating func add(run: Int64, series id: Int64, statistic: StatisticName, value: Double) {
        runs.append(run)
        series.append(id)
        statistics.append(statistic)
        values.append(value)
    }

    /// Steps `statement` (`SQLiteReader.measurementsSQL`) to its end, adding each row to
    /// `rows`; a step that fails throws what `failure` makes of its result code.
    static func scan<Rows: MeasurementConsumer>(
        _ statement: OpaquePointer, into rows: inout Rows, failure: (Int32) -> any Error
    ) throws {
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return }
            guard step == SQLITE_ROW else { throw failure(step) }
            guard let text = sqlite3_column_text(statement, 2) else { continue }
            let bytes = UnsafeBufferPointer(
                start: text, count: Int(sqlite3_column_bytes(statement, 2)))
            rows.add(
                run: sqlite3_column_int64(statement, 0), series: sqlite3_column_int64(statement, 1),
                statistic: StatisticName(bytes), value: sqlite3_column_double(statement, 3))
        }
    }
}

/// What measurement rows are read into.
protocol MeasurementConsumer {
    /// Adds the row of `run`, series id `series`.
    mutating func add(run: Int64, series: Int64, statistic: StatisticName, value: Double)
}

/// A statistic's name as read: up to eight bytes packed into one number (every name perfdb
/// stores, `avg` to `p99.9999`), else the name itself.
enum StatisticName: Sendable, Hashable {
    case packed(UInt64)
    case long(String)

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard (1...8).contains(bytes.count), bytes[0] != 0 else {
            self = .long(String(decoding: bytes, as: UTF8.self))
            return
        }
        var packed: UInt64 = 0
        for byte in bytes { packed = packed << 8 | UInt64(byte) }
        self = .packed(packed)
    }

    /// The name as text.
    var name: String {
        switch self {
        case .long(let name): return name
        case .packed(var packed):
            var bytes: [UInt8] = []
            while packed != 0 {
                bytes.append(UInt8(truncatingIfNeeded: packed))
                packed >>= 8
            }
            return String(decoding: bytes.reversed(), as: UTF8.self)
        }
    }
}
