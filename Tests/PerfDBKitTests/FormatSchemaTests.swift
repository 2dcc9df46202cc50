import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

/// The SLO report and chaos result fixtures follow the schemas published in reports/, and the
/// adapters read them.
@Suite struct FormatSchemaTests {
    static func files(_ format: String) -> [String] {
        let directory = TestPaths.root.appending(path: "Tests/Fixtures/\(format)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test(arguments: files("slo-report"))
    func sloReportsFollowTheirSchema(name: String) throws {
        let text = try String(
            contentsOfFile: TestPaths.fixture("slo-report", name), encoding: .utf8)
        #expect(try SchemaValidator(named: "slo-report.schema.json").problems(inText: text) == [])
        let batch = try fixtureBatch("slo-report", name)
        #expect(batch.kind == .slo)
        let slo = try #require(batch.slo)
        #expect(slo.results.count == 6)
        let critical = slo.results.contains { $0.status == .critical }
        let failing = slo.results.contains { $0.status == .fail || $0.status == .critical }
        let warning = slo.results.contains { $0.status == .warning }
        #expect(slo.exitCode == (critical ? 2 : failing || warning ? 1 : 0))
        #expect(batch.status == (failing ? .failed : .passed))
    }

    @Test(arguments: files("chaos-result"))
    func chaosResultsFollowTheirSchema(name: String) throws {
        let text = try String(
            contentsOfFile: TestPaths.fixture("chaos-result", name), encoding: .utf8)
        #expect(try SchemaValidator(named: "chaos-result.schema.json").problems(inText: text) == [])
        let batch = try fixtureBatch("chaos-result", name)
        #expect(batch.kind == .chaos)
        let chaos = try #require(batch.chaos)
        #expect(chaos.availabilityPct != nil)
        #expect(batch.status == chaos.outcome)
    }

    @Test func theValidatorCatchesAWrongDocument() throws {
        let validator = try SchemaValidator(named: "slo-report.schema.json")
        let problems = validator.problems(
            inText:
                #"{"format": "perfdb-slo-report", "version": 2, "slos": [], "overall_status": "OK"}"#
        )
        #expect(problems.contains("$.version: expected 2".replacingOccurrences(of: "2", with: "1")))
        #expect(problems.contains("$: missing exit_code"))
        #expect(problems.contains("$.slos: fewer than 1.0 items"))
        #expect(problems.contains(#"$.overall_status: "OK" not in enum"#))
    }

    @Test(arguments: ["perfdb-slo-report", "perfdb-chaos-result"])
    func aVersionTheAdapterDoesNotReadIsRefused(format: String) throws {
        let text = #"{"format": "\#(format)", "version": 2}"#
        let input = try InputFile(name: "next.json", bytes: Array(text.utf8))
        let error = try #require(throws: PerfDBError.self) { try InputFormat.read(input) }
        #expect(error.message.contains("next.json"))
        #expect(error.message.contains("field version: unsupported version 2"))
    }
}
