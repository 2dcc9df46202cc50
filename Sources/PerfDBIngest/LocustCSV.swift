import Foundation
import PerfDBModel

/// Locust's `--csv PREFIX` files: `PREFIX_stats.csv` makes a run; `PREFIX_stats_history.csv`,
/// `PREFIX_failures.csv` and `PREFIX_exceptions.csv` add its timeline and its error kinds.
enum LocustCSV {
    /// The kinds of file `--csv` writes, by the suffix Locust gives them.
    enum Kind: String, CaseIterable {
        case stats = "_stats.csv"
        case history = "_stats_history.csv"
        case failures = "_failures.csv"
        case exceptions = "_exceptions.csv"

        /// How each file's header starts.
        var headerStart: String {
            switch self {
            case .stats: "Type,Name,Request Count,Failure Count,"
            case .history: "Timestamp,User Count,Type,Name,"
            case .failures: "Method,Name,Error,Occurrences"
            case .exceptions: "Count,Message,Traceback,Nodes"
            }
        }

        /// A phrase for messages.
        var title: String {
            switch self {
            case .stats: "Locust stats CSV"
            case .history: "Locust stats history CSV"
            case .failures: "Locust failures CSV"
            case .exceptions: "Locust exceptions CSV"
            }
        }
    }

    /// The kind of Locust CSV the bytes are, from their first line.
    static func kind(of bytes: [UInt8]) -> Kind? {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let end = bytes[start...].prefix(512).firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        guard start < end else { return nil }
        let first = String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
        return Kind.allCases.first { first.hasPrefix($0.headerStart) }
    }

    /// The `--csv` prefix and kind a path names (`out/report_stats.csv.gz` → `out/report`,
    /// stats), or nil.
    static func prefix(of path: String) -> (prefix: String, kind: Kind)? {
        let plain = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path
        // The longest suffix first: `_stats_history.csv` also ends like no other.
        for kind in [Kind.history, .stats, .failures, .exceptions]
        where plain.hasSuffix(kind.rawValue) {
            let prefix = String(plain.dropLast(kind.rawValue.count))
            if !prefix.isEmpty && !prefix.hasSuffix("/") { return (prefix, kind) }
        }
        return nil
    }

    // MARK: - Stats

    /// Reads `PREFIX_stats.csv` into a run: a row per request name and type and the
    /// Aggregated row, percentiles in whole milliseconds as Locust writes them.
    static func readStats(_ input: InputFile) throws -> IngestBatch {
        let table = try CSVTable(input.bytes, file: input.name)
        try table.require(Kind.stats, file: input.name)
        var run = LocustRun(format: .locustCSV)
        var overall: LocustFigures?
        var seen: Set<String> = []
        for row in table.rows {
            let type = try table.text(row, "Type")
            let name = try table.text(row, "Name")
            let aggregated = type.isEmpty && name == "Aggregated"
            guard aggregated || !name.isEmpty else {
                throw table.fail(row, "Name", "empty request name")
            }
            guard seen.insert("\(type)\u{0}\(name)").inserted else {
                throw table.fail(row, "Name", "\(type) \(name) is listed twice")
            }
            let requests = try table.count(row, "Request Count")
            let failures = try table.count(row, "Failure Count")
            guard failures <= requests else {
                throw table.fail(
                    row, "Failure Count", "\(failures) failures, but \(requests) requests")
            }
            var figures = LocustFigures(
                method: aggregated ? nil : type, name: name, requests: requests,
                failures: failures, rate: try table.number(row, "Requests/s"))
            if requests > 0 {
                figures.avg = try table.number(row, "Average Response Time")
                figures.min = try table.number(row, "Min Response Time")
                figures.med = try table.number(row, "Median Response Time")
                figures.max = try table.number(row, "Max Response Time")
                figures.p90 = try table.optionalNumber(row, "90%")
                figures.p95 = try table.optionalNumber(row, "95%")
                figures.p99 = try table.optionalNumber(row, "99%")
            }
            if aggregated {
                overall = figures
            } else {
                run.add(figures)
            }
        }
        guard let overall else {
            throw PerfDBError.badInput(input.name, "no Aggregated row: the file is cut short")
        }
        guard overall.requests > 0 else {
            throw PerfDBError.badInput(
                input.name, "no requests: an empty Locust stats CSV measured nothing")
        }
        run.add(overall)
        return run.batch
    }

    // MARK: - Siblings

