import Foundation
import NIOCore
import PerfDBModel
import PostgresNIO

/// Moving runs between engines on the server's side: a snapshot of every table for
/// `perfdb backup`, and other databases' runs folded in by `perfdb merge`.
extension PostgresWarehouse {
    /// Hands every table to `sink` in batches of up to `batchSize` rows, in
    /// `TableRows.insertionOrder`, all from one snapshot; ids as they are.
    public func export(batchSize: Int = 5000, into sink: (TableRows) throws -> Void) throws {
        try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? execute("ROLLBACK") }
        for table in TableRows.insertionOrder {
            let columns = try rows(
                """
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = \(table)
                ORDER BY ordinal_position
                """
            ).map { try Self.decode($0, as: String.self) }
            let order = columns.contains("id") ? " ORDER BY id" : ""
            try executeUnbound(
                "DECLARE perfdb_export NO SCROLL CURSOR FOR SELECT "
                    + columns.joined(separator: ", ") + " FROM \(table)\(order)")
            while true {
                let batch = try rows(
                    PostgresQuery(unsafeSQL: "FETCH \(batchSize) FROM perfdb_export"))
                if batch.isEmpty { break }
                try sink(
                    TableRows(
                        table: table, columns: columns,
                        rows: batch.map { row in row.map(StoredValue.init) }))
            }
            try executeUnbound("CLOSE perfdb_export")
        }
    }

    /// Folds the runs of other perfdb databases into this one, all in one transaction: any
    /// problem with any of them leaves this database unchanged.
    ///
    /// The rules are those of a merge into a file: runs matched by content digest (one here
    /// already keeps what is here, and takes over an invalidation only the other has), series
    /// by name, baseline log entries added unless the same entry is here and each scope's pins
    /// chained again, verdicts for runs that have none here with their ids mapped.
    public func merge(_ sources: [MergeContents]) throws -> MergeReport {
        let merged = try transaction {
            try sources.map { source in
                var merger = PostgresMerger(warehouse: self, source: source)
                return try merger.run()
            }
        }
        return MergeReport(database: url.redacted, sources: merged)
    }

    /// Inserts rows, many to a statement (PostgreSQL binds at most 65,535 values at once).
    func insert(_ table: String, columns: [String], rows: [[StoredValue]]) throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let perStatement = max(1, 30_000 / columns.count)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var binds = PostgresBindings(capacity: chunk.count * columns.count)
            var tuples: [String] = []
            tuples.reserveCapacity(chunk.count)
            var number = 0
            for row in chunk {
                var placeholders: [String] = []
                for value in row {
                    number += 1
                    placeholders.append("$\(number)")
                    value.bind(to: &binds)
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try execute(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                        + tuples.joined(separator: ", "), binds: binds))
            start += perStatement
        }
    }
}

/// One other database's runs folded into the server's warehouse.
struct PostgresMerger {
    /// The tables copied with each added run, in foreign-key order.
    static let runTables = [
        "run_label", "measurement", "threshold_result", "check_result", "chaos_experiment",
        "chaos_activity", "distribution", "timeline", "run_error",
    ]

    let warehouse: PostgresWarehouse
    let source: MergeContents
    var report: MergeReport.Source
    /// The other database's run ids → ids here (runs added and runs here already).
    var runs: [Int64: Int64] = [:]
    /// The other database's runs that were added here.
    var added: Set<Int64> = []
    /// The other database's series ids → ids here.
    var series: [Int64: Int64] = [:]
    /// The other database's baseline ids → ids here.
    var baselines: [Int64: Int64] = [:]

    init(warehouse: PostgresWarehouse, source: MergeContents) {
        self.warehouse = warehouse
        self.source = source
        report = MergeReport.Source(path: source.path, schema: source.schema)
    }

    mutating func run() throws -> MergeReport.Source {
        try mergeRuns()
        try mapSeries()
        for table in Self.runTables { try copyRows(table) }
        try mergeChaosLinks()
        try copyEvaluations()
        try mergeBaselines()
        try mergeVerdicts()
        return report
    }

    // MARK: Runs

