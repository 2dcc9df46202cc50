import Foundation
import PerfDBTestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Tag values, metric names and labels are untrusted text: whatever they hold, Markdown tables
/// keep their shape, JUnit stays well-formed XML with bounded attributes, and JSON stays valid
/// and complete.
@Suite struct OutputSafetyTests {
    static let hostile =
        "ev|il`x`<script>alert(1)</script>\nline2&amp;" + String(repeating: "L", count: 500)

    /// A database holding the real smoke stream with one endpoint's `name` tag made hostile,
    /// and a hostile label.
    private func seeded() throws -> CLI {
        let cli = try CLI()
        let original = String(
            decoding: try CLI.gzip(["-dc", CLI.fixture("k6-ndjson", "smoke.ndjson.gz")]),
            as: UTF8.self)
        let escaped = try #require(
            String(
                data: try JSONSerialization.data(withJSONObject: [Self.hostile]), encoding: .utf8))
        let value = String(escaped.dropFirst().dropLast())  // the JSON string literal
        let changed = original.replacingOccurrences(
            of: #""name":"/health/live""#, with: #""name":"# + value)
        #expect(changed != original)
        let path = cli.directory.appending(path: "hostile.ndjson").path
        try Data(changed.utf8).write(to: URL(fileURLWithPath: path))
        let ingest = try cli.run(["ingest", path, "--label", "team=a|b`<b>x</b>\u{7}"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return cli
    }

    /// The number of cells of a Markdown table row: unescaped pipes, less one.
    private func cells(_ row: Substring) -> Int {
        var count = 0
        var previous: Character = " "
        for character in row {
            if character == "|" && previous != "\\" { count += 1 }
            previous = character
        }
        return count - 1
    }

    @Test func markdownTablesKeepTheirShape() throws {
        let cli = try seeded()
        for arguments in [
            ["check", "latest", "--format", "markdown"],
            ["runs", "show", "latest", "--format", "markdown"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status < 64, "\(result.stderr)")
            #expect(!result.stdout.contains("<script>"))
            #expect(!result.stdout.contains("<b>"))
            #expect(result.stdout.contains("&lt;script&gt;") || arguments[0] == "runs")
            var columns: Int?
            for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
                #expect(!line.hasPrefix("line2"), "a newline escaped the cell: \(arguments)")
                guard line.hasPrefix("|") else {
                    columns = nil
                    continue
                }
                let count = cells(line)
                if let columns {
                    #expect(count == columns, "\(line.prefix(200))")
                } else {
                    columns = count
                }
                #expect(line.count < 1000, "cells are bounded: \(line.count)")
            }
        }
    }

    @Test func plainTablesStayOneLinePerRow() throws {
        let cli = try seeded()
        let result = try cli.run(["check", "latest", "--format", "table"])
        #expect(result.status < 64)
        for line in result.stdout.split(separator: "\n") {
            #expect(!line.hasPrefix("line2"))
            #expect(line.count < 1000)
        }
    }

    @Test func junitIsWellFormedWithBoundedAttributes() throws {
        let cli = try seeded()
        let result = try cli.run(["check", "latest", "--format", "junit"])
        #expect(result.status < 64)
        #expect(!result.stdout.contains("<script>"))
        final class Collector: NSObject, XMLParserDelegate {
            var attributes: [String] = []
            func parser(
                _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]
            ) {
                self.attributes.append(contentsOf: attributes.values)
            }
        }
        let parser = XMLParser(data: Data(result.stdout.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(collector.attributes.contains { $0.contains("<script>alert(1)</script>\nline2") })
        #expect(collector.attributes.allSatisfy { $0.count <= 256 })
    }

    @Test func jsonStaysValidAndComplete() throws {
        let cli = try seeded()
        let check = try cli.run(["check", "latest", "--format", "json"])
        let show = try cli.run(["runs", "show", "latest", "--format", "json"])
        for result in [check, show] {
            #expect(result.status < 64)
            #expect(throws: Never.self) {
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            }
        }
        // Complete: the whole value, escaped only as JSON escapes it.
        let json = try #require(
            String(
                data: try JSONSerialization.data(withJSONObject: [Self.hostile]), encoding: .utf8))
        let literal = json.dropFirst(2).dropLast(2).replacingOccurrences(of: "\\/", with: "/")
        #expect(check.stdout.replacingOccurrences(of: "\\/", with: "/").contains(literal))
        #expect(show.stdout.contains("a|b`<b>x</b>"))
    }

    /// A PostgreSQL URL is no file name: an unreachable server is retried until
    /// `--connect-timeout`, then exit 75 with one line; no file is made, and the password the
    /// URL holds is never printed.
    @Test(arguments: [
        ["ingest", "--db", "postgresql://ci:hunter2-secret@127.0.0.1:1/perf", "LOAD"],
        ["runs", "list", "--db", "postgres://ci:hunter2-secret@127.0.0.1:1/perf"],
        ["check", "latest"],
    ])
    func anUnreachableServerIsExit75WithoutThePassword(arguments: [String]) throws {
        let cli = try CLI()
        let load = CLI.fixture("k6-summary-export", "load.json")
        let result = try cli.run(
            arguments.map { $0 == "LOAD" ? load : $0 } + ["--connect-timeout", "1"],
            environment: ["PERFDB_DB": "postgresql://ci:hunter2-secret@127.0.0.1:1/perf"])
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("server unreachable after"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("ci:***@"))
        #expect(!(result.stdout + result.stderr).contains("hunter2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).isEmpty)
    }
}
