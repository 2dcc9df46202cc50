import Foundation
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// A line of a k6 stream that is not a sample.
enum LineOutcome {
    case point
    case metadata
}

/// Parses k6 `--out json` lines: a fast path for the layout k6 writes
/// (`{"metric":…,"type":"Point","data":{"time":…,"value":…,"tags":{…}}}`) and the strict JSON
/// parser for anything else.
struct K6JSONLineParser {
    private static let pointPrefix: StaticString = #"{"metric":""#
    private static let afterMetric: StaticString = #"","type":"Point","data":{"time":""#
    private static let afterTime: StaticString = #"","value":"#
    private static let beforeTags: StaticString = #","tags":{"#

    /// Parses one line into the aggregator; throws a message for a bad line.
    @inline(__always)
    static func parse(_ line: UnsafeBufferPointer<UInt8>, into aggregator: StreamAggregator) throws
        -> LineOutcome
    {
        if let outcome = try fastPath(line, aggregator) { return outcome }
        return try slowPath(line, aggregator)
    }

    @inline(__always)
    private static func matches(
        _ line: UnsafeBufferPointer<UInt8>, _ at: Int, _ literal: StaticString
    )
        -> Bool
    {
        let count = literal.utf8CodeUnitCount
        guard at + count <= line.count, let base = line.baseAddress else { return false }
        return memcmp(base + at, literal.utf8Start, count) == 0
    }

    private static func fastPath(_ line: UnsafeBufferPointer<UInt8>, _ aggregator: StreamAggregator)
        throws -> LineOutcome?
    {
        guard matches(line, 0, pointPrefix) else { return nil }
        var position = pointPrefix.utf8CodeUnitCount
        let metricStart = position
        while position < line.count && line[position] != UInt8(ascii: "\"") {
            if line[position] == UInt8(ascii: "\\") { return nil }
            position += 1
        }
        let metricEnd = position
        guard matches(line, position, afterMetric) else { return nil }
        position += afterMetric.utf8CodeUnitCount
        let timeStart = position
        while position < line.count && line[position] != UInt8(ascii: "\"") { position += 1 }
        let timeEnd = position
        guard matches(line, position, afterTime) else { return nil }
        position += afterTime.utf8CodeUnitCount
        guard let (value, next) = FastNumber.parse(line, from: position) else { return nil }
        position = next
        guard matches(line, position, beforeTags) else { return nil }
        position += beforeTags.utf8CodeUnitCount
        let tagsStart = position
        // The line ends with the three closing braces of tags, data and the line.
        var end = line.count
        while end > position
            && (line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t"))
        {
            end -= 1
        }
        guard end - 3 >= tagsStart, line[end - 1] == UInt8(ascii: "}"),
            line[end - 2] == UInt8(ascii: "}"),
            line[end - 3] == UInt8(ascii: "}")
        else { return nil }
        let tagsEnd = end - 3
        guard
            let time = aggregator.timeCache.nanoseconds(
                UnsafeBufferPointer(rebasing: line[timeStart..<timeEnd]))
        else { return nil }
        try aggregator.add(
            metric: UnsafeBufferPointer(rebasing: line[metricStart..<metricEnd]), value: value,
            time: time, jsonTags: UnsafeBufferPointer(rebasing: line[tagsStart..<tagsEnd]))
        return .point
    }

    private static func slowPath(_ line: UnsafeBufferPointer<UInt8>, _ aggregator: StreamAggregator)
        throws -> LineOutcome
    {
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(line))
        } catch {
            throw StreamLineError(
                message: "not valid JSON: \(error.message) (column \(error.column))")
        }
        guard let object = document.objectValue else {
            throw StreamLineError(message: "not a JSON object")
        }
        switch object["type"]?.stringValue {
        case "Metric":
            return .metadata
        case "Point":
            guard let metric = object["metric"]?.stringValue, !metric.isEmpty else {
                throw StreamLineError(message: "a Point without \"metric\"")
            }
            guard let data = object["data"]?.objectValue else {
                throw StreamLineError(message: "a Point without \"data\"")
            }
            guard let value = data["value"]?.numberValue else {
                throw StreamLineError(message: "a Point whose data.value is not a number")
            }
            guard let timeText = data["time"]?.stringValue, let date = Timestamp.parse(timeText)
            else {
                throw StreamLineError(message: "a Point whose data.time is not an ISO 8601 time")
            }
            guard let time = FastTime.nanoseconds(of: date) else {
                throw StreamLineError(message: "a Point whose data.time is out of range")
            }
            let tags = try SeriesInterner.tagPairs(data["tags"]?.objectValue ?? JSONObject())
            try Array(metric.utf8).withUnsafeBufferPointer { metricPointer in
                try aggregator.add(metric: metricPointer, value: value, time: time, tags: tags)
            }
            return .point
        default:
            throw StreamLineError(message: "neither a k6 Metric nor a Point line")
        }
    }

    /// The metric definition of a `{"type":"Metric",…}` line, if it is one.
    ///
    /// A threshold is a string (`"rate<0.01"`) or, with `abortOnFail`, an object
    /// (`{"threshold":"rate<0.01","abortOnFail":true,"delayAbortEval":"2s"}`).
    static func metricDefinition(_ line: UnsafeBufferPointer<UInt8>) -> (String, MetricInfo)? {
        guard let document = try? JSONParser.parse(Array(line)),
            document["type"]?.stringValue == "Metric", let data = document["data"]?.objectValue,
            let name = data["name"]?.stringValue,
            let type = data["type"]?.stringValue.flatMap(MetricType.init(rawValue:))
        else { return nil }
        let thresholds = (data["thresholds"]?.arrayValue ?? []).compactMap {
            element -> ThresholdSpec? in
            if let expression = element.stringValue {
                return ThresholdSpec(expression: expression, abortOnFail: false)
            }
            guard let expression = element["threshold"]?.stringValue else { return nil }
            return ThresholdSpec(
                expression: expression, abortOnFail: element["abortOnFail"]?.boolValue ?? false)
        }
        let submetrics = (data["submetrics"]?.arrayValue ?? []).compactMap {
            $0["name"]?.stringValue
        }
        return (
            name,
            MetricInfo(
                type: type, contains: data["contains"]?.stringValue, thresholds: thresholds,
                submetrics: submetrics)
        )
    }
}

