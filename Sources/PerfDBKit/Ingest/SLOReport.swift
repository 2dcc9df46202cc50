import Foundation

/// An SLO evaluation as stored: the overall status and each SLO's result.
public struct SLOEvaluationValue: Sendable, Equatable {
    /// PASS, WARNING, FAIL or CRITICAL.
    public var overallStatus: SLOStatus
    /// The exit code the evaluation maps to: 0 all passed, 1 warnings, 2 critical.
    public var exitCode: Int
    /// When it was evaluated.
    public var evaluatedAt: Date?
    /// A weighted score in 0…1, when the evaluation computed one.
    public var score: Double?
    /// The per-SLO results.
    public var results: [SLOResultValue]

    /// Creates an evaluation.
    public init(
        overallStatus: SLOStatus, exitCode: Int, evaluatedAt: Date?, score: Double?,
        results: [SLOResultValue]
    ) {
        self.overallStatus = overallStatus
        self.exitCode = exitCode
        self.evaluatedAt = evaluatedAt
        self.score = score
        self.results = results
    }
}

/// The status of one SLO or of a whole evaluation.
public enum SLOStatus: String, Codable, Sendable, CaseIterable {
    case pass = "PASS"
    case warning = "WARNING"
    case fail = "FAIL"
    case critical = "CRITICAL"
}

/// An SLO's priority: a failed P0 blocks the deployment.
public enum SLOPriority: String, Codable, Sendable, CaseIterable {
    case p0 = "P0"
    case p1 = "P1"
    case p2 = "P2"
}

/// How an SLO compares the actual value with its target.
public enum SLOComparator: String, Codable, Sendable, CaseIterable {
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="
}

/// One SLO's result.
public struct SLOResultValue: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var metric: String
    public var statistic: String
    public var comparator: SLOComparator
    public var target: Double
    public var warning: Double?
    public var unit: String?
    public var actual: Double?
    public var status: SLOStatus
    public var priority: SLOPriority
    public var recommendation: String?

    /// Creates a result.
    public init(
        name: String, title: String?, metric: String, statistic: String,
        comparator: SLOComparator, target: Double, warning: Double?, unit: String?,
        actual: Double?, status: SLOStatus, priority: SLOPriority, recommendation: String?
    ) {
        self.name = name
        self.title = title
        self.metric = metric
        self.statistic = statistic
        self.comparator = comparator
        self.target = target
        self.warning = warning
        self.unit = unit
        self.actual = actual
        self.status = status
        self.priority = priority
        self.recommendation = recommendation
    }
}

/// The SLO validator's JSON report (`"format": "perfdb-slo-report"`, version 1), defined in
/// docs/formats.md and reports/slo-report.schema.json.
struct SLOReportAdapter: InputAdapter {
    static let format = InputFormat.sloReport

    static func recognizes(_ document: JSONValue) -> Bool {
        document["format"]?.stringValue == "perfdb-slo-report"
    }

    static func read(_ document: JSONValue, file: String) throws -> IngestBatch {
        let reader = FieldReader(file: file)
        let root = try reader.object(document, "(document)")
        let version = try reader.number(root["version"], "version")
        guard version == 1 else {
            throw reader.fail("version", "unsupported version \(JSONWriter.formatNumber(version))")
        }
        var results: [SLOResultValue] = []
        var names: Set<String> = []
        for (index, element) in try reader.array(root["slos"], "slos").enumerated() {
            let path = "slos[\(index)]"
            let slo = try reader.object(element, path)
            let result = SLOResultValue(
                name: try reader.string(slo["name"], "\(path).name"),
                title: try reader.optionalString(slo["title"], "\(path).title"),
                metric: try reader.string(slo["metric"], "\(path).metric"),
                statistic: try reader.string(slo["statistic"], "\(path).statistic"),
                comparator: try reader.oneOf(
                    SLOComparator.self, slo["comparator"], "\(path).comparator"),
                target: try reader.number(slo["target"], "\(path).target"),
                warning: try reader.optionalNumber(slo["warning"], "\(path).warning"),
                unit: try reader.optionalString(slo["unit"], "\(path).unit"),
                actual: try reader.optionalNumber(slo["actual"], "\(path).actual"),
                status: try reader.oneOf(SLOStatus.self, slo["status"], "\(path).status"),
                priority: try reader.oneOf(SLOPriority.self, slo["priority"], "\(path).priority"),
                recommendation: try reader.optionalString(
                    slo["recommendation"], "\(path).recommendation"))
            guard !result.name.isEmpty, names.insert(result.name).inserted else {
                throw reader.fail("\(path).name", "empty or repeated SLO name \"\(result.name)\"")
            }
            results.append(result)
        }
        guard !results.isEmpty else { throw reader.fail("slos", "no SLOs") }
        let overall = try reader.oneOf(SLOStatus.self, root["overall_status"], "overall_status")
        let exitCode = try reader.count(root["exit_code"], "exit_code")
        guard (0...2).contains(exitCode) else {
            throw reader.fail("exit_code", "expected 0, 1 or 2, got \(exitCode)")
        }
        var batch = IngestBatch(
            kind: .slo, tool: "perfdb-slo-validator", format: format,
            status: overall == .fail || overall == .critical ? .failed : .passed)
        let source = root["source"]?.objectValue
        batch.scenario = try reader.optionalString(source?["scenario"], "source.scenario")
        batch.environment = try reader.optionalString(source?["environment"], "source.environment")
        let generatedAt = try reader.optionalTimestamp(root["generated_at"], "generated_at")
        batch.startedAt = generatedAt
        batch.slo = SLOEvaluationValue(
            overallStatus: overall, exitCode: exitCode, evaluatedAt: generatedAt,
            score: try reader.optionalNumber(root["score"], "score", in: 0...1), results: results)
        return batch
    }
}
