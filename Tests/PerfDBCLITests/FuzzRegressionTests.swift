import Foundation
import PerfDBTestSupport
import Testing

/// Every input the fuzzer ever found (`Tests/Fixtures/fuzz/<adapter>/`) is refused or stored,
/// never crashed on, with the adapter it was found with.
@Suite struct FuzzRegressionTests {
    struct Finding: CustomTestStringConvertible, Sendable {
        var adapter: String
        var path: String
        var testDescription: String { "\(adapter)/\(URL(fileURLWithPath: path).lastPathComponent)" }
    }

    static let findings: [Finding] = {
        let root = URL(fileURLWithPath: TestPaths.fixture("fuzz", ""))
        let manager = FileManager.default
        let adapters = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        return adapters.sorted().flatMap { adapter -> [Finding] in
            let folder = root.appending(path: adapter)
            let files = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
            return files.sorted().map {
                Finding(adapter: adapter, path: folder.appending(path: $0).path)
            }
        }
    }()

    @Test func theFindingsAreThere() {
        #expect(Self.findings.count >= 3)
    }

    @Test(arguments: findings)
    func aFindingIsRefusedOrStoredNeverCrashedOn(_ finding: Finding) throws {
        let cli = try CLI()
        var arguments = ["ingest", finding.path]
        if finding.adapter == "locust-siblings" {
            // The finding is a Locust run's history, failures and exceptions file at once.
            let stats = cli.directory.appending(path: "r_stats.csv")
            try FileManager.default.copyItem(
                atPath: CLI.fixture("locust", "baseline/report_stats.csv"), toPath: stats.path)
            for sibling in ["r_stats_history.csv", "r_failures.csv", "r_exceptions.csv"] {
                try FileManager.default.copyItem(
                    atPath: finding.path, toPath: cli.directory.appending(path: sibling).path)
            }
            arguments = ["ingest", stats.path]
        } else if finding.adapter != "detect" {
            arguments += ["--format", finding.adapter]
        }
        let result = try cli.run(arguments)
        #expect(result.status == 0 || result.status == 65, "\(result.stderr.prefix(400))")
        #expect(result.stderr.hasPrefix("perfdb: ") || result.status == 0)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Backtrac"))
    }
}
