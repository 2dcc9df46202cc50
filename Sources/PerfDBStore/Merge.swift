import Foundation
import GRDB
internal import GRDBSQLite
import PerfDBModel

extension Warehouse {
    /// Folds the runs of other perfdb files into this one, all in one transaction: any problem
    /// with any file leaves this database unchanged.
    ///
    /// A run is identified by its content digest: one that is here already keeps what this
    /// database has (its invalidation is carried over when only the other file has one). Series
    /// are matched by name (metric and tag set); a series here keeps its type, unit and direction.
    /// Baseline log entries are added unless the same entry is here; each scope's pins are then
    /// chained again by the time they were set, so the newest pin is in force. Verdicts come
    /// along for runs that have none here, with the run and baseline ids in their evidence
    /// mapped. The other files are opened read-only and never changed.
    public func merge(_ sources: [MergeSource]) throws -> MergeReport {
        let merged = try write { db in
            // Rows of a series land all over the measurement tree: a larger page cache than
            // SQLite's 2 MB default keeps the inserts in memory.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            return try sources.map { source in
                var merger = Merger(source: source, db: db)
                return try merger.run()
            }
        }
        return MergeReport(database: path, sources: merged)
    }
}

/// Another perfdb file, opened read-only and checked before anything is merged.
public struct MergeSource: Sendable {
    /// The file.
    public let path: String
    let queue: DatabaseQueue
    /// Its newest migration.
    public let schema: String

    /// Opens `path` read-only and checks that it is a sound perfdb database this perfdb can read
    /// and not the database `target` itself.
    public init(path: String, into target: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PerfDBError(.inputNotFound, "\(path): no such file")
        }
        if isDirectory.boolValue {
            throw PerfDBError(.inputNotFound, "\(path): is a directory, not a perfdb database")
        }
        if Self.sameFile(path, target) {
            throw PerfDBError(.usage, "\(path): is the database itself; nothing to merge")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PerfDBError(.inputNotFound, "\(path): cannot be read (permission denied)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(Warehouse.busyTimeout)
        configuration.label = "perfdb-merge-source"
        do {
            let file = try DatabaseQueue(path: path, configuration: configuration)
            let applied = try file.read { db in try Self.check(db, path: path) }
            schema = applied.last ?? "none"
            if Migrations.known.allSatisfy(applied.contains) {
                queue = file
            } else {
                // A file of an older schema is merged from an upgraded copy in memory, so its
                // rows read as this schema's (series keys included); the file stays as it is.
                let copy = try DatabaseQueue()
                try file.backup(to: copy)
                try file.close()
                try Migrations.apply(to: copy, path: path)
                queue = copy
            }
        } catch let error as PerfDBError {
            throw error
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                throw PerfDBError.badInput(path, "not a perfdb database, or corrupt")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw Warehouse.translate(error, path: path)
            default:
                throw PerfDBError(.io, "\(path): cannot read: \(error.message ?? "\(error)")")
            }
        }
    }

