import Foundation
import PerfDBModel

/// k6's `--summary-export` JSON: `metrics` and `root_group`, metric types inferred from their
/// fields, a threshold's boolean `true` when it FAILED, groups and checks as objects.
struct K6SummaryExportAdapter: InputAdapter {
    static let format = InputFormat.k6SummaryExport

    static func recognizes(_ document: JSONValue) -> Bool {
        guard let object = document.objectValue, object["metrics"]?.objectValue != nil,
            object["root_group"]?.objectValue != nil
        else { return false }
        return object["state"] == nil && object["options"] == nil
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let root = try reader.object(document, "(document)")
        let metrics = try reader.object(root["metrics"], "metrics")
        try refuseEmpty(metrics, reader: reader)
        var summary = K6SummaryBuilder(reader: reader, format: format)
        for (name, value) in metrics.members {
            let path = "metrics.\(name)"
            let fields = try reader.object(value, path)
            let type = try inferType(fields, path: path, reader: reader)
            var statistics = fields
            statistics["thresholds"] = nil
            try summary.addMetric(
                name: name, type: type, contains: nil, values: statistics, path: path)
            if let thresholds = fields["thresholds"] {
                for (expression, failed) in try reader.object(thresholds, "\(path).thresholds")
                    .members
                {
                    let crossed = try reader.bool(failed, "\(path).thresholds.\(expression)")
                    try summary.addThreshold(metric: name, expression: expression, passed: !crossed)
                }
            }
        }
        try summary.addChecks(root["root_group"], path: "root_group")
        return summary.batch
    }

    private static func inferType(_ fields: JSONObject, path: String, reader: FieldReader) throws
        -> MetricType
    {
        if fields["avg"] != nil || fields["med"] != nil { return .trend }
        if fields["passes"] != nil && fields["fails"] != nil { return .rate }
        if fields["value"] != nil { return .gauge }
        if fields["count"] != nil && fields["rate"] != nil { return .counter }
        throw reader.fail(path, "not a k6 trend, counter, rate or gauge")
    }
}

/// The data k6 hands to `handleSummary(data)`, written with `JSON.stringify(data)`: metrics with
/// `type`, `contains` and `values`, a threshold `{"ok": true}` when it passed, groups and checks
/// as arrays.
struct K6HandleSummaryAdapter: InputAdapter {
    static let format = InputFormat.k6HandleSummary

    static func recognizes(_ document: JSONValue) -> Bool {
        guard let object = document.objectValue, object["metrics"]?.objectValue != nil,
            object["root_group"]?.objectValue != nil
        else { return false }
        return object["state"] != nil || object["options"] != nil
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let root = try reader.object(document, "(document)")
        let metrics = try reader.object(root["metrics"], "metrics")
        try refuseEmpty(metrics, reader: reader)
        var summary = K6SummaryBuilder(reader: reader, format: format)
        for (name, value) in metrics.members {
            let path = "metrics.\(name)"
            let fields = try reader.object(value, path)
            let type = try reader.oneOf(MetricType.self, fields["type"], "\(path).type")
            let contains = try reader.optionalString(fields["contains"], "\(path).contains")
            let values = try reader.object(fields["values"], "\(path).values")
            try summary.addMetric(
                name: name, type: type, contains: contains, values: values, path: "\(path).values")
            if let thresholds = fields["thresholds"] {
                for (expression, result) in try reader.object(thresholds, "\(path).thresholds")
                    .members
                {
                    let resultPath = "\(path).thresholds.\(expression)"
                    let outcome = try reader.object(result, resultPath)
                    let passed = try reader.bool(outcome["ok"], "\(resultPath).ok")
                    try summary.addThreshold(metric: name, expression: expression, passed: passed)
                }
            }
        }
        try summary.addChecks(root["root_group"], path: "root_group")
        if let state = root["state"]?.objectValue {
            summary.batch.durationMs = try reader.optionalNumber(
                state["testRunDurationMs"], "state.testRunDurationMs",
                in: 0...FieldReader.absurdMagnitude)
        }
        return summary.batch
    }
}

/// A summary without a metric measured nothing (k6 ran no iteration, or the file was cut):
/// stored, it would become the newest run and the baseline of nothing.
private func refuseEmpty(_ metrics: JSONObject, reader: FieldReader) throws {
    if metrics.members.isEmpty {
        throw reader.fail("metrics", "no metrics: an empty k6 summary measured nothing")
    }
}

