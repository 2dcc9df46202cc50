import Foundation
import PerfDBModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The two line formats of k6's raw stream.
enum StreamFormat: Sendable {
    case ndjson
    case csv
}

/// What one pass over a raw stream found.
struct StreamResult {
    var aggregator: StreamAggregator
    var catalog: [String: MetricInfo]
    /// The content digest (``BlockDigest``), and the legacy one when asked for.
    var digest: String
    var legacyDigest: String?
    var lines: Int
    var skippedLines: Int
    /// The last line was cut short (k6 killed mid-write) and left out.
    var incomplete: Bool
    var warnings: [String]
    var bytes: Int
}

/// Options of a streaming ingest.
public struct StreamOptions: Sendable {
    /// Parallel parsers.
    public var workers = 2
    /// Bytes per chunk handed to a parser; also the longest line accepted.
    public var chunkSize = LegacyDigest.chunkSize
    /// Seconds per timeline bucket (0: no timeline).
    public var bucketSeconds = 10.0
    /// Count and skip corrupt lines instead of failing.
    public var skipBadLines = false
    /// Distinct values one tag may take before the ingest stops.
    public var maxTagValues = 1000
    /// Tags never to make series dimensions, besides k6's time-like and per-VU ones.
    public var droppedTags: Set<String> = []
    /// Metric types for metrics the stream does not type itself (k6's CSV): `--metric-type`.
    public var metricTypes: [String: MetricType] = [:]
    /// Also compute the digest streams were stored with before `xxh64v2` (a database that
    /// holds such runs recognises the same stream again); needs the default chunk size.
    public var legacyDigest = false
    /// Called from the reading thread with bytes consumed so far and the total, if known.
    public var progress: (@Sendable (Int, Int?) -> Void)?

    /// Defaults: two parsers, 2 MiB chunks, 10 s buckets.
    public init() {}
}

/// What the parsers report, keyed by chunk so line numbers can be computed; shared between
/// threads behind a mutex.
private struct Findings: Sendable {
    var lineCounts: [Int: Int] = [:]
    var blocks: [(index: Int, hash: UInt64)] = []
    var chunkHashes: [Int: (hash: UInt64, length: Int)] = [:]
    var errors: [(sequence: Int, line: Int, message: String)] = []
    var skipped: [(sequence: Int, line: Int, message: String)] = []
    var incomplete = false
    var failure: PerfDBError?

    var cancelled: Bool { !errors.isEmpty || failure != nil }

    /// Lines in the chunks before `sequence`.
    func lines(before sequence: Int) -> Int {
        lineCounts.reduce(0) { $0 + ($1.key < sequence ? $1.value : 0) }
    }
}

