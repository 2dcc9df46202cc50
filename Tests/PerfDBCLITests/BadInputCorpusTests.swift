import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every accepted format, broken every way a CI job breaks files.
///
/// Each broken file gets its documented exit code and a message naming the file (and line or
/// field), and the database stays byte for byte as it was. A byte-order mark and CRLF line
/// ends are accepted.
@Suite struct BadInputCorpusTests {
    enum Breakage: String, CaseIterable, Sendable {
        case truncated, empty, binary, invalidUTF8, gzipCutShort, longLine, byteOrderMark, crlf
    }

    /// What perfdb must do with a format broken one way.
    struct Expectation {
        var status: Int32
        /// A fragment of the message (stderr).
        var message: String
    }

    static func expectation(_ format: InputFormat, _ breakage: Breakage) -> Expectation {
        switch breakage {
        case .truncated:
            // A raw stream cut short is what a killed k6 leaves: stored as incomplete.
            format.isStream
                ? Expectation(status: 0, message: "the last line is cut short")
                : format == .locustCSV
                    ? Expectation(status: 65, message: "fields, the header has 22")
                    : Expectation(status: 65, message: "not valid JSON")
        case .empty: Expectation(status: 65, message: "empty file")
        case .binary:
            // Read as JSON when detected, as the forced format otherwise: only the file is named.
            Expectation(status: 65, message: "")
        case .invalidUTF8:
            Expectation(status: 65, message: format.isStream ? "invalid UTF-8 in" : "invalid UTF-8")
        case .gzipCutShort: Expectation(status: 65, message: "gzip stream cut short")
        case .longLine:
            format.isStream
                ? Expectation(status: 65, message: "a line longer than 2 MiB")
                : format == .locustCSV
                    ? Expectation(status: 65, message: "a quoted field is never closed")
                    : Expectation(status: 65, message: "not valid JSON: unterminated string")
        case .byteOrderMark, .crlf: Expectation(status: 0, message: ", \(format.rawValue), ")
        }
    }