    private mutating func mergeRuns() throws {
        let table = try self.table("run")
        let columns = table.columns.filter { $0 != "id" }
        for row in table.rows {
            let value = { (name: String) in table.index(of: name).map { row[$0] } ?? .null }
            guard let otherID = value("id").integer, let digest = value("content_digest").text
            else { throw PerfDBError.badInput(source.path, "a run without id or digest") }
            if let id = try existingRun(digest, carrying: value) {
                runs[otherID] = id
                continue
            }
            let inserted = try insertRow(
                "run", columns: columns, values: columns.map(value),
                onConflict: "ON CONFLICT (content_digest) DO NOTHING")
            guard let id = inserted else {
                // Another writer stored the same content meanwhile.
                guard let id = try existingRun(digest, carrying: value) else {
                    throw PerfDBError(.internal, "a run with digest \(digest) vanished")
                }
                runs[otherID] = id
                continue
            }
            runs[otherID] = id
            added.insert(otherID)
            report.added.append(
                MergeReport.AddedRun(
                    otherID: otherID, id: id,
                    kind: value("kind").text.flatMap(RunKind.init) ?? .load,
                    scenario: value("scenario").text, environment: value("environment").text,
                    branch: value("branch").text, commitId: value("commit_id").text,
                    startedAt: value("started_at").text ?? "",
                    status: value("status").text.flatMap(RunStatus.init) ?? .passed,
                    invalidated: value("invalidated").integer == 1))
        }
    }

    /// The id of the run here with `digest`, if any, counted as here already; an invalidation
    /// only the other database has is carried over.
    private mutating func existingRun(_ digest: String, carrying value: (String) -> StoredValue)
        throws -> Int64?
    {
        guard
            let row = try warehouse.rows(
                "SELECT id, invalidated FROM run WHERE content_digest = \(digest)"
            ).first
        else { return nil }
        let (id, invalidated) = try PostgresWarehouse.decode(row, as: (Int64, Int64).self)
        report.alreadyHere += 1
        if invalidated == 0, value("invalidated").integer == 1 {
            try warehouse.execute(
                """
                UPDATE run SET invalidated = 1, invalidated_reason = \(value("invalidated_reason").text),
                    invalidated_at = \(value("invalidated_at").text)
                WHERE id = \(id)
                """)
            report.invalidationsCarried += 1
        }
        return id
    }

    // MARK: Series

    /// Maps every series the added runs and the verdicts refer to: the series of the same name
    /// here, or a new one with its tags.
    private mutating func mapSeries() throws {
        let table = try self.table("series")
        guard let idColumn = table.index(of: "id"), let nameColumn = table.index(of: "name")
        else { throw PerfDBError.badInput(source.path, "a series table without id or name") }
        var names: [String: Int64] = [:]
        for row in table.rows {
            if let id = row[idColumn].integer, let name = row[nameColumn].text { names[name] = id }
        }
        let here = try warehouse.rows(
            "SELECT name, id FROM series WHERE name = ANY(\(Array(names.keys)))")
        var ids: [String: Int64] = [:]
        for row in here {
            let (name, id) = try PostgresWarehouse.decode(row, as: (String, Int64).self)
            ids[name] = id
        }
        // A series is declared once any run declares it, here as on ingest.
        if let declaredColumn = table.index(of: "declared") {
            let declared = table.rows.compactMap { row in
                row[declaredColumn].integer == 1 ? row[nameColumn].text : nil
            }.filter { ids[$0] != nil }
            if !declared.isEmpty {
                try warehouse.execute(
                    "UPDATE series SET declared = 1 WHERE declared = 0 AND name = ANY(\(declared))"
                )
            }
        }
        let missing = table.rows.filter { row in
            row[nameColumn].text.map { ids[$0] == nil } ?? false
        }
        if !missing.isEmpty {
            // As ingest: new series are made under the series lock, looked up again inside it.
            try warehouse.execute("SELECT pg_advisory_xact_lock(\(PostgresWarehouse.seriesLock))")
            let tags = try self.table("series_tag")
            let columns = table.columns.filter { $0 != "id" }
            for row in missing {
                guard let name = row[nameColumn].text, let otherID = row[idColumn].integer else {
                    continue
                }
                if let id = try warehouse.single(
                    "SELECT id FROM series WHERE name = \(name)", as: Int64.self)
                {
                    ids[name] = id
                    continue
                }
                let values = columns.map { column in
                    table.index(of: column).map { row[$0] } ?? .null
                }
                guard let id = try insertRow("series", columns: columns, values: values) else {
                    throw PerfDBError(.internal, "series \(name) lost its id")
                }
                ids[name] = id
                report.seriesAdded += 1
                guard let tagSeries = tags.index(of: "series_id") else { continue }
                let mine = tags.rows.filter { $0[tagSeries].integer == otherID }.map { row in
                    var copy = row
                    copy[tagSeries] = .integer(id)
                    return copy
                }
                try warehouse.insert("series_tag", columns: tags.columns, rows: mine)
            }
        }
        for (name, otherID) in names {
            if let id = ids[name] { series[otherID] = id }
        }
    }

    // MARK: Rows of added runs

