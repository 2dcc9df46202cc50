import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBPostgres
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb ingest`: store result files as runs.
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Store result files (k6, Locust, SLO reports, chaos results) as runs.",
            discussion: """
                Each file becomes one run, stored in one transaction. Every file is read and \
                checked before any is stored: one bad file stores nothing (exit 65). The format \
                is detected from the content; .gz files are read transparently; - reads \
                standard input. The same content again is recognised by its digest and stored \
                once (exit 0) unless --replace.
                Locust: the --json-file report or the --csv stats CSV (PREFIX_stats.csv); the \
                run's PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv are \
                stored with it, named or found beside it. Its JSON report and stats CSV named \
                together are one run, read from the JSON.
                CI context comes from the flags, then the CI system's variables (GitHub Actions, \
                GitLab CI, Jenkins, CircleCI, Buildkite, Azure Pipelines), then git.
                """)

        @OptionGroup var global: GlobalOptions

        @OptionGroup var configuration: ConfigOptions

        @OptionGroup var input: IngestOptions

        /// The earlier name of --input-format.
        @Option(name: .customLong("format"), help: .hidden)
        var format: InputFormat?

        @Option(
            name: .customLong("output-format"),
            help:
                "text: one line per file on standard error; json: the stored runs on standard output."
        )
        var outputFormat: IngestOutputFormat = .text

        func run() throws {
            var input = input
            input.inputFormat = input.inputFormat ?? format
            let results = try input.ingest(global: global, config: try configuration.load())
            if outputFormat == .json {
                try Report.write(IngestSummary.json(results), to: "-")
            }
        }
    }

    /// How `ingest` reports what it stored.
    enum IngestOutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }
}

/// The files to store and what to store with them: `ingest` and `gate` share them.
struct IngestOptions: ParsableArguments {
    @Argument(
        help: "Result files to store, or - for standard input.", completion: .file())
    var files: [String]

    @Option(
        name: .customLong("input-format"),
        help: "Read every file as this format (default: detect).")
    var inputFormat: InputFormat?

    @Option(help: "The test scenario (smoke, load, stress, spike, soak, …).")
    var scenario: String?

    @Option(help: "The environment tested (staging, production, …).")
    var environment: String?

    @Option(help: "The git branch (default: the CI system's, else git's, else the base branch).")
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
        help: """
            The tool's exit code (k6: 99 thresholds crossed, 105, 107, 108 aborted; \
            Locust: 1 requests failed, others aborted).
            """)
    var exitCode: Int?

    @Flag(help: "Replace a run stored earlier with the same content.")
    var replace = false

    @Option(
        name: .customLong("chaos-run"),
        help: ArgumentHelp(
            "The chaos experiment run the load runs ran under: its id, digest (8+ characters) "
                + "or experiment name (default: one whose span holds the load run, in its "
                + "environment).", valueName: "run"))
    var chaosRun: String?

    @Flag(
        name: .customLong("one-run"),
        help: """
            Store the raw k6 streams named as one run: the load generators of one test \
            (parallel k6 instances), percentiles exact over all of them.
            """)
    var oneRun = false

    @Flag(
        name: .customLong("skip-bad-lines"),
        help: "Raw streams: skip corrupt lines (counted in the run) instead of failing.")
    var skipBadLines = false

    @Flag(
        help: """
            Show progress on standard error: redrawn in place on a terminal, a full line every             10 s otherwise (default: only on a terminal).
            """)
    var progress = false

    @Option(help: "Raw streams: seconds per timeline bucket (0: no timeline).")
    var bucket: Double = 10

    @Option(
        name: .customLong("max-tag-values"),
        help: "Raw streams: distinct values one tag may take before the ingest stops.")
    var maxTagValues: Int = 1000

    @Option(
        name: .customLong("drop-tag"),
        help: "Raw streams: a tag never to make a series dimension (repeatable).")
    var dropTags: [String] = []

    @Option(
        name: .customLong("metric-type"),
        help: ArgumentHelp(
            "k6 CSV: the type of a metric of the script's own (repeatable).",
            valueName: "name=trend|counter|rate|gauge"))
    var metricTypes: [String] = []

    func validate() throws {
        if bucket < 0 { throw ValidationError("--bucket must be 0 or more seconds") }
        if maxTagValues < 1 { throw ValidationError("--max-tag-values must be at least 1") }
    }

    /// Reads every file, stores each as a run, and notes what was stored.
    ///
    /// `accept` sees every prepared file before anything is stored, and may refuse them.
    func ingest(
        global: GlobalOptions, config: Config,
        accept: ([RunSubmission]) throws -> Void = { _ in }
    ) throws -> [IngestResult] {
        var options = Ingestor.Options()
        options.format = inputFormat
        options.exitCode = exitCode
        options.environment = ProcessInfo.processInfo.environment
        options.gitDirectory = FileManager.default.currentDirectoryPath
        options.context = try context()
        options.baseBranch = config.baseBranch
        options.oneRun = oneRun
        options.stream.skipBadLines = skipBadLines
        options.stream.bucketSeconds = bucket
        options.stream.maxTagValues = maxTagValues
        options.stream.droppedTags = Set(dropTags)
        options.stream.metricTypes = config.metricTypes.merging(try forcedTypes()) { _, flag in
            flag
        }
        let terminal = isatty(STDERR_FILENO) != 0
        if !global.quiet && (progress || terminal) {
            options.stream.progress = terminal ? ProgressLine.redraw : ProgressLine.log
        }
        // A server is asked before the files are read; a file is not created for bad input.
        let server = try global.postgresURL() == nil ? nil : try global.open() as? PostgresStore
        options.stream.legacyDigest =
            try server?.holdsLegacyStreamDigests()
            ?? Warehouse.holdsLegacyStreamDigests(at: global.databasePath)
        let submissions = try Ingestor.prepare(files, options: options).map { submission in
            var submission = submission
            submission.chaosRun = chaosRun
            return submission
        }
        if let chaosRun, !submissions.contains(where: { $0.batch.kind == .load }) {
            throw PerfDBError(
                .usage, "--chaos-run \(chaosRun): none of the files is a load run to link")
        }
        try accept(submissions)
        let warehouse = try server ?? global.open()
        let results = try submissions.map { submission in
            IngestResult(submission, outcome: try warehouse.store(submission, replace: replace))
        }
        ProgressLine.finish()
        for result in results {
            global.note(IngestSummary.line(for: result))
            if result.batch.kind == .load, result.isNew,
                let link = try warehouse.reading({ try $0.chaosLink(of: result.runID) })
            {
                global.note(IngestSummary.line(for: link))
            }
            if result.branchAssumed, let branch = result.context.branch {
                global.note(
                    "note: no branch from --branch, the CI system or git: run \(result.runID) "
                        + "counts as the base branch \(branch)")
            }
            for warning in result.batch.warnings { global.note("warning: " + warning) }
        }
        return results
    }

    private func forcedTypes() throws -> [String: MetricType] {
        var types: [String: MetricType] = [:]
        for text in metricTypes {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let type = MetricType(rawValue: parts[1])
            else {
                throw ValidationError(
                    "--metric-type \"\(text)\" is not name=trend|counter|rate|gauge")
            }
            types[parts[0]] = type
        }
        return types
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

/// The progress line of long ingests: bytes read, rate and time left; redrawn in place on a
/// terminal, a full line every 10 s in a CI log.
enum ProgressLine {
    nonisolated(unsafe) private static var started: Date?
    nonisolated(unsafe) private static var lastDrawn = Date.distantPast
    nonisolated(unsafe) private static var drawn = false

    /// On a terminal: the line redrawn at most 5 times a second.
    @Sendable static func redraw(_ consumed: Int, _ total: Int?) {
        guard let line = line(consumed, total, every: 0.2) else { return }
        FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
        drawn = true
    }

    /// In a log: one full line every 10 seconds.
    @Sendable static func log(_ consumed: Int, _ total: Int?) {
        guard let line = line(consumed, total, every: 10) else { return }
        FileHandle.standardError.write(Data(("progress: " + line + "\n").utf8))
    }

    private static func line(_ consumed: Int, _ total: Int?, every interval: TimeInterval)
        -> String?
    {
        let now = Date()
        let start = started ?? now
        if started == nil {
            started = now
            // The first line waits a whole interval: short ingests print none.
            lastDrawn = now
        }
        guard now.timeIntervalSince(lastDrawn) >= interval else { return nil }
        lastDrawn = now
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let rate = Double(consumed) / elapsed
        var line = String(format: "%.0f MB", Double(consumed) / 1e6)
        if let total, total > 0 {
            let left = Double(total - consumed) / max(rate, 1)
            line += String(
                format: " of %.0f MB (%.0f %%), %.0f MB/s, %.0f s left", Double(total) / 1e6,
                100 * Double(consumed) / Double(total), rate / 1e6, left)
        } else {
            line += String(format: ", %.0f MB/s", rate / 1e6)
        }
        return line
    }

    static func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
        started = nil
        lastDrawn = .distantPast
    }
}
