import PerfDBAnalysis
import PerfDBModel

/// The one line `perfdb ingest` prints per file.
public enum IngestSummary {
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
