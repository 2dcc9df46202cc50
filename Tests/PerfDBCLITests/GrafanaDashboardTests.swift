import Foundation
import PerfDBTestSupport
import Testing

/// The Grafana dashboards of `dashboards/` (docs/grafana.md) against the demo history on both
/// engines.
///
/// Each file is a dashboard Grafana can import, and every panel query, annotation and
/// template variable query, with Grafana's macros and variables replaced as Grafana would,
/// returns rows with the columns its panel draws. The SQLite dashboards read a
/// `backup --journal-mode delete` copy opened read-only in a read-only folder, as Grafana's
/// SQLite data source would.
@Suite(.serialized) struct GrafanaDashboardTests {
    /// The demo history with stored gate verdicts and SLO evaluations, as a team's would be.
    static func demoWithDecisions() throws -> CLI {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        for run in 1...18 {
            let check = try cli.run(["check", String(run), "--format", "json"])
            #expect(check.status < 64, "check \(run): \(check.stderr)")
        }
        for run in [1, 6, 12, 18] {
            let slo = try cli.run(["slo", "check", String(run), "--format", "json"])
            #expect(slo.status < 64, "slo check \(run): \(slo.stderr)")
        }
        return cli
    }

    /// Root opens any file: drop the capabilities that let it, so a read-only folder is
    /// read-only to the reader as it would be to Grafana's user.
    static let unprivileged =
        geteuid() == 0 ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] : []

    /// A `backup --journal-mode delete` copy of the database `arguments` name, alone in a folder
    /// made read-only.
    static func readOnlyCopy(
        _ cli: CLI, _ arguments: [String] = [], environment: [String: String] = [:]
    )
        throws -> String
    {
        let folder = cli.directory.appending(path: "grafana-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appending(path: "perfdb.sqlite").path
        let backup = try cli.run(
            ["backup", copy, "--journal-mode", "delete"] + arguments, environment: environment)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(chmod(folder.path, 0o555) == 0)
        return copy
    }

    /// The rows of a query on an SQLite file opened read-only by the sqlite3 shell.
    static func sqliteRows(_ cli: CLI, _ file: String, _ sql: String) throws -> [[String: Any]] {
        let result = try cli.run(
            [file, sql], launcher: unprivileged + ["sqlite3", "-readonly", "-bail", "-json"])
        #expect(result.status == 0, "\(result.stderr)\n\(sql)")
        guard !result.stdout.isEmpty else { return [] }
        return
            (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            ?? []
    }

    @Test func theDashboardsRunOnSQLiteFromAReadOnlyCopy() throws {
        let cli = try Self.demoWithDecisions()
        let copy = try Self.readOnlyCopy(cli)
        let dashboards = try GrafanaDashboard.all(.sqlite)
        #expect(dashboards.count == 4)
        for dashboard in dashboards {
            try dashboard.runEveryQuery { sql in try Self.sqliteRows(cli, copy, sql) }
        }
        let folder = URL(fileURLWithPath: copy).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["perfdb.sqlite"])
    }

    @Test func theDashboardsRunOnPostgreSQL() throws {
        let cli = try Self.demoWithDecisions()
        let server = try PostgresCommandTests.Server("grafana")
        let merged = try cli.run(
            ["merge", cli.db, "--db", server.url], environment: server.environment)
        #expect(merged.status == 0, "\(merged.stderr)")
        let dashboards = try GrafanaDashboard.all(.postgresql)
        #expect(dashboards.count == 4)
        for dashboard in dashboards {
            try dashboard.runEveryQuery { sql in
                try server.cluster.psql(
                    "SELECT row_to_json(q) FROM (\(sql)) AS q", database: server.database
                )
                .split(separator: "\n").map {
                    (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:]
                }
            }
        }
        // `perfdb query` shows a view's time as perfdb writes times; on SQLite it is seconds.
        let sql = "SELECT time, started_at FROM v_measurement ORDER BY time LIMIT 1"
        let onServer = try PostgresCommandTests.rows(cli, sql, server.environment)
        #expect(onServer.first?["time"] as? String == "2026-11-10T09:00:00.000Z")
        #expect(onServer.first?["started_at"] as? String == "2026-11-10T09:00:00.000Z")
        let inFile = try PostgresCommandTests.rows(cli, sql, [:])
        #expect(inFile.first?["time"] as? Int == 1_794_301_200)
        // A backup of the server is a SQLite file too: the SQLite dashboards read it read-only.
        let copy = try Self.readOnlyCopy(
            cli, ["--db", server.url], environment: server.environment)
        #expect(
            try Self.sqliteRows(cli, copy, "PRAGMA journal_mode").first?["journal_mode"] as? String
                == "delete")
        for dashboard in try GrafanaDashboard.all(.sqlite) {
            try dashboard.runEveryQuery { sql in try Self.sqliteRows(cli, copy, sql) }
        }
        let folder = URL(fileURLWithPath: copy).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["perfdb.sqlite"])
    }

    @Test func bothEnginesHaveTheSameDashboards() throws {
        let sqlite = try GrafanaDashboard.all(.sqlite)
        let postgresql = try GrafanaDashboard.all(.postgresql)
        #expect(sqlite.map(\.name) == postgresql.map(\.name))
        for (lite, server) in zip(sqlite, postgresql) {
            #expect(lite.variables.map(\.name) == server.variables.map(\.name), "\(lite.name)")
            #expect(lite.queries.map(\.label) == server.queries.map(\.label), "\(lite.name)")
        }
    }

    /// The files are what `tools/grafana-dashboards.py` writes: no dashboard is edited by hand
    /// on one engine only.
    @Test func theDashboardsAreWhatTheToolWrites() throws {
        let cli = try CLI()
        let folder = cli.directory.appending(path: "dashboards")
        let tool = TestPaths.root.appending(path: "tools/grafana-dashboards.py").path
        let written = try cli.run([tool, folder.path], launcher: ["python3"])
        #expect(written.status == 0, "\(written.stderr)")
        for engine in GrafanaDashboard.Engine.allCases {
            let committed = TestPaths.root.appending(path: "dashboards/\(engine.rawValue)")
            let names = try FileManager.default.contentsOfDirectory(atPath: committed.path).sorted()
            #expect(
                try FileManager.default.contentsOfDirectory(
                    atPath: folder.appending(path: engine.rawValue).path
                ).sorted() == names)
            for name in names {
                let fresh = try Data(
                    contentsOf: folder.appending(path: "\(engine.rawValue)/\(name)"))
                #expect(
                    try Data(contentsOf: committed.appending(path: name)) == fresh,
                    "dashboards/\(engine.rawValue)/\(name) is stale: run tools/grafana-dashboards.py"
                )
            }
        }
    }

    /// The macros are replaced as documented, and a query that still holds one is caught.
    @Test func theMacrosAreReplacedAsDocumented() throws {
        let values = ["scenario": ["load", "it's"]]
        #expect(
            try GrafanaDashboard.Engine.postgresql.expand(
                "WHERE $__timeFilter(time) AND scenario IN (${scenario:singlequote})", values)
                == "WHERE time BETWEEN '2000-01-01T00:00:00Z' AND '2100-01-01T00:00:00Z' "
                + "AND scenario IN ('load','it''s')")
        #expect(
            try GrafanaDashboard.Engine.sqlite.expand(
                "WHERE time >= $__from / 1000 AND time < $__to / 1000 AND s IN ($scenario)",
                values)
                == "WHERE time >= 946684800000 / 1000 AND time < 4102444800000 / 1000 "
                + "AND s IN ('load','it''s')")
        #expect(throws: GrafanaDashboard.Failure.self) {
            try GrafanaDashboard.Engine.sqlite.expand("WHERE $__timeFilter(time)", [:])
        }
        #expect(throws: GrafanaDashboard.Failure.self) {
            try GrafanaDashboard.Engine.sqlite.expand("WHERE s IN (${branch:singlequote})", values)
        }
    }

    /// `backup --journal-mode delete` leaves a copy in rollback-journal mode that a reader
    /// without write access opens read-only (as `mode=ro` and as `immutable=1`), creating no
    /// file beside it; the original stays in WAL mode; a default (WAL) copy in the same kind of
    /// folder cannot be opened so.
    @Test func aDeleteJournalCopyOpensReadOnly() throws {
        let cli = try CLI.demo()
        let copy = try Self.readOnlyCopy(cli)
        let folder = URL(fileURLWithPath: copy).deletingLastPathComponent().path
        let sql = "SELECT count(*) AS runs FROM run"
        let expected = try Self.sqliteRows(cli, cli.db, sql).first?["runs"] as? Int
        #expect(expected == 58)
        #expect(
            try Self.sqliteRows(cli, copy, "PRAGMA journal_mode").first?["journal_mode"] as? String
                == "delete")
        #expect(try Self.sqliteRows(cli, copy, sql).first?["runs"] as? Int == expected)
        for uri in ["file:\(copy)?mode=ro", "file:\(copy)?immutable=1"] {
            let result = try cli.run(
                [uri, sql], launcher: Self.unprivileged + ["sqlite3", "-json"])
            #expect(result.status == 0, "\(uri): \(result.stderr)")
            #expect(result.stdout.contains("\"runs\":\(expected ?? -1)"), "\(uri)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["perfdb.sqlite"])
        let original = try cli.run([cli.db, "PRAGMA journal_mode"], launcher: ["sqlite3"])
        #expect(original.stdout == "wal\n")

        let walFolder = cli.directory.appending(path: "wal")
        try FileManager.default.createDirectory(at: walFolder, withIntermediateDirectories: true)
        let walCopy = walFolder.appending(path: "perfdb.sqlite").path
        #expect(try cli.run(["backup", walCopy]).status == 0)
        #expect(
            try cli.run([walCopy, "PRAGMA journal_mode"], launcher: ["sqlite3"]).stdout == "wal\n")
        #expect(chmod(walFolder.path, 0o555) == 0)
        let refused = try cli.run(
            [walCopy, sql], launcher: Self.unprivileged + ["sqlite3", "-readonly"])
        #expect(refused.status != 0, "a WAL copy opened read-only: \(refused.stdout)")
        // What Grafana's SQLite data source reports then.
        #expect(
            refused.stderr.contains("attempt to write a readonly database"), "\(refused.stderr)")
    }

    @Test func anUnknownJournalModeIsAUsageError() throws {
        let cli = try CLI.demo()
        let copy = cli.directory.appending(path: "copy.sqlite").path
        let result = try cli.run(["backup", copy, "--journal-mode", "truncate"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: copy))
    }
}