/// Parses k6 `--out csv` lines against the header's columns; tags from the columns and from
/// `extra_tags` (`k=v&k=v`).
struct K6CSVLineParser {
    let metricColumn: Int
    let timeColumn: Int
    let valueColumn: Int
    /// Columns that are tags, with their names.
    let tagColumns: [(Int, String)]
    let extraTagsColumn: Int?

    /// Reads the header line.
    init(header: UnsafeBufferPointer<UInt8>) throws {
        let names = try Self.fields(header).map { try Self.text($0, "the header") }
        guard let metric = names.firstIndex(of: "metric_name"),
            let time = names.firstIndex(of: "timestamp"),
            let value = names.firstIndex(of: "metric_value")
        else {
            throw StreamLineError(
                message: "not a k6 CSV header (metric_name, timestamp, metric_value)")
        }
        metricColumn = metric
        timeColumn = time
        valueColumn = value
        extraTagsColumn = names.firstIndex(of: "extra_tags")
        tagColumns = names.enumerated().compactMap { index, name in
            [metric, time, value].contains(index) || name == "extra_tags" || name == "metadata"
                ? nil : (index, name)
        }
    }

    /// Splits a CSV line into fields (RFC 4180 quotes; a field is returned without them).
    static func fields(_ line: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var fields: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        var quoted = false
        while index < line.count {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < line.count && line[index + 1] == UInt8(ascii: "\"") {
                        current.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                fields.append(current)
                current.removeAll(keepingCapacity: true)
            } else if byte == UInt8(ascii: "\"") && current.isEmpty {
                quoted = true
            } else {
                current.append(byte)
            }
            index += 1
        }
        fields.append(current)
        return fields
    }