    /// Adds what the sibling files say to a Locust run: the history as its timeline (and its
    /// start and end when the run has none), failures and exceptions as error kinds.
    static func attach(_ kind: Kind, _ input: InputFile, to batch: inout IngestBatch) throws {
        let table = try CSVTable(input.bytes, file: input.name)
        try table.require(kind, file: input.name)
        switch kind {
        case .stats:
            break
        case .history:
            let history = try History(table)
            batch.timelines = history.timelines
            if let first = history.first, let last = history.last, batch.startedAt == nil {
                batch.startedAt = first
                batch.endedAt = last
                batch.durationMs = last.timeIntervalSince(first) * 1000
            }
        case .failures:
            for row in table.rows {
                let method = try table.text(row, "Method")
                let name = try table.text(row, "Name")
                batch.errors.append(
                    ErrorKindValue(
                        kind: .failure, method: method.isEmpty ? nil : method,
                        name: name.isEmpty ? nil : name,
                        message: try table.text(row, "Error"),
                        occurrences: try table.count(row, "Occurrences"),
                        firstSeen: try table.optionalTime(row, "First Seen"),
                        lastSeen: try table.optionalTime(row, "Last Seen")))
            }
        case .exceptions:
            for row in table.rows {
                let traceback = try table.text(row, "Traceback")
                batch.errors.append(
                    ErrorKindValue(
                        kind: .exception, message: try table.text(row, "Message"),
                        occurrences: try table.count(row, "Count"),
                        detail: traceback.isEmpty ? nil : traceback))
            }
        }
    }

    /// `PREFIX_stats_history.csv`: a row per interval (one second) with the totals so far of
    /// the Aggregated row, and of every request name with `--csv-full-history`.
    ///
    /// A bucket's requests, failures and average come from the difference of the totals at its
    /// two ends. Its percentiles are kept only with `--csv-full-history`, where Locust writes
    /// those of about the last ten seconds; without it the Aggregated row's are of the whole run
    /// so far, which is no bucket's.
    struct History {
        var timelines: [TimelineSeries] = []
        var first: Date?
        var last: Date?

        private struct Point {
            var time: Int
            var requests: Int
            var failures: Int
            var average: Double
            var p50: Double?
            var p95: Double?
            var p99: Double?
        }

        init(_ table: CSVTable) throws {
            var rowsByEntry: [String: (tags: [SeriesKey.Tag], points: [Point])] = [:]
            var order: [String] = []
            var full = false
            for row in table.rows {
                let type = try table.text(row, "Type")
                let name = try table.text(row, "Name")
                let aggregated = type.isEmpty && name == "Aggregated"
                if !aggregated { full = true }
                let time = try table.count(row, "Timestamp")
                guard Double(time) <= LocustFigures.lastUnixSecond else {
                    throw table.fail(row, "Timestamp", "not a Unix time before the year 10000")
                }
                let point = Point(
                    time: time,
                    requests: try table.count(row, "Total Request Count"),
                    failures: try table.count(row, "Total Failure Count"),
                    average: try table.number(row, "Total Average Response Time"),
                    // 0 is Locust's "no figure yet" (an empty window).
                    p50: try table.optionalNumber(row, "50%").flatMap { $0 > 0 ? $0 : nil },
                    p95: try table.optionalNumber(row, "95%").flatMap { $0 > 0 ? $0 : nil },
                    p99: try table.optionalNumber(row, "99%").flatMap { $0 > 0 ? $0 : nil })
                let id = "\(type)\u{0}\(name)"
                if rowsByEntry[id] == nil {
                    order.append(id)
                    let tags =
                        aggregated ? [] : [SeriesKey.Tag("name", name), .init("method", type)]
                    rowsByEntry[id] = (tags, [])
                }
                rowsByEntry[id]?.points.append(point)
            }
            let times =
                rowsByEntry.values.flatMap { $0.points.map(\.time) }
            guard let low = times.min(), let high = times.max() else { return }
            first = Date(timeIntervalSince1970: Double(low))
            last = Date(timeIntervalSince1970: Double(high))
            for id in order {
                guard let entry = rowsByEntry[id] else { continue }
                timelines += Self.timelines(entry.points, tags: entry.tags, percentiles: full)
            }
        }