/// Hands values that are only read to the parsing threads.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Reads a raw k6 stream in one pass, in named stages.
///
///     ChunkReader (this thread: read, inflate, cut into chunks of whole lines)
///       → parse (`workers` threads: K6JSONLineParser or K6CSVLineParser per line)
///       → StreamAggregator (per thread: SeriesInterner, series figures, TimelineBuilder)
///       → merge (the threads' aggregates into one)
///
/// The digest is taken beside: each parser hashes the whole blocks of its chunk, the reading
/// thread the bytes around them (``BlockDigest``).
enum StreamPipeline {
    static func run(
        _ stream: ByteStream, prefix: [UInt8], format: StreamFormat, options: StreamOptions
    ) throws -> StreamResult {
        var reader = ChunkReader(stream: stream, prefix: prefix)
        var partial = BlockDigest.Partial()
        var legacy = LegacyDigest()
        let findings = Locked(Findings())
        var headerLines = 0
        var csv: K6CSVLineParser?
        if format == .csv {
            let header = try reader.takeHeader()
            csv = try header.withUnsafeBufferPointer { bytes in
                findings.withLock { $0.blocks += partial.feed(bytes, offset: 0) }
                legacy.update(header: UnsafeRawBufferPointer(bytes))
                return try csvParser(header: bytes, name: stream.name)
            }
            headerLines = 1
        }
        let workers = max(1, options.workers)
        let aggregators = (0..<workers).map { _ in
            StreamAggregator(
                policy: TagPolicy(
                    cardinalityLimit: options.maxTagValues, extraDropped: options.droppedTags),
                bucketSeconds: options.bucketSeconds, forcedTypes: options.metricTypes)
        }
        let queue = ChunkQueue(buffers: workers + 2, capacity: options.chunkSize)
        let parser = LineStage(
            format: format, csv: csv, skipBadLines: options.skipBadLines,
            legacyDigest: options.legacyDigest)
        let done = DispatchGroup()
        for aggregator in aggregators {
            let box = UncheckedBox(aggregator)
            done.enter()
            let thread = Thread {
                while let chunk = queue.pop() {
                    if !findings.withLock({ $0.cancelled }) {
                        box.value.updateCatalog(chunk.catalog)
                        let report = parser.parse(chunk, into: box.value)
                        findings.withLock { report.record(into: &$0) }
                    }
                    queue.giveBack(chunk)
                }
                done.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }

        var catalog: [String: MetricInfo] = [:]
        var readError: Error?
        do {
            while !findings.withLock({ $0.cancelled }) {
                let chunk = queue.takeFree()
                let filled: Bool
                do {
                    filled = try reader.fill(chunk)
                } catch {
                    queue.giveBack(chunk)
                    throw error
                }
                guard filled else {
                    queue.giveBack(chunk)
                    break
                }
                options.progress?(stream.consumed, stream.size)
                findings.withLock {
                    $0.blocks += partial.feed(chunk: chunk.bytes, offset: chunk.offset)
                }
                if format == .ndjson { scanMetricLines(chunk, into: &catalog) }
                chunk.catalog = catalog
                queue.push(chunk)
            }
        } catch {
            readError = error
        }
        queue.close()
        done.wait()
        var found = findings.withLock { $0 }
        if let tooLong = readError as? ChunkReader.LineTooLong {
            throw tooLong.error(stream.name, linesBefore: found.lines(before: .max) + headerLines)
        }
        if let readError { throw readError }
        found.blocks += partial.finish()
        return try result(
            found, aggregators: aggregators, catalog: catalog, name: stream.name,
            headerLines: headerLines, total: reader.offset,
            legacy: options.legacyDigest ? legacy : nil)
    }

    /// The CSV parser of a header line (BOM and CRLF allowed).
    private static func csvParser(header bytes: UnsafeBufferPointer<UInt8>, name: String) throws
        -> K6CSVLineParser
    {
        var header = Array(bytes)
        if header.last == UInt8(ascii: "\n") { header.removeLast() }
        if header.last == UInt8(ascii: "\r") { header.removeLast() }
        if header.starts(with: [0xEF, 0xBB, 0xBF]) { header.removeFirst(3) }
        return try header.withUnsafeBufferPointer { pointer in
            do {
                return try K6CSVLineParser(header: pointer)
            } catch let error as StreamLineError {
                throw PerfDBError.badInput(name, error.message, at: "line 1")
            }
        }
    }

    /// The pass's result from what the parsers found: the first bad line as an error (or the
    /// skipped ones as a warning), the merged aggregate and the digests.
    private static func result(
        _ found: Findings, aggregators: [StreamAggregator], catalog: [String: MetricInfo],
        name: String, headerLines: Int, total: Int, legacy: LegacyDigest?
    ) throws -> StreamResult {
        if let failure = found.failure {
            throw PerfDBError(failure.code, "\(name): \(failure.message)")
        }
        if let first = found.errors.min(by: { ($0.sequence, $0.line) < ($1.sequence, $1.line) }) {
            let line = found.lines(before: first.sequence) + first.line + headerLines
            throw PerfDBError.badInput(
                name, first.message + " (--skip-bad-lines skips such lines)", at: "line \(line)")
        }
        var warnings: [String] = []
        if let first = found.skipped.min(by: { ($0.sequence, $0.line) < ($1.sequence, $1.line) }) {
            let line = found.lines(before: first.sequence) + first.line + headerLines
            warnings.append(
                "\(name): skipped \(found.skipped.count) bad line(s), the first at line \(line): \(first.message)"
            )
        }
        if found.incomplete {
            warnings.append(
                "\(name): the last line is cut short (k6 stopped mid-write); the run is stored as incomplete"
            )
        }
        var digest = BlockDigest()
        digest.add(found.blocks)
        var legacyDigest = legacy
        for sequence in found.chunkHashes.keys.sorted() {
            guard let entry = found.chunkHashes[sequence] else { continue }
            legacyDigest?.add(chunk: entry.hash, length: entry.length)
        }
        let merged = aggregators[0]
        for other in aggregators.dropFirst() { try merged.merge(other) }
        merged.updateCatalog(catalog)
        return StreamResult(
            aggregator: merged, catalog: catalog, digest: digest.finalize(length: total),
            legacyDigest: legacyDigest?.finalize(length: total),
            lines: found.lineCounts.values.reduce(0, +) + headerLines,
            skippedLines: found.skipped.count, incomplete: found.incomplete, warnings: warnings,
            bytes: total)
    }

    /// Adds the definitions of the chunk's `{"type":"Metric"…}` lines to the catalog.
    private static func scanMetricLines(_ chunk: Chunk, into catalog: inout [String: MetricInfo]) {
        let needle = Array(#""type":"Metric""#.utf8)
        var offset = 0
        while offset < chunk.length {
            // Metric lines are rare: look for the 'M' of "Metric" and check around it.
            guard
                let found = memchr(
                    chunk.buffer + offset, Int32(UInt8(ascii: "M")), chunk.length - offset)
            else { break }
            let position = found.assumingMemoryBound(to: UInt8.self) - chunk.buffer
            offset = position + 1
            let from = position - 8
            guard from >= 0, from + needle.count <= chunk.length,
                memcmp(chunk.buffer + from, needle, needle.count) == 0
            else { continue }
            var start = from
            while start > 0 && chunk.buffer[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            var stop = position
            while stop < chunk.length && chunk.buffer[stop] != UInt8(ascii: "\n") { stop += 1 }
            if let (name, info) = K6JSONLineParser.metricDefinition(
                UnsafeBufferPointer(start: chunk.buffer + start, count: stop - start))
            {
                catalog[name] = info
            }
            offset = stop + 1
        }
    }
}

/// The parsing stage: the lines of one chunk into an aggregator, with what went wrong.
private struct LineStage: Sendable {
    let format: StreamFormat
    let csv: K6CSVLineParser?
    let skipBadLines: Bool
    let legacyDigest: Bool

    /// What parsing one chunk found.
    struct Report {
        var sequence: Int
        var lines = 0
        var blocks: [(index: Int, hash: UInt64)] = []
        var chunkHash: (hash: UInt64, length: Int)?
        var errors: [(Int, Int, String)] = []
        var skipped: [(Int, Int, String)] = []
        var incomplete = false
        var failure: PerfDBError?

        func record(into findings: inout Findings) {
            findings.lineCounts[sequence] = lines
            findings.blocks += blocks
            if let chunkHash { findings.chunkHashes[sequence] = chunkHash }
            findings.errors += errors.map { ($0.0, $0.1, $0.2) }
            findings.skipped += skipped.map { ($0.0, $0.1, $0.2) }
            if incomplete { findings.incomplete = true }
            if let failure, findings.failure == nil { findings.failure = failure }
        }
    }

    func parse(_ chunk: Chunk, into aggregator: StreamAggregator) -> Report {
        var report = Report(sequence: chunk.sequence)
        let buffer = chunk.buffer
        var start = 0
        while start < chunk.length {
            var end = chunk.length
            if let found = memchr(buffer + start, Int32(UInt8(ascii: "\n")), chunk.length - start) {
                end = found.assumingMemoryBound(to: UInt8.self) - buffer
            }
            report.lines += 1
            let terminated = end < chunk.length
            var stop = end
            if stop > start && buffer[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
            if stop > start {
                let line = UnsafeBufferPointer(start: buffer + start, count: stop - start)
                do {
                    switch format {
                    case .ndjson: _ = try K6JSONLineParser.parse(line, into: aggregator)
                    case .csv: try csv?.parse(line, into: aggregator)
                    }
                } catch let error as StreamLineError {
                    if chunk.isLast && !terminated {
                        report.incomplete = true
                    } else if skipBadLines {
                        report.skipped.append((chunk.sequence, report.lines, error.message))
                    } else {
                        report.errors.append((chunk.sequence, report.lines, error.message))
                        break
                    }
                } catch let error as PerfDBError {
                    report.failure = error
                    break
                } catch {
                    report.failure = PerfDBError(.internal, "\(error)")
                    break
                }
            }
            start = end + 1
        }
        report.blocks = BlockDigest.hashWholeBlocks(chunk.bytes, offset: chunk.offset)
        if legacyDigest {
            var hash = XXHash64(seed: 0)
            hash.update(UnsafeRawBufferPointer(chunk.bytes))
            report.chunkHash = (hash.finalize(), chunk.length)
        }
        return report
    }
}