    /// A field as text; invalid UTF-8 is a bad line rather than a replacement character.
    private static func text(_ bytes: [UInt8], _ place: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StreamLineError(message: "invalid UTF-8 in \(place)")
        }
        return text
    }

    /// Parses one data line into the aggregator.
    func parse(_ line: UnsafeBufferPointer<UInt8>, into aggregator: StreamAggregator) throws {
        let fields = Self.fields(line)
        guard fields.count > max(metricColumn, timeColumn, valueColumn) else {
            throw StreamLineError(message: "\(fields.count) fields, fewer than the header's")
        }
        guard !fields[metricColumn].isEmpty else {
            throw StreamLineError(message: "empty metric_name")
        }
        let time = try Self.nanoseconds(fields[timeColumn])
        let valueText = String(decoding: fields[valueColumn], as: UTF8.self)
        guard let value = Double(valueText), value.isFinite else {
            throw StreamLineError(
                message: "metric_value \"\(valueText.prefix(30))\" is not a number")
        }
        var pairs: [(String, String)] = []
        for (column, name) in tagColumns where column < fields.count && !fields[column].isEmpty {
            pairs.append((name, try Self.text(fields[column], "column \(name)")))
        }
        if let extra = extraTagsColumn, extra < fields.count, !fields[extra].isEmpty {
            for pair in try Self.text(fields[extra], "extra_tags").split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { pairs.append((String(parts[0]), String(parts[1]))) }
            }
        }
        try fields[metricColumn].withUnsafeBufferPointer { metric in
            try aggregator.add(metric: metric, value: value, time: time, tags: pairs)
        }
    }
}

extension K6CSVLineParser {
    /// A `timestamp` field in ns since the epoch, in any of k6's `timeFormat`s: Unix time in
    /// seconds (the default), milliseconds, microseconds or nanoseconds — told apart by their
    /// digits, 10, 13, 16 or 19 for present-day times — or RFC 3339 with or without a fraction.
    static func nanoseconds(_ field: [UInt8]) throws -> Int64 {
        let text = String(decoding: field.prefix(40), as: UTF8.self)
        guard let first = field.first else { throw StreamLineError(message: "empty timestamp") }
        if first == UInt8(ascii: "-") || first &- 48 < 10,
            field.dropFirst().allSatisfy({ $0 &- 48 < 10 })
        {
            guard let value = Int64(text) else {
                throw StreamLineError(message: "timestamp \(text) is out of range")
            }
            let digits = field.count - (first == UInt8(ascii: "-") ? 1 : 0)
            let (scale, unit): (Int64, String) =
                switch digits {
                case ...11: (1_000_000_000, "seconds")
                case 12...14: (1_000_000, "milliseconds")
                case 15...17: (1_000, "microseconds")
                default: (1, "nanoseconds")
                }
            let (nanoseconds, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow, abs(Double(nanoseconds) / 1e9) < FastTime.secondsLimit else {
                throw StreamLineError(
                    message: "timestamp \(text) (Unix time in \(unit)) is out of range")
            }
            return nanoseconds
        }
        let nanoseconds = field.withUnsafeBufferPointer { FastTime.nanoseconds($0) }
        guard let nanoseconds else {
            throw StreamLineError(
                message: "timestamp \"\(text)\" is neither Unix time nor an RFC 3339 time")
        }
        return nanoseconds
    }
}

/// A bad line's problem (the line number is added by the pipeline).
struct StreamLineError: Error {
    var message: String
}

/// Decimal numbers as k6 writes them, without strtod when the digits allow an exact
/// conversion (≤ 15 significant digits, ≤ 22 decimals); strtod otherwise.
enum FastNumber {
    private static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    @inline(__always)
    static func parse(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> (Double, Int)? {
        var position = start
        var negative = false
        if position < line.count && line[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var decimals = 0
        let digitsStart = position
        while position < line.count, line[position] &- 48 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(line[position] &- 48)
            digits += 1
            position += 1
        }
        guard position > digitsStart else { return nil }
        if position < line.count && line[position] == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            while position < line.count, line[position] &- 48 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(line[position] &- 48)
                digits += 1
                decimals += 1
                position += 1
            }
            guard position > fractionStart else { return nil }
        }
        if position < line.count && (line[position] | 0x20) == UInt8(ascii: "e") || digits > 15 {
            return slow(line, from: start)
        }
        var value = Double(mantissa)
        if decimals > 0 {
            guard decimals <= 22 else { return slow(line, from: start) }
            value /= powers[decimals]
        }
        return (negative ? -value : value, position)
    }

