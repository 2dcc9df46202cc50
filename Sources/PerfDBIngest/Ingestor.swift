import Foundation
import PerfDBModel

/// Reads input files into runs to store: every file is parsed and checked before any is
/// written, so bad input leaves the database unchanged; the store then writes each file in its
/// own transaction.
public enum Ingestor {
    /// What the command line says about the files.
    public struct Options: Sendable {
        /// The format to read every file as; detected from content when nil.
        public var format: InputFormat?
        /// CI context from flags; missing fields come from the environment, then git.
        public var context = CIContext()
        /// The tool's exit code (k6: 99 thresholds crossed, 105/107/108 aborted).
        public var exitCode: Int?
        /// The process environment, for CI variables.
        public var environment: [String: String] = [:]
        /// Where to ask git for commit and branch; nil skips git.
        public var gitDirectory: String?
        /// The clock.
        public var now = Date()
        /// How raw k6 streams are read.
        public var stream = StreamOptions()
        /// The branch a run is stored on when neither the flags, the CI system nor git name
        /// one: the base branch, so that it joins the baseline's history.
        public var baseBranch: String?
        /// Store the files as one run: the raw streams of one test's load generators.
        public var oneRun = false

        /// Creates default options.
        public init() {}
    }

    /// Reads and checks every file; throws one error listing every bad file (the code of the
    /// first) before anything is written.
    public static func prepare(_ paths: [String], options: Options) throws -> [RunSubmission] {
        if paths.filter({ $0 == "-" }).count > 1 {
            throw PerfDBError(.usage, "standard input (-) can be named only once")
        }
        var context = options.context.filling(from: .fromEnvironment(options.environment))
        if let directory = options.gitDirectory, context.commit == nil || context.branch == nil {
            context = context.filling(from: .fromGit(in: directory))
        }
        var branchAssumed = false
        if context.branch == nil, let baseBranch = options.baseBranch {
            context.branch = baseBranch
            branchAssumed = true
        }
        if options.oneRun && paths.count > 1 {
            let loaded = try K6StreamAdapter.readMerged(paths, options: options.stream)
            return [
                RunSubmission(
                    inputName: paths.joined(separator: " + "),
                    batch: loaded.batch.settled(exitCode: options.exitCode),
                    context: context, exitCode: options.exitCode,
                    sourceFile: paths.map { URL(fileURLWithPath: $0).lastPathComponent }
                        .joined(separator: ", "),
                    contentDigest: loaded.digest, fileModifiedAt: loaded.modifiedAt,
                    branchAssumed: branchAssumed)
            ]
        }
        var submissions: [RunSubmission] = []
        var errors: [PerfDBError] = []
        let locust = LocustFileGroups(paths)
        for path in paths where !locust.siblings.contains(path) {
            do {
                var loaded = try InputFormat.load(path, as: options.format, options: options.stream)
                if loaded.batch.tool == "locust" {
                    loaded.batch = try locust.attachingSiblings(to: loaded.batch, of: path)
                }
                submissions.append(
                    RunSubmission(
                        inputName: path, batch: loaded.batch.settled(exitCode: options.exitCode),
                        context: context,
                        exitCode: options.exitCode,
                        sourceFile: path == "-"
                            ? "-" : URL(fileURLWithPath: path).lastPathComponent,
                        contentDigest: loaded.digest, legacyDigest: loaded.legacyDigest,
                        fileModifiedAt: loaded.modifiedAt, branchAssumed: branchAssumed))
            } catch let error as PerfDBError {
                errors.append(error)
            }
        }
        let locustRuns = submissions.filter { $0.batch.tool == "locust" }
        do {
            try locust.requireRuns(
                Set(locustRuns.compactMap { LocustFileGroups.prefix(of: $0.inputName) }))
        } catch let error as PerfDBError {
            errors.append(error)
        }
        submissions = oneRunPerLocustPrefix(submissions)
        if let first = errors.first {
            let note =
                submissions.isEmpty
                ? "" : "\nnothing was stored (\(submissions.count) good file(s) skipped too)"
            throw PerfDBError(first.code, errors.map(\.message).joined(separator: "\n") + note)
        }
        return submissions
    }

    /// A Locust JSON report and the stats CSV of the same `--csv` prefix are one run: the JSON
    /// is kept (the CSV is written about a second before Locust stops, and trails it).
    private static func oneRunPerLocustPrefix(_ submissions: [RunSubmission]) -> [RunSubmission] {
        let reports = Dictionary(
            submissions.compactMap { submission -> (String, String)? in
                guard submission.batch.format == .locustJSON,
                    let prefix = LocustFileGroups.prefix(of: submission.inputName)
                else { return nil }
                return (prefix, submission.inputName)
            }, uniquingKeysWith: { first, _ in first })
        var kept: [RunSubmission] = []
        var notes: [String: [String]] = [:]
        for submission in submissions {
            if submission.batch.format == .locustCSV,
                let prefix = LocustFileGroups.prefix(of: submission.inputName),
                let report = reports[prefix]
            {
                notes[report, default: []].append(submission.inputName)
                continue
            }
            kept.append(submission)
        }
        for index in kept.indices {
            for csv in notes[kept[index].inputName] ?? [] {
                kept[index].batch.warnings.append(
                    "\(csv) is this run's stats CSV: the run is stored once, from the JSON report "
                        + "(the CSV is written about a second before Locust stops)")
            }
        }
        return kept
    }
}
