import Foundation

/// Reads input files and stores each as one run: every file is parsed and checked before any
/// is written, so bad input leaves the database unchanged; then each file is stored in its own
/// transaction.
public struct Ingestor {
    /// What the command line says about the files.
    public struct Options: Sendable {
        /// The format to read every file as; detected from content when nil.
        public var format: InputFormat?
        /// CI context from flags; missing fields come from the environment, then git.
        public var context = CIContext()
        /// The tool's exit code (k6: 99 thresholds crossed, 105/107/108 aborted).
        public var exitCode: Int?
        /// Overwrite a run stored earlier with the same content.
        public var replace = false
        /// The process environment, for CI variables.
        public var environment: [String: String] = [:]
        /// Where to ask git for commit and branch; nil skips git.
        public var gitDirectory: String?
        /// The clock.
        public var now = Date()
        /// How raw k6 streams are read.
        public var stream = StreamOptions()

        /// Creates default options.
        public init() {}
    }

    /// What happened to one file.
    public struct Result: Sendable {
        public var file: String
        public var outcome: StoreOutcome
        public var batch: IngestBatch
        public var status: RunStatus
    }

    /// The warehouse runs are stored in.
    public let warehouse: Warehouse
    /// The options that apply to every file.
    public let options: Options

    /// Creates an ingestor.
    public init(warehouse: Warehouse, options: Options) {
        self.warehouse = warehouse
        self.options = options
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
        var submissions: [RunSubmission] = []
        var errors: [PerfDBError] = []
        for path in paths {
            do {
                let loaded = try InputFormat.load(path, as: options.format, options: options.stream)
                submissions.append(
                    RunSubmission(
                        inputName: path, batch: loaded.batch, context: context,
                        exitCode: options.exitCode,
                        sourceFile: path == "-"
                            ? "-" : URL(fileURLWithPath: path).lastPathComponent,
                        contentDigest: loaded.digest, fileModifiedAt: loaded.modifiedAt))
            } catch let error as PerfDBError {
                errors.append(error)
            }
        }
        if let first = errors.first {
            let note =
                submissions.isEmpty
                ? "" : "\nnothing was stored (\(submissions.count) good file(s) skipped too)"
            throw PerfDBError(first.code, errors.map(\.message).joined(separator: "\n") + note)
        }
        return submissions
    }

    /// Stores prepared submissions, one transaction each.
    public func store(_ submissions: [RunSubmission]) throws -> [Result] {
        try submissions.map { submission in
            Result(
                file: submission.inputName,
                outcome: try warehouse.store(
                    submission, replace: options.replace, now: options.now),
                batch: submission.batch, status: submission.status)
        }
    }
}