    private static func slow(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> (Double, Int)?
    {
        var end = start
        while end < line.count {
            let byte = line[end]
            guard
                byte &- 48 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: ".") || (byte | 0x20) == UInt8(ascii: "e")
            else { break }
            end += 1
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return (value, end)
    }
}

/// Remembers the last time's whole seconds: consecutive k6 samples share them.
final class TimeCache {
    private let prefix = UnsafeMutablePointer<UInt8>.allocate(capacity: 19)
    private var seconds: Int64 = 0
    private var valid = false

    init() {}

    deinit { prefix.deallocate() }

    @inline(__always)
    func nanoseconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count >= 20, let base = text.baseAddress else {
            return FastTime.nanoseconds(text)
        }
        let same = valid && memcmp(prefix, base, 19) == 0
        if !same {
            guard let full = FastTime.nanoseconds(text) else { return nil }
            let whole = full / 1_000_000_000 - (full % 1_000_000_000 < 0 ? 1 : 0)
            memcpy(prefix, base, 19)
            seconds = whole
            valid = full >= 0 && (text[19] == UInt8(ascii: ".") || text[19] == UInt8(ascii: "Z"))
            return full
        }
        // Same second: only the fraction and the zone are left.
        guard let fraction = FastTime.fractionAndZone(text) else {
            return FastTime.nanoseconds(text)
        }
        return seconds * 1_000_000_000 + fraction
    }
}

/// ISO 8601 UTC times as k6 writes them (`2026-11-29T01:15:39.479109235Z`), in ns since the
/// epoch, with the day cached.
enum FastTime {
    /// The nanoseconds of `.fraction` after `…:SS` and a final `Z`; nil for any other ending.
    @inline(__always)
    static func fractionAndZone(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var position = 19
        var fraction: Int64 = 0
        var scale: Int64 = 1_000_000_000
        if position < text.count && text[position] == UInt8(ascii: ".") {
            position += 1
            while position < text.count, text[position] &- 48 < 10 {
                if scale > 1 {
                    scale /= 10
                    fraction += Int64(text[position] &- 48) * scale
                }
                position += 1
            }
        }
        guard position == text.count - 1, text[position] == UInt8(ascii: "Z") else { return nil }
        return fraction
    }

    @inline(__always)
    static func nanoseconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count >= 20, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
            text[10] == UInt8(ascii: "T"), text[13] == UInt8(ascii: ":"),
            text[16] == UInt8(ascii: ":")
        else { return slow(text) }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for index in from..<from + count {
                let digit = text[index] &- 48
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return slow(text) }
        // Nanoseconds since 1970 fit in Int64 between 1678 and 2261.
        guard (1678...2261).contains(year), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        guard let fraction = fractionAndZone(text) else { return slow(text) }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000_000 + fraction
    }

    private static func slow(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        Timestamp.parse(String(decoding: text, as: UTF8.self)).flatMap(nanoseconds(of:))
    }

    /// Seconds from 1970 whose nanoseconds fit in Int64 (the years 1678 to 2261), with margin.
    static let secondsLimit = 9e9

    /// A date's nanoseconds since 1970; nil beyond ``secondsLimit``.
    static func nanoseconds(of date: Date) -> Int64? {
        let seconds = date.timeIntervalSince1970
        guard abs(seconds) < secondsLimit else { return nil }
        return Int64((seconds * 1e9).rounded())
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