    /// The broken bytes.
    static func broken(_ format: InputFormat, _ breakage: Breakage) throws -> [UInt8] {
        let original = try format.original()
        switch breakage {
        case .truncated:
            return Array(original.prefix(original.count / 2))
        case .empty:
            return []
        case .binary:
            return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]
                + (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        case .invalidUTF8:
            // Inside a string a third of the way in: a metric name or tag for the streams, a
            // string value for the documents.
            let needle: [UInt8] =
                switch format {
                case .k6NDJSON, .k6HandleSummary: Array(#""name":""#.utf8)
                case .k6CSV: [UInt8(ascii: "\n"), UInt8(ascii: "h")]
                case .locustCSV: [UInt8(ascii: "\n"), UInt8(ascii: "G")]
                default: Array(#"": ""#.utf8)
                }
            let at = try #require(find(needle, in: original, from: original.count / 3))
            var bytes = original
            bytes.insert(contentsOf: [0xC3, 0x28], at: at + needle.count)
            return bytes
        case .gzipCutShort:
            return Array(try CLI.gzip(["-c", "-n", format.fixture]).prefix(200))
        case .longLine:
            // One 100 MB line: after the header of a CSV, as the first line of the others.
            let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000_000)
            switch format {
            case .k6CSV:
                return Array(
                    "metric_name,timestamp,metric_value,name\nhttp_reqs,1764379000,1,".utf8)
                    + filler + [UInt8(ascii: "\n")]
            case .locustCSV:
                return Array(
                    "Type,Name,Request Count,Failure Count,Median Response Time\r\nGET,\"".utf8)
                    + filler
            case .k6NDJSON:
                return Array(
                    #"{"metric":"http_reqs","type":"Point","data":{"time":"2026-11-29T01:15:39Z","value":1,"tags":{"name":""#
                        .utf8) + filler + Array("\"}}}\n".utf8)
            default:
                return Array(#"{"metrics": {}, "name": ""#.utf8) + filler
            }
        case .byteOrderMark:
            return [0xEF, 0xBB, 0xBF] + original
        case .crlf:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(original.count * 2)
            for byte in original {
                if byte == UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\r")) }
                bytes.append(byte)
            }
            return bytes
        }
    }

    @Test(arguments: InputFormat.allCases, Breakage.allCases)
    func brokenFilesGetTheirExitCodeAndLeaveTheDatabaseAlone(
        _ format: InputFormat, _ breakage: Breakage
    ) throws {
        let cli = try CLI()
        #expect(
            try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        let path = cli.directory.appending(path: "\(format.rawValue)-\(breakage.rawValue)").path
        try Data(try Self.broken(format, breakage)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = Self.expectation(format, breakage)
        // Detected from content, and with the format forced: both must hold.
        for forced in [false, true] {
            let arguments =
                ["ingest", path] + (forced ? ["--format", format.rawValue] : [])
                + (expected.status == 0 ? ["--replace"] : [])
            let result = try cli.run(arguments)
            #expect(
                result.status == expected.status,
                "\(arguments.joined(separator: " ")): \(result.stderr)")
            #expect(
                expected.message.isEmpty || result.stderr.contains(expected.message),
                "\(result.stderr)")
            if expected.status == 0 { continue }
            #expect(result.stdout.isEmpty)
            #expect(
                result.stderr.hasPrefix("perfdb: \(path): "), "names the file: \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
        }
    }

    @Test(arguments: InputFormat.allCases)
    func anUnreadableFileIsExit66(_ format: InputFormat) throws {
        let cli = try CLI()
        #expect(
            try cli.run(["ingest", CLI.fixture("k6-summary-export", "load.json")]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        let path = cli.directory.appending(path: "unreadable").path
        try Data(try format.original()).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0) == 0)
        // Root reads anything: drop the capabilities that let it, as a CI user would lack them.
        let arguments =
            geteuid() == 0
            ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", CLI.binary.path]
            : [CLI.binary.path]
        let result = try cli.run(["ingest", path], launcher: arguments)
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr == "perfdb: \(path): cannot open: Permission denied\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == before)
    }

    @Test(arguments: InputFormat.allCases.filter { $0 != .k6SummaryExport })
    func theWrongKindOfFileForAForcedFormatIsBadInput(_ format: InputFormat) throws {
        let cli = try CLI()
        let result = try cli.run(
            [
                "ingest", "--format", format.rawValue,
                CLI.fixture("k6-summary-export", "load.json"),
            ])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("perfdb: "), "\(result.stderr)")
        // Every file is checked before the database is opened: none was created.
        #expect(!FileManager.default.fileExists(atPath: cli.db))
    }
}

private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    var index = start
    while index + needle.count <= haystack.count {
        if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle {
            return index
        }
        index += 1
    }
    return nil
}

extension InputFormat {
    /// A real fixture of the format.
    fileprivate var fixture: String {
        switch self {
        case .k6SummaryExport: CLI.fixture("k6-summary-export", "smoke.json")
        case .k6HandleSummary: CLI.fixture("k6-handle-summary", "smoke.json")
        case .sloReport: CLI.fixture("slo-report", "smoke.json")
        case .chaosResult: CLI.fixture("chaos-result", "network-latency.json")
        case .chaosToolkitJournal: CLI.fixture("chaostoolkit", "pms-latency.json")
        case .k6NDJSON: CLI.fixture("k6-ndjson", "smoke.ndjson.gz")
        case .k6CSV: CLI.fixture("k6-csv", "smoke.csv")
        case .locustJSON: CLI.fixture("locust", "errors/report.json")
        case .locustCSV: CLI.fixture("locust", "errors/report_stats.csv")
        }
    }

    /// The fixture's plain bytes.
    fileprivate func original() throws -> [UInt8] {
        if self == .k6NDJSON { return try CLI.gzip(["-dc", fixture]) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: fixture)))
    }
}
