import Foundation
import PerfDBTestSupport
import Testing

/// Bad input never touches the database: one clear message naming the file (and line or
/// field), the documented exit code, and the database byte for byte as it was.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var content: [UInt8]
        var status: Int32
        var message: String
        var testDescription: String { name }
    }

    static let summary: String = {
        (try? String(
            contentsOfFile: TestPaths.fixture("k6-summary-export", "smoke.json"), encoding: .utf8))
            ?? ""
    }()

    static let cases: [Case] = [
        Case(name: "empty", content: [], status: 65, message: "empty file"),
        Case(
            name: "truncated", content: Array(summary.utf8.prefix(800)), status: 65,
            message: "not valid JSON"),
        Case(
            name: "binary", content: [0x00, 0x01, 0xFF, 0xD8, 0x42], status: 65,
            message: "not valid JSON"),
        Case(
            name: "unknown-json", content: Array(#"{"hello": "world"}"#.utf8), status: 65,
            message: "JSON of an unknown kind"),
        Case(
            name: "no-metrics", content: Array(#"{"metrics":{},"root_group":{}}"#.utf8),
            status: 65, message: "field metrics: no metrics: an empty k6 summary"),
        Case(
            name: "no-metrics-handle-summary",
            content: Array(
                #"{"metrics":{},"root_group":{"groups":[],"checks":[]},"state":{}}"#.utf8),
            status: 65, message: "field metrics: no metrics: an empty k6 summary"),
        Case(
            name: "array", content: Array("[1, 2, 3]".utf8), status: 65,
            message: "JSON of an unknown kind"),
        Case(
            name: "nan",
            content: Array(
                summary.replacingOccurrences(of: #""avg": "#, with: #""avg": NaN, "x": "#).utf8),
            status: 65, message: "NaN and Infinity are not JSON numbers"),
        Case(
            name: "negative-duration",
            content: Array(
                #"{"metrics": {"http_req_duration": {"avg": -5, "min": 1, "med": 1, "max": 1, "p(90)": 1, "p(95)": 1}}, "root_group": {"name": "", "path": "", "id": "x", "groups": {}, "checks": {}}}"#
                    .utf8), status: 65, message: "field metrics.http_req_duration.avg"),
        Case(
            name: "rate-above-one",
            content: Array(
                #"{"metrics": {"http_req_failed": {"passes": 1, "fails": 2, "value": 7}}, "root_group": {"name": "", "path": "", "id": "x", "groups": {}, "checks": {}}}"#
                    .utf8), status: 65, message: "field metrics.http_req_failed.value"),
        Case(
            name: "huge",
            content: Array(
                #"{"metrics": {"http_reqs": {"count": 1e300, "rate": 1}}, "root_group": {"name": "", "path": "", "id": "x", "groups": {}, "checks": {}}}"#
                    .utf8), status: 65, message: "absurd value"),
        Case(
            name: "duplicate-keys",
            content: Array(#"{"metrics": {}, "metrics": {}, "root_group": {}}"#.utf8), status: 65,
            message: "duplicate key \"metrics\""),
        Case(
            name: "gzip-cut-short",
            content: [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56],
            status: 65, message: "gzip stream cut short"),
        Case(
            name: "invalid-utf8", content: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D],
            status: 65,
            message: "invalid UTF-8"),
        Case(
            name: "slo-bad-status",
            content: Array(
                #"{"format": "perfdb-slo-report", "version": 1, "slos": [{"name": "p95", "metric": "http_req_duration", "statistic": "p95", "comparator": "<", "target": 3000, "status": "GREAT", "priority": "P0"}], "overall_status": "PASS", "exit_code": 0}"#
                    .utf8), status: 65, message: "field slos[0].status"),
    ]

    /// A database with one good run, and its bytes.
    private func seeded() throws -> (CLI, Data) {
        let cli = try CLI()
        let seed = try cli.run(["ingest", CLI.fixture("k6-summary-export", "smoke.json")])
        #expect(seed.status == 0)
        return (cli, try Data(contentsOf: URL(fileURLWithPath: cli.db)))
    }

    @Test(arguments: cases)
    func badFilesAreRefusedAndStoreNothing(_ badCase: Case) throws {
        let (cli, before) = try seeded()
        let path = cli.directory.appending(path: "\(badCase.name).json").path
        try Data(badCase.content).write(to: URL(fileURLWithPath: path))
        let result = try cli.run(["ingest", path])
        #expect(result.status == badCase.status)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("perfdb: \(path): "), "names the file: \(result.stderr)")
        #expect(result.stderr.contains(badCase.message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
    }

    @Test func aTruncatedFileNamesTheLine() throws {
        let (cli, _) = try seeded()
        let path = cli.directory.appending(path: "cut.json").path
        try Data(Self.summary.utf8.prefix(800)).write(to: URL(fileURLWithPath: path))
        let result = try cli.run(["ingest", path])
        #expect(result.stderr.contains("line "), "\(result.stderr)")
    }

    @Test func missingFilesAndDirectoriesAreNotFound() throws {
        let (cli, before) = try seeded()
        let missing = try cli.run(["ingest", cli.directory.appending(path: "nope.json").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no such file"))
        let directory = try cli.run(["ingest", cli.directory.path])
        #expect(directory.status == 66)
        #expect(directory.stderr.contains("is a directory"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
    }

    @Test func oneBadFileAmongGoodOnesStoresNothing() throws {
        let (cli, before) = try seeded()
        let bad = cli.directory.appending(path: "bad.json").path
        try Data("{".utf8).write(to: URL(fileURLWithPath: bad))
        let result = try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json"), bad])
        #expect(result.status == 65)
        #expect(result.stderr.contains("nothing was stored"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
    }

    @Test func aForcedFormatThatDoesNotFitIsBadInput() throws {
        let (cli, before) = try seeded()
        let result = try cli.run(
            ["ingest", "--format", "chaos-result", CLI.fixture("k6-summary-export", "load.json")])
        #expect(result.status == 65)
        #expect(result.stderr.contains("field version: missing"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
    }

    @Test func usageErrorsExit64() throws {
        let cli = try CLI()
        #expect(try cli.run(["ingest"]).status == 64)
        #expect(try cli.run(["ingest", "x.json", "--format", "xml"]).status == 64)
        #expect(try cli.run(["ingest", "x.json", "--started-at", "yesterday"]).status == 64)
        #expect(try cli.run(["ingest", "x.json", "--label", "novalue"]).status == 64)
        #expect(try cli.run(["runs", "show", "abc"]).status == 64)
        #expect(try cli.run(["frobnicate"]).status == 64)
    }

    @Test(arguments: [
        ["runs", "list"], ["check"], ["check", "1", "--no-store"], ["slo", "check"],
        ["trend", "--metric", "http_req_duration"], ["baseline", "drift"],
        ["baseline", "set", "1", "--reason", "r"], ["accept", "1", "--reason", "r"],
        ["runs", "invalidate", "1", "--reason", "r"], ["runs", "delete", "1"], ["report"],
        ["chaos", "trend"], ["backup", "copy.sqlite"], ["site", "public"],
    ])
    func commandsThatDoNotIngestNeverCreateADatabase(arguments: [String]) throws {
        let cli = try CLI()
        let result = try cli.run(arguments + ["--db", "typo.sqlite"])
        #expect(result.status == 66, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("no such database"))
        #expect(
            !FileManager.default.fileExists(
                atPath: cli.directory.appending(path: "typo.sqlite").path))
    }

    @Test func queryRefusesWritesAndLeavesTheDatabaseUnchanged() throws {
        let (cli, before) = try seeded()
        for sql in [
            "DELETE FROM run", "UPDATE run SET status = 'failed'", "DROP TABLE measurement",
            "ATTACH DATABASE 'x.sqlite' AS x", "PRAGMA foreign_keys = OFF", "CREATE TABLE t (a)",
        ] {
            let result = try cli.run(["query", sql])
            #expect(result.status == 64, "\(sql)")
            #expect(
                result.stderr.contains("read-only") || result.stderr.contains("SQL error"),
                "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
        let select = try cli.run(["query", "SELECT kind, status FROM run", "--format", "json"])
        #expect(select.status == 0)
        #expect(
            select.stdout == "[\n  {\n    \"kind\": \"load\",\n    \"status\": \"passed\"\n  }\n]\n"
        )
    }
}
