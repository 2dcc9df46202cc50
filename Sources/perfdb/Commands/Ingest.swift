import ArgumentParser
import Foundation
import PerfDBKit

extension PerfDB {
    /// `perfdb ingest`: store result files as runs.
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store result files (k6 summaries, SLO reports, chaos results) as runs.",
            discussion: """
                Each file becomes one run, stored in one transaction. Every file is read and \
                checked before any is stored: one bad file stores nothing (exit 65). The format \
                is detected from the content; .gz files are read transparently; - reads \
                standard input. The same content again is recognised by its digest and stored \
                once (exit 0) unless --replace.
                CI context comes from the flags, then the CI system's variables (GitHub Actions, \
                GitLab CI, Jenkins, CircleCI, Buildkite, Azure Pipelines), then git.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Result files to store, or - for standard input.")
        var files: [String]

        @Option(name: .long, help: "Read every file as this format (default: detect).")
        var format: InputFormat?

        @Option(help: "The test scenario (smoke, load, stress, spike, soak, …).")
        var scenario: String?

        @Option(help: "The environment tested (staging, production, …).")
        var environment: String?

        @Option(help: "The git branch.")
        var branch: String?

        @Option(help: "The commit id.")
        var commit: String?

        @Option(help: "The CI build id or number.")
        var build: String?

        @Option(name: .customLong("build-url"), help: "A link to the CI build.")
        var buildURL: String?

        @Option(name: .customLong("pull-request"), help: "The pull or merge request number.")
        var pullRequest: String?

        @Option(name: .customLong("started-at"), help: "When the run started (ISO 8601).")
        var startedAt: String?

        @Option(name: .customLong("label"), help: "A label key=value (repeatable).")
        var labels: [String] = []

        @Option(
            name: .customLong("exit-code"),
            help: "The tool's exit code (k6: 99 thresholds crossed; 105, 107, 108 aborted).")
        var exitCode: Int?

        @Flag(help: "Replace a run stored earlier with the same content.")
        var replace = false

        func run() throws {
            var options = Ingestor.Options()
            options.format = format
            options.exitCode = exitCode
            options.replace = replace
            options.environment = ProcessInfo.processInfo.environment
            options.gitDirectory = FileManager.default.currentDirectoryPath
            options.context = try context()
            let submissions = try Ingestor.prepare(files, options: options)
            let warehouse = try Warehouse(path: global.databasePath)
            let results = try Ingestor(warehouse: warehouse, options: options).store(submissions)
            for result in results {
                global.note(IngestSummary.line(for: result))
            }
        }

        private func context() throws -> CIContext {
            var context = CIContext()
            context.scenario = scenario
            context.environment = environment
            context.branch = branch
            context.commit = commit
            context.build = build
            context.buildURL = buildURL
            context.pullRequest = pullRequest
            if let startedAt {
                guard let date = Timestamp.parse(startedAt) else {
                    throw ValidationError("--started-at \"\(startedAt)\" is not an ISO 8601 time")
                }
                context.startedAt = date
            }
            for label in labels {
                guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                    throw ValidationError("--label \"\(label)\" is not key=value")
                }
                context.labels[String(label[..<equals])] = String(
                    label[label.index(after: equals)...])
            }
            return context
        }
    }
}
