import Foundation

/// What `perfdb doctor` found.
public struct DoctorReport: Sendable {
    public var path: String
    public var schema: [String]
    public var runs: Int
    public var measurements: Int
    public var bytes: Int
    public var incompleteRuns: Int
    public var invalidatedRuns: Int
    /// Problems: integrity errors, foreign-key violations, unknown or missing migrations.
    public var problems: [String]

    /// Creates a report.
    public init(
        path: String, schema: [String], runs: Int, measurements: Int, bytes: Int,
        incompleteRuns: Int, invalidatedRuns: Int, problems: [String]
    ) {
        self.path = path
        self.schema = schema
        self.runs = runs
        self.measurements = measurements
        self.bytes = bytes
        self.incompleteRuns = incompleteRuns
        self.invalidatedRuns = invalidatedRuns
        self.problems = problems
    }
}

/// The result of `perfdb query`: column names and rows of values.
public struct QueryResult: Sendable {
    public var columns: [String]
    public var rows: [[JSONValue]]

    /// Creates a result.
    public init(columns: [String], rows: [[JSONValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// What `perfdb merge` folded in.
public struct MergeReport: Sendable {
    /// A run of the other file that was added here.
    public struct AddedRun: Sendable {
        public var otherID: Int64
        public var id: Int64
        public var kind: RunKind
        public var scenario: String?
        public var environment: String?
        public var branch: String?
        public var commitId: String?
        public var startedAt: String
        public var status: RunStatus
        public var invalidated: Bool

        /// Creates the entry of an added run.
        public init(
            otherID: Int64, id: Int64, kind: RunKind, scenario: String?, environment: String?,
            branch: String?, commitId: String?, startedAt: String, status: RunStatus,
            invalidated: Bool
        ) {
            self.otherID = otherID
            self.id = id
            self.kind = kind
            self.scenario = scenario
            self.environment = environment
            self.branch = branch
            self.commitId = commitId
            self.startedAt = startedAt
            self.status = status
            self.invalidated = invalidated
        }
    }

    /// What one other file brought.
    public struct Source: Sendable {
        /// The other file.
        public var path: String
        /// Its newest migration.
        public var schema: String
        /// Its runs that were not here, with their new ids.
        public var added: [AddedRun] = []
        /// Its runs that were here already (same content digest).
        public var alreadyHere = 0
        /// Series that were not here.
        public var seriesAdded = 0
        /// Baseline log entries that were not here.
        public var baselinesAdded = 0
        /// Verdict rows copied (for runs that had none here).
        public var verdictsAdded = 0
        /// Runs here that the other file had invalidated and this one had not.
        public var invalidationsCarried = 0

        /// Creates the entry of one other file, before anything was merged.
        public init(path: String, schema: String) {
            self.path = path
            self.schema = schema
        }
    }

    /// This database.
    public var database: String
    /// One entry per other file, in the order given.
    public var sources: [Source]

    /// Creates a report.
    public init(database: String, sources: [Source]) {
        self.database = database
        self.sources = sources
    }
}
