import PerfDBAnalysis
import PerfDBModel

/// The one line `perfdb ingest` prints per file.
public enum IngestSummary {
    /// The note of a load run tied to a chaos run.
    public static func line(for link: ChaosLink) -> String {
        "run \(link.runId) ran under chaos run \(link.chaosRunId) (\(link.experiment)), linked "
            + (link.linkedBy == .explicit ? "by --chaos-run" : "by time")
            + ": kept out of the normal baseline"
    }

    /// Says what was stored from a file, or that it was already there.
    public static func line(for result: IngestResult) -> String {
        let batch = result.batch
        var contents: [String] = []
        if batch.points > 0 { contents.append("\(batch.points) samples") }
        if !batch.series.isEmpty {
            let measurements = batch.series.reduce(0) { $0 + $1.statistics.count }
            contents.append("\(batch.series.count) series, \(measurements) measurements")
        }
        if !batch.thresholds.isEmpty {
            let failed = batch.thresholds.filter { $0.passed == false }.count
            let unevaluated = batch.thresholds.filter { $0.passed == nil }.count
            contents.append(
                "\(batch.thresholds.count) thresholds (\(failed) failed"
                    + (unevaluated > 0 ? ", \(unevaluated) not evaluated)" : ")"))
        }
        if !batch.checks.isEmpty { contents.append("\(batch.checks.count) checks") }
        if let slo = batch.slo {
            contents.append("\(slo.results.count) SLOs, overall \(slo.overallStatus.rawValue)")
        }
        if let chaos = batch.chaos { contents.append("experiment \"\(chaos.name)\"") }
        if batch.incomplete { contents.append("incomplete (last line cut short)") }
        if batch.skippedLines > 0 { contents.append("\(batch.skippedLines) bad lines skipped") }
        let what =
            "\(batch.kind.rawValue), \(batch.format.rawValue), "
            + contents.joined(separator: ", ") + "; status \(result.status.rawValue)"
        switch result.outcome {
        case .stored(let id):
            return "stored run \(id) from \(result.file): \(what)"
        case .duplicate(let id):
            return
                "\(result.file): already stored as run \(id) (same content digest); nothing "
                + "stored (--replace overwrites)"
        case .replaced(let old, let id):
            return "replaced run \(old) with run \(id) from \(result.file): \(what)"
        }
    }
}

extension IngestSummary {
    /// One stored file as `ingest --output-format json` prints it (reports/ingest.schema.json).
    public struct RunDocument: Encodable {
        public var file: String
        public var run: Int64
        public var digest: String
        /// True when this ingest stored the run; false when the same content was stored before.
        public var new: Bool
        public var replaced: Int64?
        public var kind: RunKind
        public var format: InputFormat
        public var status: RunStatus
        public var scenario: String?
        public var environment: String?
        public var branch: String?
        public var branchAssumed: Bool
        public var commit: String?
        public var pullRequest: String?

        /// The document of a result.
        public init(_ result: IngestResult) {
            file = result.file
            run = result.runID
            digest = result.contentDigest
            new = result.isNew
            if case .replaced(let old, _) = result.outcome { replaced = old }
            kind = result.batch.kind
            format = result.batch.format
            status = result.status
            scenario = result.context.scenario ?? result.batch.scenario
            environment = result.context.environment ?? result.batch.environment
            branch = result.context.branch
            branchAssumed = result.branchAssumed
            commit = result.context.commit
            pullRequest = result.context.pullRequest
        }
    }

    /// The JSON document of an ingest: `{"schemaVersion": 2, "runs": [...]}`.
    public static func json(_ results: [IngestResult]) throws -> String {
        struct Document: Encodable { var runs: [RunDocument] }
        return JSONWriter.render(
            try JSONValueEncoder().encode(Versioned(Document(runs: results.map(RunDocument.init)))))
    }
}