        /// One bucket per interval between two rows (the first row's interval starts a second
        /// before it); rows of one second are one bucket.
        private static func timelines(_ points: [Point], tags: [SeriesKey.Tag], percentiles: Bool)
            -> [TimelineSeries]
        {
            var byTime: [Int: Point] = [:]
            for point in points { byTime[point.time] = point }
            let sorted = byTime.values.sorted { $0.time < $1.time }
            var durations: [TimelineBucket] = []
            var requests: [TimelineBucket] = []
            var failed: [TimelineBucket] = []
            var previous = Point(time: 0, requests: 0, failures: 0, average: 0)
            for (index, point) in sorted.enumerated() {
                let seconds = index == 0 ? 1 : point.time - previous.time
                // Totals that fall were reset (--reset-stats): count from zero again.
                if point.requests < previous.requests || point.failures < previous.failures {
                    previous = Point(time: previous.time, requests: 0, failures: 0, average: 0)
                }
                let count = point.requests - previous.requests
                let failures = point.failures - previous.failures
                let start = Date(timeIntervalSince1970: Double(point.time - seconds))
                let sum =
                    point.average * Double(point.requests)
                    - previous.average * Double(previous.requests)
                durations.append(
                    TimelineBucket(
                        start: start, count: count,
                        avg: count > 0 ? Swift.max(0, sum / Double(count)) : nil, min: nil,
                        max: nil, p50: percentiles ? point.p50 : nil,
                        p95: percentiles ? point.p95 : nil, p99: percentiles ? point.p99 : nil,
                        rate: nil, sum: nil))
                let pair = LocustFigures.requestBuckets(
                    start: start, requests: count, failures: failures, seconds: seconds)
                requests.append(pair.requests)
                failed.append(pair.failed)
                previous = point
            }
            // Buckets are one second apart at most in Locust's files: the stored size is the
            // commonest gap.
            let gaps = zip(sorted.dropFirst(), sorted).map { $0.time - $1.time }
            let seconds = Double(
                Dictionary(gaps.map { ($0, 1) }, uniquingKeysWith: +).max { $0.value < $1.value }?
                    .key ?? 1)
            return [
                LocustFigures.timeline(
                    "http_req_duration", tags: tags, type: .trend, buckets: durations,
                    seconds: seconds),
                LocustFigures.timeline(
                    "http_reqs", tags: tags, type: .counter, buckets: requests, seconds: seconds),
                LocustFigures.timeline(
                    "http_req_failed", tags: tags, type: .rate, buckets: failed, seconds: seconds),
            ]
        }
    }
}

/// A small CSV file read whole: RFC 4180 quoting, CRLF or LF line ends, a header row.
struct CSVTable {
    let file: String
    let header: [String]
    /// Each row's fields and the line it starts on.
    let rows: [(line: Int, fields: [String])]
    private let columns: [String: Int]

    init(_ bytes: [UInt8], file: String) throws {
        self.file = file
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var line = 1
        var recordLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var atFieldStart = true
        var invalidUTF8: Int?
        func endField() {
            if let text = String(validating: field, as: UTF8.self) {
                fields.append(text)
            } else {
                invalidUTF8 = invalidUTF8 ?? recordLine
                fields.append("")
            }
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where atFieldStart:
                quoted = true
                atFieldStart = false
            case UInt8(ascii: ","):
                endField()
            case 0x0D where Self.endsLine(bytes, from: index):
                // CRLF, and the CR CR LF of a CRLF file converted once more.
                continue
            case 0x0A:
                endField()
                records.append((recordLine, fields))
                fields.removeAll()
                line += 1
                recordLine = line
            default:
                field.append(byte)
                atFieldStart = false
            }
        }
        if quoted {
            throw PerfDBError.badInput(
                file, "a quoted field is never closed (cut short?)", at: "line \(recordLine)")
        }
        if !field.isEmpty || !fields.isEmpty {
            endField()
            records.append((recordLine, fields))
        }
        if let line = invalidUTF8 {
            throw PerfDBError.badInput(file, "invalid UTF-8", at: "line \(line)")
        }
        guard let first = records.first else { throw PerfDBError.badInput(file, "empty file") }
        header = first.fields
        rows = Array(records.dropFirst())
        columns = Dictionary(
            header.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { one, _ in one }
        )
        for row in rows where row.fields.count != header.count {
            throw PerfDBError.badInput(
                file, "\(row.fields.count) fields, the header has \(header.count)",
                at: "line \(row.line)")
        }
    }

    /// True when only carriage returns stand between `index` and a line feed.
    private static func endsLine(_ bytes: [UInt8], from index: Int) -> Bool {
        var next = index
        while next < bytes.count && bytes[next] == 0x0D { next += 1 }
        return next < bytes.count && bytes[next] == 0x0A
    }

    /// Fails unless the header is the one Locust writes for this kind of file.
    func require(_ kind: LocustCSV.Kind, file: String) throws {
        guard header.joined(separator: ",").hasPrefix(kind.headerStart) else {
            throw PerfDBError.badInput(
                file, "not a \(kind.title): the header does not start \"\(kind.headerStart)\"",
                at: "line 1")
        }
    }

    func fail(_ row: (line: Int, fields: [String]), _ column: String, _ problem: String)
        -> PerfDBError
    {
        PerfDBError.badInput(file, problem, at: "line \(row.line), column \(column)")
    }

    func text(_ row: (line: Int, fields: [String]), _ column: String) throws -> String {
        guard let index = columns[column] else {
            throw PerfDBError.badInput(file, "no column \"\(column)\"", at: "line 1")
        }
        return row.fields[index]
    }

    /// A number; `N/A` (Locust's percentile of no request) is nil.
    func optionalNumber(_ row: (line: Int, fields: [String]), _ column: String) throws -> Double? {
        let text = try self.text(row, column)
        if text == "N/A" || text.isEmpty { return nil }
        guard let number = Double(text), number.isFinite,
            abs(number) <= FieldReader.absurdMagnitude
        else {
            throw fail(row, column, "not a number: \"\(text.prefix(40))\"")
        }
        guard number >= 0 else { throw fail(row, column, "negative: \(text.prefix(40))") }
        return number
    }

    func number(_ row: (line: Int, fields: [String]), _ column: String) throws -> Double {
        guard let number = try optionalNumber(row, column) else {
            throw fail(row, column, "missing")
        }
        return number
    }

    func count(_ row: (line: Int, fields: [String]), _ column: String) throws -> Int {
        let number = try self.number(row, column)
        guard number == number.rounded() else {
            throw fail(row, column, "expected a whole count, got \(try text(row, column))")
        }
        return Int(number)
    }

    /// An ISO 8601 time (`2026-12-01T15:23:37Z`), or nil when empty.
    func optionalTime(_ row: (line: Int, fields: [String]), _ column: String) throws -> Date? {
        guard columns[column] != nil else { return nil }
        let text = try self.text(row, column)
        if text.isEmpty { return nil }
        guard let date = Timestamp.parse(text) else {
            throw fail(row, column, "not an ISO 8601 time: \"\(text.prefix(40))\"")
        }
        return date
    }
}

