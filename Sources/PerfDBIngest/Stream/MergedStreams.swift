import Foundation
import PerfDBModel

extension K6StreamAdapter {
    /// The raw streams of one test's load generators (parallel k6 instances, k6-operator's
    /// `parallelism`) read as one run.
    ///
    /// Each file is read as `perfdb ingest` reads one; their aggregates then merge as the
    /// parsers of one file do: histograms added bucket by bucket (so percentiles are exact over
    /// every generator's samples, as no average of their summaries can be), counts and sums
    /// added, minimum and maximum of both, gauges' last value the latest sample's; rates are
    /// recomputed over the merged span. The digest is the sorted files' digests', so the same
    /// generators' files in any order are the same run.
    static func readMerged(_ paths: [String], options: StreamOptions) throws
        -> InputFormat.Loaded
    {
        var merged: StreamResult?
        var format: InputFormat?
        var digests: [String] = []
        var modifiedAt: Date?
        for path in paths {
            guard path != "-" else {
                throw PerfDBError(.usage, "--one-run reads files, not standard input")
            }
            let stream = try ByteStream(path: path)
            let prefix = try InputFormat.readPrefix(stream)
            guard let detected = detect(prefix) else {
                throw PerfDBError.badInput(
                    path,
                    "--one-run merges raw k6 streams (--out json or --out csv); this is not one")
            }
            if let format, format != detected {
                throw PerfDBError(
                    .usage,
                    "\(path): a \(detected.title), the others are \(format.title): "
                        + "--one-run merges streams of one kind")
            }
            format = detected
            let result = try StreamPipeline.run(
                stream, prefix: prefix, format: detected == .k6CSV ? .csv : .ndjson,
                options: options)
            guard result.aggregator.points > 0 else {
                throw PerfDBError.badInput(path, "no k6 samples in the stream")
            }
            digests.append(result.digest)
            modifiedAt = [modifiedAt, stream.modifiedAt].compactMap { $0 }.max()
            guard var sum = merged else {
                merged = result
                continue
            }
            try sum.aggregator.merge(result.aggregator)
            sum.catalog.merge(result.catalog) { mine, _ in mine }
            sum.lines += result.lines
            sum.skippedLines += result.skippedLines
            sum.incomplete = sum.incomplete || result.incomplete
            sum.warnings += result.warnings
            sum.bytes += result.bytes
            merged = sum
        }
        guard var result = merged, let format else {
            throw PerfDBError(.usage, "--one-run needs the files of the run")
        }
        result.aggregator.updateCatalog(result.catalog)
        result.digest =
            "merged:sha256:"
            + SHA256.hex(of: Array(digests.sorted().joined(separator: "\n").utf8))
        var batch = try StreamFolder(
            result: result, format: format, options: options, name: paths[0]
        ).batch()
        batch.labels["generators"] = String(paths.count)
        return InputFormat.Loaded(
            batch: batch, digest: result.digest, legacyDigest: nil, modifiedAt: modifiedAt)
    }
}
