import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

/// reports/examples/ are the reports rendered from the demo data (`make reports`): a stale one
/// fails here, and every JSON one follows its schema in reports/.
@Suite struct ReportsTests {
    static let examples: [(file: String, arguments: [String])] = {
        let url = TestPaths.root.appending(path: "reports/examples/COMMANDS.tsv")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { return nil }
            return (fields[0], fields[1].split(separator: " ").map(String.init))
        }
    }()

    static let schemas: [String: String] = [
        "runs-list": "runs-list.schema.json", "run-show": "run-show.schema.json",
        "check": "check.schema.json", "trend": "trend.schema.json",
        "baseline-drift": "drift.schema.json", "slo-check": "slo-check.schema.json",
        "slo-trend": "slo-trend.schema.json", "chaos-trend": "chaos-trend.schema.json",
        "chaos-impact": "chaos-impact.schema.json",
        "report": "report.schema.json", "calibrate": "calibrate.schema.json",
    ]

    @Test func examplesAreFreshAndFollowTheirSchemas() throws {
        #expect(Self.examples.count >= 15)
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        for example in Self.examples {
            let result = try cli.run(example.arguments)
            let stored = try String(
                contentsOf: TestPaths.root.appending(path: "reports/examples/\(example.file)"),
                encoding: .utf8)
            #expect(
                result.stdout == stored,
                "reports/examples/\(example.file) is stale: run make reports")
            guard example.file.hasSuffix(".json") else { continue }
            let prefix = Self.schemas.keys.sorted { $0.count > $1.count }.first {
                example.file.hasPrefix($0)
            }
            let schema = try #require(
                prefix.flatMap { Self.schemas[$0] }, "no schema for \(example.file)")
            let problems = try SchemaValidator(named: schema).problems(inText: result.stdout)
            #expect(problems.isEmpty, "\(example.file): \(problems.prefix(5))")
        }
    }
}
