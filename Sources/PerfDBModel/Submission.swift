import Foundation

/// A run to store: the batch an adapter read, plus what the command line and CI add.
public struct RunSubmission: Sendable {
    public var batch: IngestBatch
    public var context: CIContext
    /// The tool's exit code, when given (`--exit-code`).
    public var exitCode: Int?
    /// The input as named on the command line, for messages.
    public var inputName: String
    /// The file name the run came from, as stored.
    public var sourceFile: String
    /// `sha256:` and the digest of the (decompressed) content (`xxh64v2:` for raw streams).
    public var contentDigest: String
    /// The digest a raw stream had in earlier perfdb versions, to recognise it when a database
    /// holds it that way.
    public var legacyDigest: String?
    /// When the file was last modified; with the run's duration it dates the run.
    public var fileModifiedAt: Date?
    /// True when no flag, CI variable or git named the branch: the run is on the base branch.
    public var branchAssumed: Bool
    /// The chaos experiment run a load run ran under, as `--chaos-run` names it.
    ///
    /// Its id, its content digest (or a prefix of 8+ characters), or its experiment's name
    /// (the run of it whose span holds the load run, else the newest before it). Nil: found by
    /// time, if any.
    public var chaosRun: String?

    /// Creates a submission.
    public init(
        inputName: String, batch: IngestBatch, context: CIContext, exitCode: Int?,
        sourceFile: String,
        contentDigest: String, legacyDigest: String? = nil, fileModifiedAt: Date?,
        branchAssumed: Bool = false
    ) {
        self.branchAssumed = branchAssumed
        self.inputName = inputName
        self.batch = batch
        self.context = context
        self.exitCode = exitCode
        self.sourceFile = sourceFile
        self.contentDigest = contentDigest
        self.legacyDigest = legacyDigest
        self.fileModifiedAt = fileModifiedAt
    }

    /// The run's status: the batch's, settled with the tool's exit code when it was read.
    public var status: RunStatus { batch.status }

    /// When the run started: the flag or CI, else the file's own time, else the file's
    /// modification time less the run's duration, else now.
    public func startedAt(now: Date) -> Date {
        if let date = context.startedAt ?? batch.startedAt { return date }
        if let modified = fileModifiedAt {
            return modified.addingTimeInterval(-(batch.durationMs ?? 0) / 1000)
        }
        return now
    }
}

/// What happened to a submission.
extension RunSubmission {
    /// The `run` row this submission is stored as (without its id), the same on every engine.
    public func runRecord(now: Date) -> RunRecord {
        let startedAt = startedAt(now: now)
        // A start given on the command line moves the end with it.
        let shifted = batch.durationMs.map { startedAt.addingTimeInterval($0 / 1000) }
        let endedAt = context.startedAt != nil ? shifted ?? batch.endedAt : batch.endedAt ?? shifted
        return RunRecord(
            id: nil, kind: batch.kind, tool: batch.tool, toolVersion: batch.toolVersion,
            sourceFormat: batch.format, sourceFile: sourceFile,
            scenario: context.scenario ?? batch.scenario,
            environment: context.environment ?? batch.environment, branch: context.branch,
            commitId: context.commit, buildId: context.build, buildUrl: context.buildURL,
            pullRequest: context.pullRequest, ciProvider: context.provider,
            startedAt: Timestamp.format(startedAt), endedAt: endedAt.map(Timestamp.format),
            durationMs: batch.durationMs ?? endedAt.map { $0.timeIntervalSince(startedAt) * 1000 },
            status: status, exitCode: exitCode,
            incomplete: batch.incomplete, contentDigest: contentDigest,
            ingestedAt: Timestamp.format(now), invalidated: false, invalidatedReason: nil,
            invalidatedAt: nil, skippedLines: batch.skippedLines)
    }
}

public enum StoreOutcome: Sendable, Equatable {
    /// Stored as a new run.
    case stored(runID: Int64)
    /// The same content was already stored as this run; nothing was written.
    case duplicate(runID: Int64)
    /// The earlier run with the same content was replaced by this new one.
    case replaced(oldRunID: Int64, runID: Int64)
}

/// What happened to one input file.
public struct IngestResult: Sendable {
    public var file: String
    public var outcome: StoreOutcome
    public var batch: IngestBatch
    public var status: RunStatus
    public var context: CIContext
    public var contentDigest: String
    /// True when the run was put on the base branch for want of a branch.
    public var branchAssumed: Bool

    /// The result of storing `submission`.
    public init(_ submission: RunSubmission, outcome: StoreOutcome) {
        file = submission.inputName
        self.outcome = outcome
        batch = submission.batch
        status = submission.status
        context = submission.context
        contentDigest = submission.contentDigest
        branchAssumed = submission.branchAssumed
    }

    /// The id of the run the file is stored as.
    public var runID: Int64 {
        switch outcome {
        case .stored(let id), .duplicate(let id), .replaced(_, let id): id
        }
    }

    /// True when this ingest stored the run (not one stored before).
    public var isNew: Bool {
        if case .duplicate = outcome { return false }
        return true
    }
}