    /// Copies the rows of `table` that belong to added runs, run and series ids mapped.
    private func copyRows(_ name: String) throws {
        guard let table = source.tables[name], let runColumn = table.index(of: "run_id") else {
            return
        }
        let seriesColumn = table.index(of: "series_id")
        var rows: [[StoredValue]] = []
        for row in table.rows {
            guard let otherRun = row[runColumn].integer, added.contains(otherRun),
                let run = runs[otherRun]
            else { continue }
            var copy = row
            copy[runColumn] = .integer(run)
            if let seriesColumn, let otherSeries = row[seriesColumn].integer {
                guard let id = series[otherSeries] else {
                    throw PerfDBError.badInput(
                        source.path, "\(name) refers to series \(otherSeries), which it lacks")
                }
                copy[seriesColumn] = .integer(id)
            }
            rows.append(copy)
        }
        try warehouse.insert(name, columns: table.columns, rows: rows)
    }

    /// The SLO evaluations of added runs, renumbered, each with its results.
    private func copyEvaluations() throws {
        let evaluations = try table("slo_evaluation")
        let results = try table("slo_result")
        let columns = evaluations.columns.filter { $0 != "id" }
        guard let idColumn = evaluations.index(of: "id"),
            let runColumn = evaluations.index(of: "run_id"),
            let evaluationColumn = results.index(of: "evaluation_id")
        else { throw PerfDBError.badInput(source.path, "an SLO table without its keys") }
        var resultRows: [[StoredValue]] = []
        for row in evaluations.rows {
            guard let otherRun = row[runColumn].integer, added.contains(otherRun),
                let otherID = row[idColumn].integer
            else { continue }
            let values = columns.map { column -> StoredValue in
                let value = evaluations.index(of: column).map { row[$0] } ?? .null
                switch column {
                case "run_id": return runs[otherRun].map(StoredValue.integer) ?? .null
                // ON DELETE SET NULL: a run the other database no longer has is no run here.
                case "evaluated_run_id":
                    return value.integer.flatMap { runs[$0] }.map(StoredValue.integer) ?? .null
                default: return value
                }
            }
            guard let id = try insertRow("slo_evaluation", columns: columns, values: values) else {
                throw PerfDBError(.internal, "an SLO evaluation lost its id")
            }
            for result in results.rows where result[evaluationColumn].integer == otherID {
                var copy = result
                copy[evaluationColumn] = .integer(id)
                resultRows.append(copy)
            }
        }
        try warehouse.insert("slo_result", columns: results.columns, rows: resultRows)
    }

    /// The other database's links of load runs to chaos runs, both ids mapped; a run linked
    /// here already keeps its link.
    private func mergeChaosLinks() throws {
        guard let table = source.tables["chaos_link"] else { return }
        for row in table.rows {
            let value = { (name: String) in table.index(of: name).map { row[$0] } ?? .null }
            guard let run = value("run_id").integer.flatMap({ runs[$0] }),
                let chaos = value("chaos_run_id").integer.flatMap({ runs[$0] })
            else { continue }
            try warehouse.execute(
                """
                INSERT INTO chaos_link (run_id, chaos_run_id, linked_by, linked_at)
                VALUES (\(run), \(chaos), \(value("linked_by").text ?? "time"),
                    \(value("linked_at").text ?? ""))
                ON CONFLICT (run_id) DO NOTHING
                """)
        }
    }

    // MARK: Baselines