    /// The migrations applied to the file, after checking it is a sound perfdb database this
    /// perfdb can read.
    private static func check(_ db: Database, path: String) throws -> [String] {
        guard try db.tableExists("schema_migration"), try db.tableExists("run") else {
            throw PerfDBError.badInput(path, "not a perfdb database (no schema_migration table)")
        }
        let applied = try String.fetchAll(
            db, sql: "SELECT identifier FROM schema_migration ORDER BY identifier")
        if let newer = applied.first(where: { !Migrations.known.contains($0) }) {
            throw PerfDBError.badInput(
                path,
                "written by a newer perfdb (schema \(newer)); upgrade perfdb to merge it")
        }
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check")
        if problems != ["ok"] {
            throw PerfDBError.badInput(
                path,
                "fails SQLite's integrity check: \(problems.prefix(3).joined(separator: "; "))")
        }
        if let violation = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
            throw PerfDBError.badInput(
                path,
                "fails SQLite's foreign-key check: a row of \(violation[0] as String? ?? "?") "
                    + "refers to a missing row of \(violation[2] as String? ?? "?")")
        }
        return applied
    }

    /// True when both paths name the same file (also through links).
    private static func sameFile(_ one: String, _ other: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(one, &first) == 0, stat(other, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}

/// Copies one other file's runs and everything that hangs off them into this database.
struct Merger {
    /// The tables copied row by row with each added run, in foreign-key order.
    ///
    /// Their `run_id` names the owning run. `run`, `series`, `series_tag`, `slo_evaluation`,
    /// `slo_result`, `baseline` and `verdict` are merged by their own rules.
    static let runTables: [String] = [
        "run_label", "measurement", "threshold_result", "check_result", "chaos_experiment",
        "chaos_activity", "distribution", "timeline", "run_error",
    ]
    /// Every table `merge` handles; a test compares it with the schema so that a new table is
    /// never left behind.
    static let handledTables: Set<String> = Set(runTables).union([
        "run", "series", "series_tag", "slo_evaluation", "slo_result", "baseline", "verdict",
        "schema_migration", "chaos_link",
    ])

    let source: MergeSource
    let db: Database
    var report: MergeReport.Source
    /// The other file's run ids → ids here (runs added and runs here already).
    var runs: [Int64: Int64] = [:]
    /// The other file's series ids → ids here, filled as rows refer to them.
    var series: [Int64: Int64] = [:]
    /// The other file's baseline ids → ids here.
    var baselines: [Int64: Int64] = [:]
    /// Columns of each table present in both files, in this file's order.
    var columns: [String: [String]] = [:]
    /// The copying statements, prepared once per merge.
    let statements = RawStatements()

    init(source: MergeSource, db: Database) {
        self.source = source
        self.db = db
        report = MergeReport.Source(path: source.path, schema: source.schema)
    }

    mutating func run() throws -> MergeReport.Source {
        defer { statements.finalize() }
        try source.queue.inDatabase { other in
            // One snapshot of the other file, even while something writes to it.
            try other.inTransaction(.deferred) {
                try mergeRuns(other)
                try mergeChaosLinks(other)
                try mergeBaselines(other)
                try mergeVerdicts(other)
                return .commit
            }
        }
        return report
    }

    // MARK: Runs

    private mutating func mergeRuns(_ other: Database) throws {
        let runColumns = try shared("run", other)
        let insert = try db.makeStatement(sql: Self.insertSQL("run", runColumns))
        let present = try Self.runTables.filter { try other.tableExists($0) }
        let find = try db.makeStatement(
            sql: "SELECT id, invalidated FROM run WHERE content_digest = ?")
        let rows = try Row.fetchCursor(
            other, sql: "SELECT id, \(runColumns.joined(separator: ", ")) FROM run ORDER BY id")
        while let row = try rows.next() {
            let otherID: Int64 = row["id"]
            let digest: String = row["content_digest"]
            if let here = try Row.fetchOne(find, arguments: [digest]) {
                let id: Int64 = here["id"]
                runs[otherID] = id
                report.alreadyHere += 1
                if here["invalidated"] as Int64 == 0, row["invalidated"] as Int64 == 1 {
                    try db.execute(
                        sql: """
                            UPDATE run SET invalidated = 1, invalidated_reason = ?,
                                invalidated_at = ?
                            WHERE id = ?
                            """,
                        arguments: [
                            row["invalidated_reason"] as String?, row["invalidated_at"] as String?,
                            id,
                        ])
                    report.invalidationsCarried += 1
                }
                continue
            }
            try insert.execute(
                arguments: StatementArguments(runColumns.map { row[$0] as DatabaseValue }))
            let id = db.lastInsertedRowID
            runs[otherID] = id
            report.added.append(
                MergeReport.AddedRun(
                    otherID: otherID, id: id, kind: row["kind"], scenario: row["scenario"],
                    environment: row["environment"], branch: row["branch"],
                    commitId: row["commit_id"], startedAt: row["started_at"],
                    status: row["status"], invalidated: row["invalidated"] as Int64 == 1))
            for table in present {
                try copyRows(table, of: otherID, as: id, other)
            }
            try copyEvaluations(of: otherID, as: id, other)
        }
    }

    /// The other file's links of load runs to chaos runs, both ids mapped; a run linked here
    /// already keeps its link.
    private func mergeChaosLinks(_ other: Database) throws {
        guard try other.tableExists("chaos_link") else { return }
        let rows = try Row.fetchCursor(
            other,
            sql: "SELECT run_id, chaos_run_id, linked_by, linked_at FROM chaos_link ORDER BY run_id"
        )
        while let row = try rows.next() {
            guard let run = runs[row[0]], let chaos = runs[row[1]] else { continue }
            try db.execute(
                sql: """
                    INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                    VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING
                    """,
                arguments: [run, chaos, row[2] as String, row[3] as String])
        }
    }

    /// The SLO evaluations of a run, renumbered, each with its results.
    private mutating func copyEvaluations(of otherRun: Int64, as run: Int64, _ other: Database)
        throws
    {
        let evaluations = try Int64.fetchAll(
            other, sql: "SELECT id FROM slo_evaluation WHERE run_id = ? ORDER BY id",
            arguments: [otherRun])
        for otherID in evaluations {
            try copyRows("slo_evaluation", of: otherRun, as: run, other, only: otherID)
            let id = db.lastInsertedRowID
            try copyRows("slo_result", key: "evaluation_id", of: otherID, as: id, other)
        }
    }

    /// Copies rows of `table` from the other file, returning how many.
    ///
    /// The rows whose `key` column is `otherKey` (with `only`, the one row of that id) are copied
    /// with `key` set to `newKey`, ids of runs and series mapped and a new `id` where the table
    /// has one. Values go from one SQLite statement to the other as they are (types, blobs and
    /// all); only the mapped columns pass through Swift.
    @discardableResult
    private mutating func copyRows(
        _ table: String, key: String = "run_id", of otherKey: Int64, as newKey: Int64,
        _ other: Database, only: Int64? = nil
    ) throws -> Int {
        let names = try shared(table, other)
        let list = names.joined(separator: ", ")
        let insert = try statements.prepare(Self.insertSQL(table, names), in: db)
        let select = try statements.prepare(
            "SELECT \(list) FROM \(table) WHERE \(key) = ?" + (only == nil ? "" : " AND id = ?"),
            in: other)
        sqlite3_reset(select)
        sqlite3_bind_int64(select, 1, otherKey)
        if let only { sqlite3_bind_int64(select, 2, only) }
        var copied = 0
        while true {
            let step = sqlite3_step(select)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw RawStatements.error(other) }
            for (index, name) in names.enumerated() {
                let column = Int32(index)
                let parameter = column + 1
                if name == key {
                    sqlite3_bind_int64(insert, parameter, newKey)
                    continue
                }
                guard Self.mappedColumns.contains(name),
                    sqlite3_column_type(select, column) != SQLITE_NULL
                else {
                    sqlite3_bind_value(insert, parameter, sqlite3_column_value(select, column))
                    continue
                }
                let ofSeries =
                    names.firstIndex(of: "series_id").map {
                        sqlite3_column_type(select, Int32($0)) != SQLITE_NULL
                    } ?? false
                switch try mapped(name, select, column, other, ofSeries: ofSeries) {
                case .null: sqlite3_bind_null(insert, parameter)
                case .id(let id): sqlite3_bind_int64(insert, parameter, id)
                case .text(let text):
                    sqlite3_bind_text(insert, parameter, text, -1, RawStatements.transient)
                }
            }
            let done = sqlite3_step(insert)
            sqlite3_reset(insert)
            guard done == SQLITE_DONE else { throw RawStatements.error(db, code: done) }
            copied += 1
        }
        sqlite3_reset(select)
        return copied
    }

    /// The statement that inserts `columns` into `table`.
    private static func insertSQL(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }

    /// The columns whose values must be mapped on their way in.
    private static let mappedColumns: Set<String> = ["series_id", "evaluated_run_id", "evidence"]

    /// A mapped value.
    private enum Mapped {
        case null
        case id(Int64)
        case text(String)
    }

    /// A value of the other file as it must read here: run and series ids mapped, run and
    /// baseline ids in verdict evidence too (a series' or, `ofSeries` false, the run's).
    private mutating func mapped(
        _ column: String, _ select: OpaquePointer, _ index: Int32, _ other: Database,
        ofSeries: Bool
    ) throws -> Mapped {
        switch column {
        case "series_id":
            return .id(try seriesID(sqlite3_column_int64(select, index), other))
        case "evaluated_run_id":
            // ON DELETE SET NULL: a run the other file no longer has is no run here either.
            return runs[sqlite3_column_int64(select, index)].map(Mapped.id) ?? .null
        default:
            let text = sqlite3_column_text(select, index).map { String(cString: $0) } ?? ""
            // Evidence is read as the type it was written as; text of another shape is kept.
            guard
                let evidence = try? VerdictRecord.Evidence(storedText: text, ofSeries: ofSeries)
            else {
                return .text(text)
            }
            return .text(try remapped(evidence).storedText())
        }
    }

    // MARK: Series

    /// The id here of the other file's series `otherID`: the series of the same name, or a new
    /// one with its tags.
    private mutating func seriesID(_ otherID: Int64, _ other: Database) throws -> Int64 {
        if let id = series[otherID] { return id }
        guard
            let row = try Row.fetchOne(
                other.cachedStatement(
                    sql:
                        """
                        SELECT name, metric, metric_type, unit, direction, declared
                        FROM series WHERE id = ?
                        """
                ),
                arguments: [otherID])
        else {
            throw PerfDBError.badInput(source.path, "refers to series \(otherID), which it lacks")
        }
        let (id, created) = try Warehouse.seriesID(
            name: row["name"],
            fields: [row["metric"], row["metric_type"], row["unit"], row["direction"]],
            declared: row["declared"],
            tags: {
                try Row.fetchAll(
                    other.cachedStatement(
                        sql: "SELECT key, value FROM series_tag WHERE series_id = ?"),
                    arguments: [otherID]
                ).map { ($0["key"], $0["value"]) }
            }, in: db)
        series[otherID] = id
        if created { report.seriesAdded += 1 }
        return id
    }

    // MARK: Baselines

    private mutating func mergeBaselines(_ other: Database) throws {
        var scopes: [Scope] = []
        let entries = try Row.fetchAll(
            other,
            sql: """
                SELECT id, scenario, environment, branch, kind, run_id, window_size, set_at,
                    set_by, reason
                FROM baseline ORDER BY id
                """)
        for entry in entries {
            let otherRun: Int64 = entry["run_id"]
            guard let run = runs[otherRun] else {
                throw PerfDBError.badInput(
                    source.path, "baseline \(entry["id"] as Int64) refers to a missing run")
            }
            let values: [DatabaseValueConvertible?] = [
                entry["scenario"] as String?, entry["environment"] as String?,
                entry["branch"] as String, entry["kind"] as String, run,
                entry["window_size"] as Int64?, entry["set_at"] as String,
                entry["set_by"] as String?, entry["reason"] as String,
            ]
            if let id = try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM baseline
                    WHERE scenario IS ? AND environment IS ? AND branch = ? AND kind = ?
                      AND run_id = ? AND window_size IS ? AND set_at = ? AND set_by IS ?
                      AND reason = ?
                    """, arguments: StatementArguments(values))
            {
                baselines[entry["id"]] = id
                continue
            }
            try db.execute(
                sql: """
                    INSERT INTO baseline (scenario, environment, branch, kind, run_id,
                        window_size, set_at, set_by, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: StatementArguments(values))
            baselines[entry["id"]] = db.lastInsertedRowID
            report.baselinesAdded += 1
            let scope = Scope(
                scenario: entry["scenario"], environment: entry["environment"],
                branch: entry["branch"])
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        for scope in scopes { try Warehouse.chainPins(of: scope, in: db) }
    }

    // MARK: Verdicts

    /// The verdicts of runs that have none here: a check's verdicts are replaced as a whole, so
    /// a run's verdicts come from one file, never from both.
    ///
    /// Runs come in the order their verdicts were recorded, so a merge into an empty database
    /// keeps the verdict ids.
    private mutating func mergeVerdicts(_ other: Database) throws {
        let judged = try Int64.fetchAll(
            other, sql: "SELECT run_id FROM verdict GROUP BY run_id ORDER BY min(id)")
        for otherRun in judged {
            guard let run = runs[otherRun] else { continue }
            let judgedHere = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM verdict WHERE run_id = ?)",
                arguments: [run])
            guard judgedHere == false else { continue }
            report.verdictsAdded += try copyRows("verdict", of: otherRun, as: run, other)
        }
    }

    /// Verdict evidence with the other file's run and baseline ids replaced by the ids here.
    func remapped(_ evidence: VerdictRecord.Evidence) -> VerdictRecord.Evidence {
        evidence.remapped(runs: runs, baselines: baselines)
    }

    // MARK: Columns

    /// The columns of `table` in both files but `id`, in this file's order: a copied row gets a
    /// new id, and a file of an older schema lacks later columns, which take their defaults here.
    private mutating func shared(_ table: String, _ other: Database) throws -> [String] {
        if let names = columns[table] { return names }
        let theirs = Set(try other.columns(in: table).map(\.name))
        let names = try db.columns(in: table).map(\.name).filter {
            $0 != "id" && theirs.contains($0)
        }
        columns[table] = names
        return names
    }
}

/// SQLite statements prepared on a connection outside GRDB's statement cache, for copying values
/// between two connections without converting them.
final class RawStatements {
    private var prepared: [String: OpaquePointer] = [:]

    /// SQLite copies bound text at once.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The statement for `sql` on `db`, prepared on first use.
    func prepare(_ sql: String, in db: Database) throws -> OpaquePointer {
        let key = "\(ObjectIdentifier(db)) \(sql)"
        if let statement = prepared[key] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(db.sqliteConnection, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw Self.error(db, code: code) }
        prepared[key] = statement
        return statement
    }

    /// Finalizes every statement; call before the connections close.
    func finalize() {
        for statement in prepared.values { sqlite3_finalize(statement) }
        prepared = [:]
    }

    /// The connection's last error as GRDB reports errors, so that exit codes map the same way.
    static func error(_ db: Database, code: Int32? = nil) -> DatabaseError {
        let connection = db.sqliteConnection
        let extended = sqlite3_extended_errcode(connection)
        return DatabaseError(
            resultCode: ResultCode(rawValue: extended != 0 ? extended : code ?? SQLITE_ERROR),
            message: String(cString: sqlite3_errmsg(connection)))
    }
}