/// How the files of one ingest group into Locust runs: a JSON report or stats CSV makes the run,
/// the history, failures and exceptions files of its `--csv` prefix join it (named on the
/// command line or lying beside it), and a JSON report and stats CSV of one prefix are one run.
struct LocustFileGroups {
    /// Sibling files named on the command line: prefix → kind → path.
    private(set) var named: [String: [LocustCSV.Kind: String]] = [:]
    /// The named paths that are siblings, read only with their run.
    private(set) var siblings: Set<String> = []

    init(_ paths: [String]) {
        for path in paths where path != "-" {
            guard let (prefix, kind) = LocustCSV.prefix(of: path), kind != .stats else { continue }
            named[prefix, default: [:]][kind] = path
            siblings.insert(path)
        }
    }

    /// The `--csv` prefix a run's file stands for: `out/report.json` and
    /// `out/report_stats.csv` are both `out/report`.
    static func prefix(of path: String) -> String? {
        guard path != "-" else { return nil }
        if let (prefix, kind) = LocustCSV.prefix(of: path) { return kind == .stats ? prefix : nil }
        let plain = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path
        return plain.hasSuffix(".json") ? String(plain.dropLast(5)) : nil
    }

    /// The Locust run read from `path` with its sibling files added.
    func attachingSiblings(to batch: IngestBatch, of path: String) throws -> IngestBatch {
        guard let prefix = Self.prefix(of: path) else { return batch }
        var batch = batch
        for kind in [LocustCSV.Kind.history, .failures, .exceptions] {
            let beside = [prefix + kind.rawValue, prefix + kind.rawValue + ".gz"].first {
                FileManager.default.fileExists(atPath: $0)
            }
            guard let sibling = named[prefix]?[kind] ?? beside else { continue }
            try LocustCSV.attach(kind, try InputFile.read(sibling), to: &batch)
        }
        return batch
    }

    /// Fails for a named sibling whose run is not among the runs read (`prefixes`).
    func requireRuns(_ prefixes: Set<String>) throws {
        for (prefix, kinds) in named.sorted(by: { $0.key < $1.key })
        where !prefixes.contains(prefix) {
            guard let (kind, path) = kinds.min(by: { $0.value < $1.value }) else { continue }
            throw PerfDBError(
                .usage,
                "\(path): a \(kind.title) is stored with its run: name the run's "
                    + "\(prefix)_stats.csv or \(prefix).json too")
        }
    }
}