    private mutating func mergeBaselines() throws {
        let table = try self.table("baseline")
        guard !table.rows.isEmpty else { return }
        try warehouse.execute("SELECT pg_advisory_xact_lock(\(PostgresWarehouse.baselineLock))")
        var scopes: [Scope] = []
        for row in table.rows {
            let value = { (name: String) in table.index(of: name).map { row[$0] } ?? .null }
            guard let otherID = value("id").integer else { continue }
            guard let run = value("run_id").integer.flatMap({ runs[$0] }) else {
                throw PerfDBError.badInput(
                    source.path, "baseline \(otherID) refers to a missing run")
            }
            let scenario = value("scenario").text
            let environment = value("environment").text
            let branch = value("branch").text ?? ""
            let kind = value("kind").text ?? ""
            let window = value("window_size").integer
            let setAt = value("set_at").text ?? ""
            let setBy = value("set_by").text
            let reason = value("reason").text ?? ""
            if let id = try warehouse.single(
                """
                SELECT id FROM baseline
                WHERE scenario IS NOT DISTINCT FROM \(scenario)
                  AND environment IS NOT DISTINCT FROM \(environment) AND branch = \(branch)
                  AND kind = \(kind) AND run_id = \(run) AND window_size IS NOT DISTINCT FROM \(window)
                  AND set_at = \(setAt) AND set_by IS NOT DISTINCT FROM \(setBy) AND reason = \(reason)
                """, as: Int64.self)
            {
                baselines[otherID] = id
                continue
            }
            guard
                let id = try warehouse.single(
                    """
                    INSERT INTO baseline (scenario, environment, branch, kind, run_id, window_size,
                        set_at, set_by, reason)
                    VALUES (\(scenario), \(environment), \(branch), \(kind), \(run), \(window),
                        \(setAt), \(setBy), \(reason))
                    RETURNING id
                    """, as: Int64.self)
            else { throw PerfDBError(.internal, "a baseline entry lost its id") }
            baselines[otherID] = id
            report.baselinesAdded += 1
            let scope = Scope(scenario: scenario, environment: environment, branch: branch)
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        for scope in scopes { try warehouse.chainPins(of: scope) }
    }

    // MARK: Verdicts

    /// The verdicts of runs that have none here: a check's verdicts are replaced as a whole, so
    /// a run's verdicts come from one database, never from both.
    private mutating func mergeVerdicts() throws {
        let table = try self.table("verdict")
        guard let runColumn = table.index(of: "run_id") else { return }
        let seriesColumn = table.index(of: "series_id")
        let evidenceColumn = table.index(of: "evidence")
        let columns = table.columns.filter { $0 != "id" }
        let positions = columns.compactMap { table.index(of: $0) }
        // Runs in the order their verdicts were recorded (rows come in id order), so that a
        // merge into an empty database keeps the verdict ids.
        var byRun: [Int64: [[StoredValue]]] = [:]
        var order: [Int64] = []
        for row in table.rows {
            guard let run = row[runColumn].integer else { continue }
            if byRun[run] == nil { order.append(run) }
            byRun[run, default: []].append(row)
        }
        for otherRun in order {
            guard let run = runs[otherRun] else { continue }
            let judged = try warehouse.single(
                "SELECT EXISTS (SELECT 1 FROM verdict WHERE run_id = \(run))", as: Bool.self)
            guard judged == false else { continue }
            let rows = try (byRun[otherRun] ?? []).map { row -> [StoredValue] in
                var copy = row
                copy[runColumn] = .integer(run)
                var ofSeries = false
                if let seriesColumn, let otherSeries = row[seriesColumn].integer {
                    copy[seriesColumn] = series[otherSeries].map(StoredValue.integer) ?? .null
                    ofSeries = true
                }
                if let evidenceColumn, let text = row[evidenceColumn].text,
                    let evidence = try? VerdictRecord.Evidence(storedText: text, ofSeries: ofSeries)
                {
                    copy[evidenceColumn] = .text(
                        try evidence.remapped(runs: runs, baselines: baselines).storedText())
                }
                return positions.map { copy[$0] }
            }
            try warehouse.insert("verdict", columns: columns, rows: rows)
            report.verdictsAdded += rows.count
        }
    }

    // MARK: Helpers

    private func table(_ name: String) throws -> TableRows {
        guard let table = source.tables[name] else {
            throw PerfDBError.badInput(source.path, "not a perfdb database (no \(name) table)")
        }
        return table
    }

    /// Inserts one row and returns its id; nil when `onConflict` skipped it.
    private func insertRow(
        _ table: String, columns: [String], values: [StoredValue], onConflict: String = ""
    ) throws -> Int64? {
        try warehouse.single(
            PostgresQuery(
                unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
                    + (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
                    + ") \(onConflict) RETURNING id", binds: binds(values)), as: Int64.self)
    }

    private func binds(_ values: [StoredValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { value.bind(to: &binds) }
        return binds
    }
}

extension StoredValue {
    /// A cell of perfdb's column types.
    init(_ cell: PostgresCell) {
        guard var bytes = cell.bytes else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8:
            self = (try? cell.decode(Int64.self)).map(StoredValue.integer) ?? .null
        case .float4, .float8:
            self = (try? cell.decode(Double.self)).map(StoredValue.real) ?? .null
        case .bytea:
            self = .blob(bytes.readBytes(length: bytes.readableBytes) ?? [])
        default:
            self = (try? cell.decode(String.self)).map(StoredValue.text) ?? .null
        }
    }

    /// Binds the value with the type of its column.
    func bind(to binds: inout PostgresBindings) {
        switch self {
        case .null: binds.appendNull()
        case .integer(let value): binds.append(value)
        case .real(let value): binds.append(value)
        case .text(let value): binds.append(value)
        case .blob(let value): binds.append(ByteBuffer(bytes: value))
        }
    }
}