/// What the two k6 summary adapters share: metric statistics, thresholds and checks.
private struct K6SummaryBuilder {
    let reader: FieldReader
    var batch: IngestBatch
    private var typesByMetric: [String: (MetricType, String?)] = [:]

    init(reader: FieldReader, format: InputFormat) {
        self.reader = reader
        self.batch = IngestBatch(kind: .load, tool: "k6", format: format, status: .passed)
    }

    mutating func addMetric(
        name: String, type: MetricType, contains: String?, values: JSONObject, path: String
    ) throws {
        guard let key = SeriesKey(parsing: name) else {
            throw reader.fail(path, "not a k6 metric name")
        }
        typesByMetric[key.metric] = typesByMetric[key.metric] ?? (type, contains)
        let unit = K6Catalogue.unit(metric: key.metric, type: type, contains: contains)
        var statistics: [(name: String, value: Double)] = []
        for (field, value) in values.members {
            let statistic = try Self.statisticName(
                field, type: type, path: "\(path).\(field)", reader)
            let range: ClosedRange<Double>? =
                switch statistic {
                case "passes", "fails", "count": 0...FieldReader.absurdMagnitude
                case "rate" where type == .rate: 0...1
                case _ where unit == "ms" || unit == "bytes": 0...FieldReader.absurdMagnitude
                default: nil
                }
            let number = try reader.number(value, "\(path).\(field)", in: range)
            statistics.append((statistic, number))
        }
        guard !statistics.isEmpty else { throw reader.fail(path, "no statistics") }
        batch.series.append(
            SeriesValues(
                key: key, type: type, unit: unit,
                direction: K6Catalogue.direction(metric: key.metric, type: type),
                statistics: statistics))
    }

    mutating func addThreshold(metric: String, expression: String, passed: Bool) throws {
        guard let key = SeriesKey(parsing: metric) else {
            throw reader.fail("metrics.\(metric)", "not a k6 metric name")
        }
        batch.thresholds.append(ThresholdValue(series: key, expression: expression, passed: passed))
        if !passed { batch.status = .failed }
    }

    /// Walks `root_group` and its groups (objects keyed by name, or arrays).
    mutating func addChecks(_ value: JSONValue?, path: String) throws {
        let group = try reader.object(value, path)
        let groupPath = try reader.optionalString(group["path"], "\(path).path") ?? ""
        for (index, check) in try Self.elements(group["checks"], "\(path).checks", reader)
            .enumerated()
        {
            let checkPath = "\(path).checks[\(index)]"
            let fields = try reader.object(check, checkPath)
            batch.checks.append(
                CheckValue(
                    groupPath: groupPath,
                    name: try reader.string(fields["name"], "\(checkPath).name"),
                    passes: try reader.count(fields["passes"], "\(checkPath).passes"),
                    fails: try reader.count(fields["fails"], "\(checkPath).fails")))
        }
        for (index, child) in try Self.elements(group["groups"], "\(path).groups", reader)
            .enumerated()
        {
            try addChecks(child, path: "\(path).groups[\(index)]")
        }
    }

    private static func elements(_ value: JSONValue?, _ path: String, _ reader: FieldReader) throws
        -> [JSONValue]
    {
        guard let value, !value.isNull else { return [] }
        if let array = value.arrayValue { return array }
        if let object = value.objectValue { return object.members.map(\.value) }
        throw reader.fail(path, "expected an array or an object")
    }

    /// Maps k6's statistic names to perfdb's: `p(95)` → `p95`; a Rate's `value` → `rate`.
    private static func statisticName(
        _ field: String, type: MetricType, path: String, _ reader: FieldReader
    ) throws -> String {
        if field.hasPrefix("p("), field.hasSuffix(")") {
            let inner = field.dropFirst(2).dropLast()
            guard let percentile = Double(inner), (0...100).contains(percentile) else {
                throw reader.fail(path, "not a percentile")
            }
            return "p" + inner
        }
        switch (type, field) {
        case (.rate, "value"): return "rate"
        case (_, "avg"), (_, "min"), (_, "med"), (_, "max"), (_, "count"), (_, "rate"),
            (_, "value"), (_, "passes"), (_, "fails"):
            return field
        default:
            throw reader.fail(path, "unknown statistic \"\(field.prefix(40))\"")
        }
    }
}