/// One dashboard file of `dashboards/<engine>/`, read as Grafana reads it.
struct GrafanaDashboard {
    /// A data source the dashboards are written for.
    enum Engine: String, CaseIterable {
        case postgresql
        case sqlite

        /// The data source plugin's id.
        var plugin: String {
            switch self {
            case .postgresql: "grafana-postgresql-datasource"
            case .sqlite: "frser-sqlite-datasource"
            }
        }

        /// The time range every query is run over: wider than any history.
        static let from = "2000-01-01T00:00:00Z"
        static let to = "2100-01-01T00:00:00Z"

        /// The SQL Grafana would send.
        ///
        /// Its macros are replaced for the range above, each template
        /// variable by all its values as `'a','b'` (the `singlequote` format, and what
        /// "All" of a multi-value variable gives a SQL data source). PostgreSQL's data source
        /// expands `$__timeFilter(col)` to `col BETWEEN 'from' AND 'to'` and `$__timeFrom()`,
        /// `$__timeTo()` to the quoted times; on SQLite Grafana replaces `$__from` and `$__to`
        /// with the range in epoch milliseconds.
        func expand(_ sql: String, _ variables: [String: [String]]) throws -> String {
            var text = sql
            switch self {
            case .postgresql:
                text = text.replacingOccurrences(
                    of: #"\$__timeFilter\(([^)]+)\)"#,
                    with: "$1 BETWEEN '\(Self.from)' AND '\(Self.to)'", options: .regularExpression)
                text = text.replacingOccurrences(of: "$__timeFrom()", with: "'\(Self.from)'")
                text = text.replacingOccurrences(of: "$__timeTo()", with: "'\(Self.to)'")
            case .sqlite:
                text = text.replacingOccurrences(of: "$__from", with: "946684800000")
                text = text.replacingOccurrences(of: "$__to", with: "4102444800000")
            }
            // Longer names first, so $series is not taken for $se…
            for (name, values) in variables.sorted(by: { $0.key.count > $1.key.count }) {
                let list = values.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
                    .joined(separator: ",")
                for form in [
                    "${\(name):singlequote}", "${\(name):sqlstring}", "${\(name)}", "$\(name)",
                ] {
                    text = text.replacingOccurrences(of: form, with: list)
                }
            }
            if let left = text.range(of: #"\$\{?[A-Za-z_]+"#, options: .regularExpression) {
                throw Failure(description: "\(text[left]) is not replaced in: \(sql)")
            }
            return text
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A template variable whose values come from a query.
    struct Variable {
        var name: String
        var sql: String
    }

    /// A query of a panel or an annotation, with the columns Grafana draws from its rows.
    struct Query {
        /// `dashboard / panel / refId`, for messages.
        var label: String
        var sql: String
        /// Columns every result must have: for a time series `time`, `metric` and `value`;
        /// for an annotation `time` and `text`; for a stat panel `value`; for a table `time`.
        var required: [String]
        /// Whether `time` must hold a time (every row).
        var timed: Bool
    }

    var engine: Engine
    var name: String
    var variables: [Variable] = []
    var queries: [Query] = []

    /// Every dashboard of `dashboards/<engine>/`, by file name.
    static func all(_ engine: Engine) throws -> [GrafanaDashboard] {
        let folder = TestPaths.root.appending(path: "dashboards/\(engine.rawValue)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }.sorted()
            .map { try GrafanaDashboard(engine, file: folder.appending(path: $0)) }
    }

    /// Reads a dashboard and checks what Grafana needs to import it: its data source input,
    /// `schemaVersion`, `templating`, `annotations`, and panels whose targets name the engine's
    /// data source through the input.
    init(_ engine: Engine, file: URL) throws {
        self.engine = engine
        name = file.lastPathComponent
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
        let root = try Self.object(json, "\(name)")
        #expect(root["schemaVersion"] as? Int ?? 0 >= 36, "\(name): schemaVersion")
        #expect((root["title"] as? String)?.isEmpty == false, "\(name): title")
        #expect((root["uid"] as? String)?.isEmpty == false, "\(name): uid")
        let inputs = root["__inputs"] as? [[String: Any]] ?? []
        #expect(
            inputs.contains {
                $0["name"] as? String == "DS_PERFDB" && $0["type"] as? String == "datasource"
                    && $0["pluginId"] as? String == engine.plugin
            }, "\(name): a datasource input DS_PERFDB for \(engine.plugin)")
        let templating = try Self.object(root["templating"], "\(name): templating")
        let list = templating["list"] as? [[String: Any]] ?? []
        #expect(
            list.contains {
                $0["type"] as? String == "datasource" && $0["name"] as? String == "DS_PERFDB"
                    && $0["query"] as? String == engine.plugin
            }, "\(name): a datasource variable DS_PERFDB")
        for variable in list where variable["type"] as? String == "query" {
            let variableName = variable["name"] as? String ?? "?"
            try checkSource(variable["datasource"], "\(name) variable \(variableName)")
            let sql =
                variable["query"] as? String ?? (variable["query"] as? [String: Any])?["query"]
                as? String
            variables.append(
                Variable(
                    name: variableName, sql: try #require(sql, "\(name) variable \(variableName)")))
        }
        let annotations = try Self.object(root["annotations"], "\(name): annotations")
        for annotation in annotations["list"] as? [[String: Any]] ?? []
        where annotation["builtIn"] == nil {
            let label = "\(name) / annotation \(annotation["name"] as? String ?? "?")"
            try checkSource(annotation["datasource"], label)
            let target = try Self.object(annotation["target"], label)
            queries.append(
                Query(
                    label: label, sql: try sql(of: target, label), required: ["time", "text"],
                    timed: true))
        }
        let panels = root["panels"] as? [[String: Any]] ?? []
        #expect(!panels.isEmpty, "\(name): panels")
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let type = panel["type"] as? String ?? "?"
            #expect(panel["gridPos"] is [String: Any], "\(name) / \(title): gridPos")
            try checkSource(panel["datasource"], "\(name) / \(title)")
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(name) / \(title): targets")
            for target in targets {
                let label = "\(name) / \(title) / \(target["refId"] as? String ?? "?")"
                try checkSource(target["datasource"], label)
                let series =
                    target["format"] as? String == "time_series"
                    || target["queryType"] as? String == "time series"
                if type == "timeseries" { #expect(series, "\(label): a time series query") }
                // A stat panel shows one number; a table lists runs, newest first, by time.
                let required =
                    series ? ["time", "metric", "value"] : type == "stat" ? ["value"] : ["time"]
                queries.append(
                    Query(
                        label: label, sql: try sql(of: target, label), required: required,
                        timed: type != "stat"))
            }
        }
    }

    /// The SQL of a target: `rawSql` on PostgreSQL; `rawQueryText` (what the query editor
    /// holds) on SQLite, whose `timeColumns` must name `time`.
    private func sql(of target: [String: Any], _ label: String) throws -> String {
        switch engine {
        case .postgresql:
            #expect(target["rawQuery"] as? Bool == true, "\(label): rawQuery")
            return try #require(target["rawSql"] as? String, "\(label): rawSql")
        case .sqlite:
            #expect(
                (target["timeColumns"] as? [String])?.contains("time") == true,
                "\(label): timeColumns")
            return try #require(target["rawQueryText"] as? String, "\(label): rawQueryText")
        }
    }

    /// A data source reference is the engine's plugin through the `${DS_PERFDB}` input.
    private func checkSource(_ value: Any?, _ label: String) throws {
        let source = try Self.object(value, "\(label): datasource")
        #expect(source["type"] as? String == engine.plugin, "\(label): datasource type")
        #expect(source["uid"] as? String == "${DS_PERFDB}", "\(label): datasource uid")
    }

    private static func object(_ value: Any?, _ label: String) throws -> [String: Any] {
        try #require(value as? [String: Any], "\(label) is not an object")
    }

    /// Runs the variable queries in order (each later one with the values of those before),
    /// then every panel and annotation query, and checks each returns at least one row with
    /// the columns its panel draws, each of them holding a value in some row.
    func runEveryQuery(_ rows: (String) throws -> [[String: Any]]) throws {
        var values: [String: [String]] = [:]
        for variable in variables {
            let result = try rows(try engine.expand(variable.sql, values))
            let found = result.compactMap { $0.values.first.map { "\($0)" } }
            #expect(!found.isEmpty, "\(name) variable \(variable.name) has no values")
            values[variable.name] = found
        }
        for query in queries {
            let result = try rows(try engine.expand(query.sql, values))
            #expect(!result.isEmpty, "\(query.label): no rows")
            guard let first = result.first else { continue }
            for column in query.required {
                #expect(first.keys.contains(column), "\(query.label): no column \(column)")
            }
            for column in first.keys {
                #expect(
                    result.contains { !($0[column] is NSNull) && $0[column] != nil },
                    "\(query.label): column \(column) is always NULL")
            }
            if query.timed {
                for row in result {
                    #expect(
                        isTime(row["time"]),
                        "\(query.label): time \(String(describing: row["time"]))")
                }
            }
        }
    }

    /// A time as the engine's data source reads it: on SQLite epoch seconds within the demo's
    /// years, on PostgreSQL a timestamptz (JSON text with an offset).
    private func isTime(_ value: Any?) -> Bool {
        switch engine {
        case .sqlite:
            guard let seconds = value as? Int else { return false }
            return (1_577_836_800..<1_893_456_000).contains(seconds)  // 2020 … 2030
        case .postgresql:
            guard let text = value as? String else { return false }
            return text.range(
                of: #"^20[23][0-9]-[01][0-9]-[0-3][0-9]T[0-9:.]+\+00:00$"#,
                options: .regularExpression) != nil
        }
    }
}
