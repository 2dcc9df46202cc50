import Foundation
import PerfDBModel

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
        try reader.requireVersion(root, 1)
        var results: [SLOResultValue] = []
        var names: Set<String> = []
        for (index, element) in try reader.array(root["slos"], "slos").enumerated() {
            let path = "slos[\(index)]"
            let slo = try reader.object(element, path)
            let result = SLOResultValue(
                name: try reader.string(slo["name"], "\(path).name"),
                title: try reader.optionalString(slo["title"], "\(path).title"),
                series: try reader.string(slo["metric"], "\(path).metric"),
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
